//! TransactWriteItems and TransactGetItems: validation, idempotency tokens, conditions and
//! cancellation reasons, all-or-nothing.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tracing::Instrument;

use super::checks::*;
use super::keys::*;
use super::storage::{Space, Storage};
use super::Engine;
use crate::error::{CancellationCode, CancellationReason, Error, Result};
use crate::expr::check;
use crate::item::{Item, Value};
use crate::raw::eval;
use crate::raw::validate::{self, WriteKind};
use crate::repository::*;

#[derive(Default)]
pub(super) struct Seen(BTreeSet<Vec<u8>>);

impl Seen {
    pub(super) fn insert(&mut self, key: Vec<u8>, message: &str) -> Result<()> {
        if self.0.insert(key) {
            Ok(())
        } else {
            Err(Error::invalid(message))
        }
    }
}

pub(super) enum Prepared {
    Put(Item),
    Update(Item, crate::expr::Update),
    Delete(Item),
    Check(Item),
}

impl Prepared {
    fn key(&self) -> &Item {
        match self {
            Prepared::Put(i)
            | Prepared::Update(i, _)
            | Prepared::Delete(i)
            | Prepared::Check(i) => i,
        }
    }
}

pub(super) const TOKEN_WINDOW: Duration = Duration::from_secs(600);

