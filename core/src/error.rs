//! The one error type, classified by what a caller can do about it.

use crate::item::Item;

/// A `Result` whose error is monotable's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Boxed source error of a backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong, as variants a caller can act on.
///
/// ```
/// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// # repo.create(&order("o1", 10)).await?;
/// match repo.create(&order("o1", 20)).await {
///     Err(Error::AlreadyExists { entity, .. }) => assert_eq!(entity, "Order"),
///     other => panic!("expected AlreadyExists, got {other:?}"),
/// }
/// let absent = repo.patch::<Order>(&key("o9"), Update::new().set("total", 1)).await;
/// assert!(matches!(absent, Err(Error::NotFound { .. })));
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A condition on a write did not hold; nothing was written. `item` is the existing item
    /// when the caller asked for it (DynamoDB's `ReturnValuesOnConditionCheckFailure=ALL_OLD`).
    #[error("The conditional request failed")]
    ConditionFailed {
        /// The item as it was, if requested and present.
        item: Option<Box<Item>>,
    },
    /// `create` found an item with the same key.
    #[error("{entity} already exists: {key}")]
    AlreadyExists {
        /// Entity type.
        entity: String,
        /// The composed primary key, for messages.
        key: String,
    },
    /// A write that needs an existing item (`patch`) found none.
    #[error("{entity} not found: {key}")]
    NotFound {
        /// Entity type.
        entity: String,
        /// The composed primary key, for messages.
        key: String,
    },
    /// A write of a versioned entity found a different version stored than the one it was
    /// given (another writer got there first); nothing was written. Read the entity again
    /// and retry.
    #[error("{entity} {key}: version conflict, expected version {expected}")]
    VersionConflict {
        /// Entity type.
        entity: String,
        /// The composed primary key, for messages.
        key: String,
        /// The version the write expected to find (`0` for "no item yet").
        expected: String,
    },
    /// A value of a unique field is already held by another entity; nothing was written.
    #[error("{entity}.{field} must be unique: {value:?} is taken")]
    UniqueViolation {
        /// Entity type.
        entity: String,
        /// The unique field.
        field: String,
        /// The value (omitted from messages of sensitive fields by the caller).
        value: String,
    },
    /// A stored item has a newer schema version than this build of the entity knows; it
    /// is not decoded (upgrade the program first).
    #[error(
        "{entity} item has schema version {stored}, newer than the {supported} this program knows"
    )]
    SchemaVersion {
        /// Entity type.
        entity: String,
        /// The item's schema version.
        stored: u32,
        /// The entity's current schema version.
        supported: u32,
    },
    /// A transaction was cancelled; nothing was written. One reason per action, in order.
    #[error("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", reason_codes(.reasons))]
    TransactionCanceled {
        /// One reason per action, in the order the actions were given.
        reasons: Vec<CancellationReason>,
    },
    /// An entity's own validation rejected it before any write.
    #[error("invalid {entity}: {attribute}: {reason}")]
    Validation {
        /// Entity type.
        entity: String,
        /// The attribute at fault.
        attribute: String,
        /// Why.
        reason: String,
    },
    /// A key could not be composed: a part is missing, empty, contains the template's
    /// delimiter, or has a type that cannot be put in a key.
    #[error("invalid key for template {template:?}: part {part:?}: {reason}")]
    InvalidKey {
        /// The key template.
        template: String,
        /// The attribute (or part) at fault.
        part: String,
        /// Why.
        reason: String,
    },
    /// The item exceeds 400 KB.
    #[error("{message} ({size} bytes, limit {limit})")]
    ItemTooLarge {
        /// DynamoDB's message for the operation.
        message: String,
        /// The item's size under DynamoDB's rules.
        size: usize,
        /// The limit: 409,600 bytes.
        limit: usize,
    },
    /// A cursor that this query did not produce, or that was altered.
    #[error("invalid cursor: {reason}")]
    InvalidCursor {
        /// Why.
        reason: String,
    },
    /// The request breaks one of DynamoDB's rules (DynamoDB's `ValidationException`); the
    /// message is DynamoDB's text where one is known.
    #[error("{message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
    },
    /// A transaction's idempotency token was used before with a different request
    /// (DynamoDB's `IdempotentParameterMismatchException`); nothing was written.
    #[error("idempotency token reused with a different request{}", if .message.is_empty() { String::new() } else { format!(": {}", .message) })]
    IdempotencyMismatch {
        /// The service's message (DynamoDB Local sends an empty one).
        message: String,
    },
    /// A repository could not be opened as configured: an unknown URL scheme, a backend whose
    /// Cargo feature is off, a malformed option.
    #[error("cannot open repository: {message}")]
    Configuration {
        /// What is wrong, naming the argument or feature.
        message: String,
    },
    /// The table does not exist.
    #[error("Cannot do operations on a non-existent table: {table}")]
    TableNotFound {
        /// Table name.
        table: String,
    },
    /// The backend is overloaded or throttled the request; retrying later may succeed.
    #[error("throttled: {message}")]
    Throttled {
        /// Detail.
        message: String,
        /// The backend's error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A batch helper could not finish: some requests were not done after all attempts (or
    /// after an error that retrying cannot cure, or were never sent once another chunk had
    /// failed). `done` requests are known to be done; the others are listed by key.
    #[error("{count} batch request(s) not done after {attempts} attempt(s), {done} done{}", last_error(.source))]
    Unprocessed {
        /// How many requests are not known to be done (`keys.len()`).
        count: usize,
        /// The most attempts one chunk made.
        attempts: u32,
        /// How many requests are known to be done (written, deleted or read).
        done: usize,
        /// The primary keys of the requests not known to be done. When `source` may have
        /// been applied ([`Error::may_have_been_applied`]) some of them may be done.
        keys: Vec<Item>,
        /// The last error of the backend, if the batch failed on one (none when the only
        /// trouble was work the backend left unprocessed).
        #[source]
        source: Option<Box<Error>>,
    },
    /// A stream over the pages of a query stopped on an error (`source`).
    /// `resume_from` is the cursor after the last page it yielded whole — or the query's own
    /// starting cursor if none was — as the text of a `Cursor`: the same query
    /// `.after(Some(resume_from.parse()?))` continues without repeating or skipping an item.
    /// `None`: start the query from the beginning.
    #[error("query stream interrupted: {source}")]
    Interrupted {
        /// Where to resume: the text of a `Cursor`, or `None` for the beginning.
        resume_from: Option<String>,
        /// The error that stopped the stream.
        #[source]
        source: Box<Error>,
    },
    /// An entity could not be converted into an item.
    #[error("cannot encode entity: {source}")]
    Encode {
        /// serde's error.
        #[source]
        source: BoxError,
    },
    /// An item could not be decoded into the entity type.
    #[error("cannot decode item: {source}")]
    Decode {
        /// serde's error.
        #[source]
        source: BoxError,
    },
    /// The backend failed for its own reasons (I/O, connection, server error).
    #[error("{backend} backend error{}: {source}", if *.maybe_applied { " (the request may have been applied)" } else { "" })]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// Whether retrying may help.
        retryable: bool,
        /// True when the request may have been applied although it failed: a timeout or a
        /// lost connection after it was sent, or a server error. Retrying a write that is not
        /// idempotent (an `ADD`, a conditional create) may then apply it twice; see
        /// [`Error::may_have_been_applied`]. False when it certainly was not applied.
        maybe_applied: bool,
        /// The backend's error.
        #[source]
        source: BoxError,
    },
}

