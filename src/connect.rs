//! Opening a repository by URL, as sqlx and object_store do: the backend is chosen by
//! configuration, and Cargo features decide only what is compiled in.

use std::sync::Arc;

use monotable_core::{Error, Repository, Result, TableSchema};

/// Opens the repository a URL names, for `schema`'s table:
///
/// | URL | backend | feature |
/// | --- | --- | --- |
/// | `sqlite://path/to/file.db`, `sqlite:///absolute/path.db` | SQLite file (created if missing) | `sqlite` (default) |
/// | `sqlite::memory:` | SQLite in memory | `sqlite` |
/// | `memory://` | the in-memory `BTreeMap` | `memory` |
/// | `dynamodb://<table>` | DynamoDB, table `<table>` | `dynamodb` |
///
/// For DynamoDB, region, credentials and endpoint come from aws-config's default chain
/// (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, profiles, …); the query parameters
/// `endpoint=<url>` and `region=<name>` override them
/// (`dynamodb://orders?endpoint=http://localhost:8000&region=us-east-1`). A table name in
/// the URL replaces the schema's. The table is not created: call
/// [`create_table`](Repository::create_table).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> monotable::Result<()> {
/// use monotable::{Error, TableSchema};
/// let repo = monotable::connect("sqlite::memory:", TableSchema::single_table("app")).await?;
/// repo.create_table().await?;
/// assert_eq!(repo.schema().name, "app");
/// let unknown = monotable::connect("postgres://db", TableSchema::single_table("app")).await;
/// let Err(Error::Configuration { message }) = unknown else { panic!("a configuration error") };
/// assert!(message.contains("unknown scheme \"postgres\""));
/// # Ok(()) }
/// ```
///
/// In an application, the URL comes from the configuration:
///
/// ```no_run
/// # async fn run() -> monotable::Result<()> {
/// let schema = monotable::TableSchema::single_table("app");
/// let url = std::env::var("MONOTABLE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
/// let repo = monotable::connect(&url, schema).await?;
/// repo.create_table().await?;
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`Error::Configuration`] for an unknown scheme, a malformed URL or parameter, or a
/// backend whose Cargo feature is off (the message names the feature); the backend's own
/// errors when it cannot be opened.
pub async fn connect(url: &str, schema: TableSchema) -> Result<Arc<dyn Repository>> {
    let target = Target::parse(url)?;
    target.open(schema).await
}

/// A parsed repository URL.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SqliteFile(String),
    SqliteMemory,
    Memory,
    DynamoDb {
        table: String,
        endpoint: Option<String>,
        region: Option<String>,
    },
}