impl<S: Storage> Engine<S> {
    pub(super) async fn transact_write(&self, mut request: TransactWrite) -> Result<()> {
        let n = request.items.len();
        if n == 0 {
            return Err(Error::invalid("Value [] at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1"));
        }
        if n > MAX_TRANSACTION_ACTIONS {
            return Err(Error::invalid(
                "Member must have length less than or equal to 100",
            ));
        }
        if let Some(token) = &request.client_request_token {
            if token.len() > 36 || token.is_empty() {
                return Err(Error::invalid(format!("Value {token} at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")));
            }
        }
        // DynamoDB Local checks every action's expressions, then every action's keys and
        // item, then the key-attribute rule of the conditions; it applies the actions in
        // order, each seeing the ones before, and reports a second action on one item only
        // if nothing else cancels the transaction.
        for action in &request.items {
            if let Some(c) = action.condition() {
                check::check_condition(c, "ConditionExpression")?;
            }
            if let TransactWriteItem::Update { update, .. } = action {
                if !update.is_empty() {
                    check::check_update_expression(update)?;
                }
            }
        }
        // The request as received, for its idempotency token: the loop below moves each
        // action's item and key into the prepared action.
        let fingerprint = request
            .client_request_token
            .as_ref()
            .map(|_| format!("{:?}", request.items));
        let mut seen = Seen::default();
        let mut duplicate = false;
        let mut prepared = Vec::with_capacity(n);
        let mut put_errors = Vec::with_capacity(n);
        let mut table_keys = Vec::with_capacity(n);
        for action in &mut request.items {
            // Static checks reject the whole request; what depends on the table's keys and
            // indexes is reported per action below, as DynamoDB does. A key attribute of the
            // wrong scalar type is a cancellation reason.
            let key_or_item = match action {
                TransactWriteItem::Put { item, .. } => item,
                TransactWriteItem::Update { key, .. }
                | TransactWriteItem::Delete { key, .. }
                | TransactWriteItem::ConditionCheck { key, .. } => key,
            };
            let put_error = self.schema.keys().find_map(|k| {
                key_or_item
                    .get(&k.name)
                    .filter(|v| {
                        matches!(v, Value::S(_) | Value::N(_) | Value::B(_))
                            && !k.key_type.matches(v)
                    })
                    .map(|_| {
                        Error::invalid(
                            "One or more parameter values were invalid: Type mismatch for key",
                        )
                    })
            });
            let check_key = |key: &Item| match &put_error {
                Some(_) => Ok(()),
                None => validate::check_key(&self.schema, key),
            };
            // The items and keys move into the prepared actions; what stays in `request`
            // is each action's condition and return option.
            let p = match action {
                TransactWriteItem::Put { item, .. } => {
                    if put_error.is_none() {
                        validate::check_item_except_index_keys(&self.schema, item, WriteKind::Put)?;
                        check_index_key_types(&self.schema, item)?;
                        // An empty index key or one over a size limit rejects the request;
                        // one of the wrong type is a cancellation reason, below (MK30).
                        validate::check_index_key_values(&self.schema, item)?;
                    }
                    Prepared::Put(std::mem::take(item))
                }
                TransactWriteItem::Update { key, update, .. } => {
                    check_key(key)?;
                    Prepared::Update(std::mem::take(key), update.clone())
                }
                TransactWriteItem::Delete { key, .. } => {
                    check_key(key)?;
                    Prepared::Delete(std::mem::take(key))
                }
                TransactWriteItem::ConditionCheck { key, .. } => {
                    check_key(key)?;
                    Prepared::Check(std::mem::take(key))
                }
            };
            let key = table_key(&self.schema, p.key());
            duplicate |= seen.insert(key.clone(), "").is_err();
            table_keys.push(key);
            prepared.push(p);
            put_errors.push(put_error);
        }
        for action in &request.items {
            // A condition check's condition is not held to the key-attribute rule.
            if let TransactWriteItem::ConditionCheck { .. } = action {
                continue;
            }
            let paths = action.condition().map(|c| c.paths()).unwrap_or_default();
            check_scalar_keys(&self.schema, paths)?;
        }
        if let (Some(token), Some(fingerprint)) = (&request.client_request_token, fingerprint) {
            let mut tokens = self
                .tokens
                .lock()
                .map_err(|_| Error::invalid("token table poisoned"))?;
            tokens.retain(|_, (_, at)| at.elapsed() < TOKEN_WINDOW);
            if let Some((seen, _)) = tokens.get(token) {
                return if *seen == fingerprint {
                    Ok(())
                } else {
                    Err(Error::IdempotencyMismatch {
                        message: String::new(),
                    })
                };
            }
            tokens.insert(token.clone(), (fingerprint, Instant::now()));
        }
        let schema = self.schema.clone();
        let actions = request.items;
        let result = self
            .storage
            .write(&self.schema, move |view| {
                // First every update is evaluated: an error there (a missing operand, a bad
                // path, a wrong operand type) rejects the whole request, conditions or not.
                // An action on an item that an earlier one wrote sees that write.
                let mut written: std::collections::BTreeMap<Vec<u8>, Option<Item>> =
                    std::collections::BTreeMap::new();
                let mut olds = Vec::with_capacity(n);
                let mut news: Vec<Option<Item>> = Vec::with_capacity(n);
                for (p, k) in prepared.iter_mut().zip(&table_keys) {
                    let old = match written.get(k) {
                        Some(w) => w.clone(),
                        None => view.get(Space::Table, k)?.map(Cow::into_owned),
                    };
                    let new = match p {
                        // The put's item moves on to its mutation (`Put` keeps no item).
                        Prepared::Put(item) => Some(std::mem::take(item)),
                        Prepared::Delete(_) | Prepared::Check(_) => None,
                        Prepared::Update(key, update) if update.is_empty() => {
                            Some(old.clone().unwrap_or_else(|| key.clone()))
                        }
                        // An update whose key has the wrong type, or whose own condition
                        // fails, is not evaluated.
                        Prepared::Update(..)
                            if put_errors[olds.len()].is_some()
                                || !condition_holds(
                                    &actions[olds.len()].condition().cloned(),
                                    old.as_ref(),
                                ) =>
                        {
                            None
                        }
                        Prepared::Update(key, update) => {
                            // An update of a key attribute cancels the transaction with that
                            // one reason.
                            if let Err(e) = eval::check_update_keys(&schema, update) {
                                return Err(Error::TransactionCanceled {
                                    reasons: vec![CancellationReason {
                                        code: CancellationCode::ValidationError,
                                        message: Some(e.to_string()),
                                        item: None,
                                    }],
                                });
                            }
                            check_scalar_keys(&schema, update_paths(update))?;
                            let updated = eval::apply_update(old.as_ref(), key, update)?.item;
                            // An index key left empty rejects the whole request, as
                            // UpdateItem's does (MK11): not a cancellation reason.
                            validate::check_index_keys_not_emptied(&schema, &updated)?;
                            Some(updated)
                        }
                    };
                    if duplicate {
                        let after = match p {
                            Prepared::Put(_) | Prepared::Update(..) if new.is_some() => new.clone(),
                            Prepared::Delete(_) => None,
                            _ => old.clone(),
                        };
                        written.insert(k.clone(), after);
                    }
                    olds.push(old);
                    news.push(new);
                }
                // Then conditions and what the table's keys and limits say, one reason each.
                let mut reasons = Vec::with_capacity(n);
                let mut mutations = Vec::new();
                for ((((action, p), (old, new)), put_error), key) in actions
                    .iter()
                    .zip(&prepared)
                    .zip(olds.into_iter().zip(news))
                    .zip(put_errors)
                    .zip(table_keys)
                {
                    let put_invalid = match (p, &new, put_error) {
                        (_, _, Some(e)) => Some(e),
                        (Prepared::Put(_), Some(item), None) => {
                            validate::check_index_keys(&schema, item, WriteKind::Put).err()
                        }
                        _ => None,
                    };
                    let reason = if let Some(e) = put_invalid {
                        CancellationReason {
                            code: CancellationCode::ValidationError,
                            message: Some(e.to_string()),
                            item: None,
                        }
                    } else if !condition_holds(&action.condition().cloned(), old.as_ref()) {
                        // DynamoDB Local ends a condition check's message with a period,
                        // the other actions' without.
                        let message = if matches!(p, Prepared::Check(_)) {
                            "The conditional request failed."
                        } else {
                            "The conditional request failed"
                        };
                        CancellationReason {
                            code: CancellationCode::ConditionalCheckFailed,
                            message: Some(message.into()),
                            item: if action.return_old_on_condition_failure() {
                                old.clone()
                            } else {
                                None
                            },
                        }
                    } else {
                        let invalid = match (p, &new) {
                            // No new item: the first pass found a key attribute updated.
                            (Prepared::Update(_, update), None) => {
                                eval::check_update_keys(&schema, update).err()
                            }
                            (Prepared::Update(..), Some(item)) => {
                                check_item(&schema, item, WriteKind::Update).err()
                            }
                            _ => None,
                        };
                        match invalid {
                            Some(e) => CancellationReason {
                                code: CancellationCode::ValidationError,
                                message: Some(e.to_string()),
                                item: None,
                            },
                            None => {
                                if !matches!(p, Prepared::Check(_))
                                    && (old.is_some() || new.is_some())
                                {
                                    mutations.extend(item_mutations_at(
                                        &schema,
                                        key,
                                        old.as_ref(),
                                        new.map(Cow::Owned),
                                    ));
                                }
                                CancellationReason::none()
                            }
                        }
                    };
                    // DynamoDB Local stops at the first update that writes a key attribute.
                    let stop = reason.code == CancellationCode::ValidationError
                        && matches!(p, Prepared::Update(..));
                    reasons.push(reason);
                    if stop {
                        break;
                    }
                }
                if reasons.iter().any(|r| r.code != CancellationCode::None) {
                    return Err(Error::TransactionCanceled { reasons });
                }
                if duplicate {
                    return Err(Error::invalid(
                        "Transaction request cannot include multiple operations on one item",
                    ));
                }
                Ok(((), mutations))
            })
            .instrument(self.span("TransactWriteItems"))
            .await;
        if result.is_err() {
            if let Some(token) = &request.client_request_token {
                if let Ok(mut tokens) = self.tokens.lock() {
                    tokens.remove(token);
                }
            }
        }
        result
    }

    pub(super) async fn transact_get(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>> {
        if keys.is_empty() {
            return Err(Error::invalid("Value null at 'transactItems' failed to satisfy constraint: Member must not be null"));
        }
        if keys.len() > MAX_TRANSACTION_ACTIONS {
            return Err(Error::invalid(
                "Member must have length less than or equal to 100",
            ));
        }
        let mut seen = Seen::default();
        let mut encoded = Vec::new();
        for k in &keys {
            validate::check_key(&self.schema, k)?;
            let e = table_key(&self.schema, k);
            seen.insert(
                e.clone(),
                "Transaction request cannot include multiple operations on one item",
            )?;
            encoded.push(e);
        }
        self.storage
            .read(&self.schema, move |view| {
                encoded
                    .iter()
                    .map(|k| Ok(view.get(Space::Table, k)?.map(Cow::into_owned)))
                    .collect()
            })
            .instrument(self.span("TransactGetItems"))
            .await
    }
}
