//! Write transactions: DynamoDB's write set, collected and committed at once.

use crate::api::unique;
use crate::entity::write;
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, Update};
use crate::item::Item;
use crate::repository::{TransactWrite, TransactWriteItem, MAX_TRANSACTION_ACTIONS};
use crate::schema::TableSchema;

/// Something that collects transaction actions: entity-level helpers over [`push`].
///
/// [`push`]: TransactionContext::push
pub trait TransactionContext {
    /// The table the actions are for.
    fn schema(&self) -> &TableSchema;

    /// The time stamp written by this transaction's actions.
    fn now(&self) -> &str;

    /// Adds a raw action.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] past 100 actions.
    fn push(&mut self, action: TransactWriteItem) -> Result<()>;

    /// Creates an entity (a versioned one at version 1); the transaction is cancelled if
    /// its key is taken.
    fn create<E: Entity>(&mut self, entity: &E) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let (item, condition) = write::create(self.schema(), entity, self.now())?;
        let guards = unique::create_guards::<E>(self.schema(), &item)?;
        self.push(TransactWriteItem::Put {
            item,
            condition: Some(condition),
            return_old_on_condition_failure: false,
        })?;
        for g in guards {
            self.push(g)?;
        }
        Ok(self)
    }

    /// Writes an entity as [`RepositoryExt::put`](crate::RepositoryExt::put) does (an update
    /// that keeps the creation time, checks the version and the entity type), if `condition`
    /// also holds.
    fn put<E: Entity>(&mut self, entity: &E, condition: Option<Condition>) -> Result<&mut Self>
    where
        Self: Sized,
    {
        unique::refuse::<E>("a transaction's put")?;
        if let Some(created) = entity::created_in_index_keys::<E>() {
            return Err(entity::validation_error::<E>(
                created,
                "an index key of this entity uses its creation time, which a put must read \
                 from the stored item: a transaction cannot read it, so use put outside the \
                 transaction (create is fine)",
            ));
        }
        let plan = write::put(self.schema(), entity, self.now(), condition, None)?;
        self.push_planned(plan)
    }

    /// Updates an entity as [`RepositoryExt::update`](crate::RepositoryExt::update) does, if
    /// `condition` holds. An entity with a validation hook is refused: the hook needs the
    /// whole entity, which a transaction cannot read; use `put`.
    fn update<E: Entity>(
        &mut self,
        key: &E::Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, None, condition, false)
    }

    /// Updates a versioned entity whose stored version is `version`, if `condition` holds.
    fn update_versioned<E: Entity>(
        &mut self,
        key: &E::Key,
        version: u64,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, Some(version), condition, false)
    }

    /// Updates an entity that must exist.
    fn patch<E: Entity>(&mut self, key: &E::Key, update: Update) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, None, None, true)
    }

    /// Updates an existing versioned entity whose stored version is `version`.
    fn patch_versioned<E: Entity>(
        &mut self,
        key: &E::Key,
        version: u64,
        update: Update,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, Some(version), None, true)
    }

    /// Deletes an entity, if `condition` holds. A versioned entity needs
    /// [`delete_versioned`](Self::delete_versioned).
    fn delete<E: Entity>(&mut self, key: &E::Key, condition: Option<Condition>) -> Result<&mut Self>
    where
        Self: Sized,
    {
        unique::refuse::<E>("a transaction's delete")?;
        let (key, condition, _) = write::delete::<E>(self.schema(), key, None, condition)?;
        self.push(TransactWriteItem::Delete {
            key,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Deletes a versioned entity whose stored version is `version`, if `condition` holds.
    fn delete_versioned<E: Entity>(
        &mut self,
        key: &E::Key,
        version: u64,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        unique::refuse::<E>("a transaction's delete")?;
        let (key, condition, _) = write::delete::<E>(self.schema(), key, Some(version), condition)?;
        self.push(TransactWriteItem::Delete {
            key,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Adds an entity update (see [`write::update`]) as an update action; an entity with a
    /// validation hook or unique fields is refused (both need the stored item).
    #[doc(hidden)]
    fn push_update<E: Entity>(
        &mut self,
        key: &E::Key,
        update: Update,
        version: Option<u64>,
        condition: Option<Condition>,
        must_exist: bool,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        refuse_validating::<E>()?;
        let plan = write::update::<E>(
            self.schema(),
            key,
            update,
            version,
            condition,
            must_exist,
            write::UpdateTime {
                now: self.now(),
                stored: None,
            },
        )?;
        self.push_planned(plan)
    }

    /// Adds a planned write as an update action.
    #[doc(hidden)]
    fn push_planned(&mut self, plan: write::Planned) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push(TransactWriteItem::Update {
            key: plan.key,
            update: plan.update,
            condition: plan.condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Requires `condition` to hold on an entity, without writing it.
    fn check<E: Entity>(&mut self, key: &E::Key, condition: Condition) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let key = entity::primary_key::<E>(self.schema(), &Item::from_serialize(key)?)?;
        self.push(TransactWriteItem::ConditionCheck {
            key,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }
}

fn refuse_validating<E: Entity>() -> Result<()> {
    unique::refuse::<E>("a transaction's update")?;
    if E::VALIDATES {
        return Err(entity::validation_error::<E>(
            "",
            "this entity has a validation hook, which needs the whole entity: a transaction \
             cannot read it, so use put with the whole entity",
        ));
    }
    if entity::timestamps_in_index_keys::<E>() {
        return Err(entity::validation_error::<E>(
            "",
            "an index key of this entity uses a timestamp, which an update must compose \
             with the stored item's other attributes: a transaction cannot read it, so \
             update outside the transaction",
        ));
    }
    Ok(())
}

/// A write transaction being built: up to 100 actions, at most one per item, committed with
/// [`crate::RepositoryExt::commit`] or built inside [`crate::RepositoryExt::transaction`].
#[derive(Debug, Clone)]
pub struct Transaction {
    schema: TableSchema,
    now: String,
    request: TransactWrite,
}

impl Transaction {
    /// An empty transaction on `schema`'s table.
    pub fn new(schema: &TableSchema) -> Self {
        Transaction {
            schema: schema.clone(),
            now: entity::now_iso8601(),
            request: TransactWrite::default(),
        }
    }

    /// Sets the idempotency token (at most 36 characters).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.request.client_request_token = Some(token.into());
        self
    }

    /// Number of actions so far.
    pub fn len(&self) -> usize {
        self.request.items.len()
    }

    /// True if there is no action yet.
    pub fn is_empty(&self) -> bool {
        self.request.items.is_empty()
    }

    /// The request to send.
    pub fn into_request(self) -> TransactWrite {
        self.request
    }

    /// Requires `condition` on the item at `key`: joined to the condition of this
    /// transaction's action on that item, or as a condition check if it has none.
    pub(crate) fn guard(&mut self, key: &Item, condition: Condition) -> Result<()> {
        let key_of = |action: &TransactWriteItem| match action {
            TransactWriteItem::Put { item, .. } => self.schema.key_of(item),
            TransactWriteItem::Update { key, .. }
            | TransactWriteItem::Delete { key, .. }
            | TransactWriteItem::ConditionCheck { key, .. } => key.clone(),
        };
        let position = self.request.items.iter().position(|a| &key_of(a) == key);
        match position.map(|i| &mut self.request.items[i]) {
            Some(
                TransactWriteItem::Put { condition: c, .. }
                | TransactWriteItem::Update { condition: c, .. }
                | TransactWriteItem::Delete { condition: c, .. },
            ) => {
                *c = Some(match c.take() {
                    Some(existing) => existing.and(condition),
                    None => condition,
                });
                Ok(())
            }
            Some(TransactWriteItem::ConditionCheck { condition: c, .. }) => {
                *c = c.clone().and(condition);
                Ok(())
            }
            None => self.push(TransactWriteItem::ConditionCheck {
                key: key.clone(),
                condition,
                return_old_on_condition_failure: false,
            }),
        }
    }
}

impl TransactionContext for Transaction {
    fn schema(&self) -> &TableSchema {
        &self.schema
    }

    fn now(&self) -> &str {
        &self.now
    }

    fn push(&mut self, action: TransactWriteItem) -> Result<()> {
        if self.request.items.len() >= MAX_TRANSACTION_ACTIONS {
            return Err(Error::invalid(
                "Member must have length less than or equal to 100",
            ));
        }
        self.request.items.push(action);
        Ok(())
    }
}