fn config(message: impl Into<String>) -> Error {
    Error::Configuration {
        message: message.into(),
    }
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(Target::SqliteMemory);
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(config(format!(
                "{url:?} is not a repository URL: expected sqlite://path, sqlite::memory:, \
                 memory:// or dynamodb://table"
            )));
        };
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut params = Vec::new();
        for pair in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| config(format!("parameter {pair:?} in {url:?} has no value")))?;
            params.push((k.to_string(), v.to_string()));
        }
        let target = match scheme {
            "sqlite" if path.is_empty() => {
                return Err(config(format!(
                    "{url:?} names no file: sqlite://path/to/file.db"
                )))
            }
            "sqlite" if path == ":memory:" => Target::SqliteMemory,
            "sqlite" => Target::SqliteFile(path.to_string()),
            "memory" if path.is_empty() => Target::Memory,
            "memory" => {
                return Err(config(format!("{url:?}: memory:// takes no path")));
            }
            "dynamodb" => {
                if path.is_empty() || path.contains('/') {
                    return Err(config(format!(
                        "{url:?} names no table: dynamodb://<table>"
                    )));
                }
                let mut endpoint = None;
                let mut region = None;
                for (k, v) in &params {
                    match k.as_str() {
                        "endpoint" => endpoint = Some(v.clone()),
                        "region" => region = Some(v.clone()),
                        other => {
                            return Err(config(format!(
                                "unknown parameter {other:?} in {url:?}: dynamodb:// takes \
                                 endpoint and region"
                            )))
                        }
                    }
                }
                Target::DynamoDb {
                    table: path.to_string(),
                    endpoint,
                    region,
                }
            }
            other => {
                return Err(config(format!(
                    "unknown scheme {other:?} in {url:?}: expected sqlite, memory or dynamodb"
                )))
            }
        };
        if !params.is_empty() && !matches!(target, Target::DynamoDb { .. }) {
            return Err(config(format!(
                "{url:?}: only dynamodb:// takes parameters"
            )));
        }
        Ok(target)
    }

    #[allow(unused_variables, unreachable_code)]
    async fn open(self, schema: TableSchema) -> Result<Arc<dyn Repository>> {
        match self {
            Target::SqliteFile(path) => {
                #[cfg(feature = "sqlite")]
                return Ok(Arc::new(crate::SqliteRepository::new(
                    crate::SqliteStorage::open(path)?,
                    schema,
                )?));
                Err(feature_off("sqlite://", "sqlite"))
            }
            Target::SqliteMemory => {
                #[cfg(feature = "sqlite")]
                return Ok(Arc::new(crate::SqliteRepository::new(
                    crate::SqliteStorage::in_memory()?,
                    schema,
                )?));
                Err(feature_off("sqlite::memory:", "sqlite"))
            }
            Target::Memory => {
                #[cfg(feature = "memory")]
                return Ok(Arc::new(crate::MemoryRepository::new(
                    crate::MemoryStorage::new(),
                    schema,
                )?));
                Err(feature_off("memory://", "memory"))
            }
            Target::DynamoDb {
                table,
                endpoint,
                region,
            } => {
                #[cfg(feature = "dynamodb")]
                {
                    let mut schema = schema;
                    schema.name = table;
                    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                    if let Some(e) = endpoint {
                        loader = loader.endpoint_url(e);
                    }
                    if let Some(r) = region {
                        loader = loader.region(aws_config::Region::new(r));
                    }
                    let client = aws_sdk_dynamodb::Client::new(&loader.load().await);
                    return Ok(Arc::new(crate::DynamoDbRepository::with_client(
                        client, schema,
                    )?));
                }
                Err(feature_off("dynamodb://", "dynamodb"))
            }
        }
    }
}

fn feature_off(scheme: &str, feature: &str) -> Error {
    config(format!(
        "{scheme} URLs need the `{feature}` feature of monotable, which this build does not \
         enable: add features = [\"{feature}\"] to the monotable dependency"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        assert_eq!(
            Target::parse("sqlite://data/app.db").unwrap(),
            Target::SqliteFile("data/app.db".into())
        );
        assert_eq!(
            Target::parse("sqlite:///tmp/x.db").unwrap(),
            Target::SqliteFile("/tmp/x.db".into())
        );
        assert_eq!(
            Target::parse("sqlite::memory:").unwrap(),
            Target::SqliteMemory
        );
        assert_eq!(Target::parse("memory://").unwrap(), Target::Memory);
        assert_eq!(
            Target::parse("dynamodb://orders?endpoint=http://localhost:8000&region=eu-west-1")
                .unwrap(),
            Target::DynamoDb {
                table: "orders".into(),
                endpoint: Some("http://localhost:8000".into()),
                region: Some("eu-west-1".into()),
            }
        );
    }

    #[test]
    fn bad_urls_name_what_is_wrong() {
        for (url, says) in [
            ("postgres://x", "unknown scheme \"postgres\""),
            ("orders.db", "is not a repository URL"),
            ("sqlite://", "names no file"),
            ("dynamodb://", "names no table"),
            ("dynamodb://t?colour=red", "unknown parameter \"colour\""),
            ("dynamodb://t?endpoint", "has no value"),
            ("memory://x", "takes no path"),
            ("sqlite://a.db?x=1", "only dynamodb:// takes parameters"),
        ] {
            match Target::parse(url) {
                Err(Error::Configuration { message }) => {
                    assert!(message.contains(says), "{url}: {message}")
                }
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}