fn last_error(source: &Option<Box<Error>>) -> String {
    source
        .as_ref()
        .map(|e| format!("; last error: {e}"))
        .unwrap_or_default()
}

fn reason_codes(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Error {
    /// True where retrying the same request later may succeed.
    ///
    /// ```
    /// use monotable_core::{CancellationCode, CancellationReason, Error};
    /// let throttled = Error::Throttled { message: "slow down".into(), source: None };
    /// assert!(throttled.is_retryable());
    /// let conflict = CancellationReason {
    ///     code: CancellationCode::TransactionConflict,
    ///     ..CancellationReason::none()
    /// };
    /// assert!(Error::TransactionCanceled { reasons: vec![conflict] }.is_retryable());
    /// assert!(!Error::invalid("One or more parameter values were invalid").is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Throttled { .. } => true,
            Error::Unprocessed { source, .. } => source.as_ref().is_none_or(|e| e.is_retryable()),
            Error::Interrupted { source, .. } => source.is_retryable(),
            Error::Backend { retryable, .. } => *retryable,
            Error::TransactionCanceled { reasons } => reasons.iter().any(|r| {
                matches!(
                    r.code,
                    CancellationCode::TransactionConflict | CancellationCode::ThrottlingError
                )
            }),
            _ => false,
        }
    }

    /// True where the failed request may nevertheless have been applied (a timeout or a lost
    /// connection after it was sent, a server error): retry only writes that are idempotent
    /// (a put of the same item, a transaction with the same token), or read first. False
    /// means it certainly was not applied.
    ///
    /// ```
    /// use monotable_core::Error;
    /// let timeout = Error::Backend {
    ///     backend: "dynamodb",
    ///     retryable: true,
    ///     maybe_applied: true, // sent, then the connection was lost
    ///     source: "timed out".into(),
    /// };
    /// assert!(timeout.is_retryable() && timeout.may_have_been_applied());
    /// assert!(!Error::backend("sqlite", true, "database is locked").may_have_been_applied());
    /// ```
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Error::Backend { maybe_applied, .. } => *maybe_applied,
            Error::Unprocessed { source, .. } => {
                source.as_ref().is_some_and(|e| e.may_have_been_applied())
            }
            Error::Interrupted { source, .. } => source.may_have_been_applied(),
            _ => false,
        }
    }

    /// Shorthand for [`Error::InvalidRequest`].
    ///
    /// ```
    /// use monotable_core::Error;
    /// let e = Error::invalid("Limit must be at least 1");
    /// assert!(matches!(&e, Error::InvalidRequest { message } if message.starts_with("Limit")));
    /// assert_eq!(e.to_string(), "Limit must be at least 1");
    /// ```
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            message: message.into(),
        }
    }

    /// Wraps a serialization error.
    pub fn encode(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Encode {
            source: Box::new(e),
        }
    }

    /// Wraps a deserialization error.
    pub fn decode(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Decode {
            source: Box::new(e),
        }
    }

    /// Wraps a backend error that was certainly not applied.
    pub fn backend(backend: &'static str, retryable: bool, e: impl Into<BoxError>) -> Self {
        Error::Backend {
            backend,
            retryable,
            maybe_applied: false,
            source: e.into(),
        }
    }
}

