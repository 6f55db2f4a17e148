//! Write transactions: DynamoDB's write set, collected and committed at once.

use crate::entity::update::entity_update;
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, Path, Update};
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

    /// Creates an entity; the transaction is cancelled if its key is taken.
    fn create<E: Entity>(&mut self, entity: &E) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let mut item = entity::entity_item(self.schema(), entity, self.now())?;
        if let Some(v) = E::options().version_attribute {
            item.insert(v.to_string(), 1.into());
        }
        let pk = Path::attr(self.schema().partition_key.name.clone());
        self.push(TransactWriteItem::Put {
            item,
            condition: Some(pk.not_exists()),
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Puts an entity, if `condition` holds.
    fn put<E: Entity>(&mut self, entity: &E, condition: Option<Condition>) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let item = entity::entity_item(self.schema(), entity, self.now())?;
        self.push(TransactWriteItem::Put {
            item,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Updates (upserts) an entity, if `condition` holds.
    fn update<E: Entity>(
        &mut self,
        key: &E::Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let (key, update) = entity_update::<E>(self.schema(), key, update, self.now())?;
        self.push(TransactWriteItem::Update {
            key,
            update,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Updates an entity that must exist.
    fn patch<E: Entity>(&mut self, key: &E::Key, update: Update) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let exists = Path::attr(self.schema().partition_key.name.clone()).exists();
        self.update::<E>(key, update, Some(exists))
    }

    /// Deletes an entity, if `condition` holds.
    fn delete<E: Entity>(&mut self, key: &E::Key, condition: Option<Condition>) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let key = entity::primary_key::<E>(self.schema(), &Item::from_serialize(key)?)?;
        self.push(TransactWriteItem::Delete {
            key,
            condition,
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
                "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
            ));
        }
        self.request.items.push(action);
        Ok(())
    }
}