/// Why one action of a cancelled transaction failed (DynamoDB's `CancellationReason`).
///
/// ```
/// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// repo.create(&order("o1", 10)).await?;
/// let failed = repo.transaction(|tx| {
///     tx.create(&order("o2", 20))?.create(&order("o1", 30))?; // o1 is taken
///     Ok(())
/// }).await;
/// let Err(Error::TransactionCanceled { reasons }) = failed else { panic!("{failed:?}") };
/// let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
/// assert_eq!(codes, ["None", "ConditionalCheckFailed"]); // one per action, in order
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// The code.
    pub code: CancellationCode,
    /// DynamoDB's message, if any.
    pub message: Option<String>,
    /// The existing item, when the action asked for it on a failed condition.
    pub item: Option<Item>,
}

impl CancellationReason {
    /// The reason for an action that was fine.
    pub fn none() -> Self {
        CancellationReason {
            code: CancellationCode::None,
            message: None,
            item: None,
        }
    }
}

/// The code of a [`CancellationReason`].
///
/// ```
/// use monotable_core::CancellationCode;
/// let code = CancellationCode::from_name("TransactionConflict");
/// assert_eq!(code, CancellationCode::TransactionConflict);
/// assert_eq!(code.as_str(), "TransactionConflict");
/// let other = CancellationCode::from_name("ItemCollectionSizeLimitExceeded");
/// assert_eq!(other.as_str(), "ItemCollectionSizeLimitExceeded");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancellationCode {
    /// The action was fine; another one failed.
    None,
    /// The action's condition did not hold.
    ConditionalCheckFailed,
    /// The action was invalid for the item it met (bad path, wrong type, too large…).
    ValidationError,
    /// Another transaction was working on the item.
    TransactionConflict,
    /// The request was throttled.
    ThrottlingError,
    /// Any other code DynamoDB reports.
    Other(String),
}

impl CancellationCode {
    /// DynamoDB's name for the code.
    pub fn as_str(&self) -> &str {
        match self {
            CancellationCode::None => "None",
            CancellationCode::ConditionalCheckFailed => "ConditionalCheckFailed",
            CancellationCode::ValidationError => "ValidationError",
            CancellationCode::TransactionConflict => "TransactionConflict",
            CancellationCode::ThrottlingError => "ThrottlingError",
            CancellationCode::Other(s) => s,
        }
    }

    /// The code named by DynamoDB's name.
    pub fn from_name(name: &str) -> Self {
        match name {
            "None" => CancellationCode::None,
            "ConditionalCheckFailed" => CancellationCode::ConditionalCheckFailed,
            "ValidationError" => CancellationCode::ValidationError,
            "TransactionConflict" => CancellationCode::TransactionConflict,
            "ThrottlingError" => CancellationCode::ThrottlingError,
            other => CancellationCode::Other(other.to_string()),
        }
    }
}
