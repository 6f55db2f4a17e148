//! Repository URLs as command-line arguments: which backend, which schema, open for reading
//! or writing — with errors that name the argument.

use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types as ddb;
use monotable::{
    Error, IndexSchema, KeyAttribute, KeyType, Projection, Repository, Scan, TableSchema,
};

use crate::schema_file::SchemaFile;
use crate::{Failure, SchemaArgs};

/// The backend a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `sqlite://path`.
    SqliteFile(PathBuf),
    /// `sqlite::memory:`.
    SqliteMemory,
    /// `memory://`.
    Memory,
    /// `dynamodb://table?endpoint=…&region=…`.
    DynamoDb {
        /// Table name.
        table: String,
        /// `endpoint=` parameter.
        endpoint: Option<String>,
        /// `region=` parameter.
        region: Option<String>,
    },
}

/// A URL given as a command-line argument.
#[derive(Debug, Clone)]
pub struct Location {
    /// The argument's name in the usage (`URL`, `FROM`, `TO`), for error messages.
    pub arg: &'static str,
    /// The URL as given.
    pub url: String,
    /// What it names.
    pub kind: Kind,
}

impl Location {
    /// Classifies `url`; [`monotable::connect`] checks the rest when it is opened.
    pub fn parse(arg: &'static str, url: &str) -> Result<Location, Failure> {
        let fail = |why: String| Failure::new(format!("{arg} {url:?}: {why}"));
        let kind = if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            Kind::SqliteMemory
        } else {
            let Some((scheme, rest)) = url.split_once("://") else {
                return Err(fail(
                    "not a repository URL: expected sqlite://FILE, sqlite::memory:, memory:// or dynamodb://TABLE".into(),
                ));
            };
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            match scheme {
                "sqlite" => Kind::SqliteFile(PathBuf::from(path)),
                "memory" => Kind::Memory,
                "dynamodb" => {
                    let mut endpoint = None;
                    let mut region = None;
                    if path.is_empty() || path.contains('/') {
                        return Err(fail("names no table: dynamodb://TABLE".into()));
                    }
                    // Checked here as `connect` checks them, since DescribeTable comes first.
                    for pair in query.split('&').filter(|p| !p.is_empty()) {
                        match pair.split_once('=') {
                            Some(("endpoint", v)) => endpoint = Some(v.to_string()),
                            Some(("region", v)) => region = Some(v.to_string()),
                            Some((other, _)) => {
                                return Err(fail(format!(
                                    "unknown parameter {other:?}: dynamodb:// takes endpoint and region"
                                )))
                            }
                            None => return Err(fail(format!("parameter {pair:?} has no value"))),
                        }
                    }
                    Kind::DynamoDb {
                        table: path.to_string(),
                        endpoint,
                        region,
                    }
                }
                other => {
                    return Err(fail(format!(
                        "unknown scheme {other:?}: expected sqlite, memory or dynamodb"
                    )))
                }
            }
        };
        Ok(Location {
            arg,
            url: url.to_string(),
            kind,
        })
    }

    /// True for a backend that lives only in this process (`memory://`, `sqlite::memory:`).
    pub fn is_ephemeral(&self) -> bool {
        matches!(self.kind, Kind::Memory | Kind::SqliteMemory)
    }

    /// A failure about this argument.
    pub fn fail(&self, why: impl std::fmt::Display) -> Failure {
        Failure::new(format!("{} {}: {why}", self.arg, self.url))
    }

    /// A client for a `dynamodb://` URL: aws-config's default chain, with the URL's
    /// `endpoint` and `region` over it (as `monotable::connect` does).
    pub async fn dynamodb_client(&self) -> Option<aws_sdk_dynamodb::Client> {
        let Kind::DynamoDb {
            endpoint, region, ..
        } = &self.kind
        else {
            return None;
        };
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(e) = endpoint {
            loader = loader.endpoint_url(e);
        }
        if let Some(r) = region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        Some(aws_sdk_dynamodb::Client::new(&loader.load().await))
    }

    /// The schema to open this URL with: the `--schema` file; else, for DynamoDB, the
    /// table's own (DescribeTable); else the single-table layout named by `--table`.
    pub async fn schema(&self, args: &SchemaArgs) -> Result<TableSchema, Failure> {
        let mut schema = if let Some(path) = &args.schema {
            SchemaFile::load(path)?
        } else if let Some(client) = self.dynamodb_client().await {
            self.describe_table(&client).await?
        } else if let Some(table) = &args.table {
            let mut schema = TableSchema::single_table(table.clone());
            for gsi in &args.gsi {
                schema = schema.with_gsi(gsi);
            }
            schema
                .validate()
                .map_err(|e| Failure::new(format!("--table {table}: {e}")))?;
            schema
        } else {
            return Err(self.fail(
                "this backend does not record its table's key schema: pass --schema FILE \
                 (TOML or JSON; `monotable schema --help`), or --table NAME for the \
                 single-table layout (string keys pk and sk; --gsi NAME adds NAMEpk/NAMEsk)",
            ));
        };
        if let Kind::DynamoDb { table, .. } = &self.kind {
            // The URL names the table, as `connect` does.
            schema.name = table.clone();
        }
        Ok(schema)
    }

    /// A DynamoDB table's schema from DescribeTable (and DescribeTimeToLive).
    async fn describe_table(
        &self,
        client: &aws_sdk_dynamodb::Client,
    ) -> Result<TableSchema, Failure> {
        let Kind::DynamoDb { table, .. } = &self.kind else {
            return Err(self.fail("not a DynamoDB URL"));
        };
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception())
                {
                    self.fail(format!("table {table} does not exist"))
                } else {
                    self.fail(format!("DescribeTable failed: {}", DisplayErrorContext(&e)))
                }
            })?;
        let desc = out
            .table()
            .ok_or_else(|| self.fail(format!("table {table} does not exist")))?;
        let types: Vec<(&str, KeyType)> = desc
            .attribute_definitions()
            .iter()
            .map(|d| {
                let t = match d.attribute_type() {
                    ddb::ScalarAttributeType::N => KeyType::N,
                    ddb::ScalarAttributeType::B => KeyType::B,
                    _ => KeyType::S,
                };
                (d.attribute_name(), t)
            })
            .collect();
        let attr = |name: &str| {
            let t = types
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(KeyType::S, |(_, t)| *t);
            KeyAttribute::new(name, t)
        };
        // Every HASH, then every RANGE attribute (several of each in a multi-attribute index).
        let all_keys =
            |schema: &[ddb::KeySchemaElement], kind: ddb::KeyType| -> Vec<KeyAttribute> {
                schema
                    .iter()
                    .filter(|k| k.key_type() == &kind)
                    .map(|k| attr(k.attribute_name()))
                    .collect()
            };
        let keys = |schema: &[ddb::KeySchemaElement]| {
            let hash = all_keys(schema, ddb::KeyType::Hash).into_iter().next();
            let range = all_keys(schema, ddb::KeyType::Range).into_iter().next();
            (hash, range)
        };
        let projection = |p: Option<&ddb::Projection>| match p.and_then(|p| p.projection_type()) {
            Some(ddb::ProjectionType::KeysOnly) => Projection::KeysOnly,
            Some(ddb::ProjectionType::Include) => Projection::Include(
                p.map(|p| p.non_key_attributes().to_vec())
                    .unwrap_or_default(),
            ),
            _ => Projection::All,
        };
        let (Some(pk), sk) = keys(desc.key_schema()) else {
            return Err(self.fail("DescribeTable gave no partition key"));
        };
        let mut schema = TableSchema::new(table.clone(), pk);
        if let Some(sk) = sk {
            schema = schema.with_sort_key(sk);
        }
        for g in desc.global_secondary_indexes() {
            let hash = all_keys(g.key_schema(), ddb::KeyType::Hash);
            if hash.is_empty() {
                continue;
            }
            let range = all_keys(g.key_schema(), ddb::KeyType::Range);
            let index =
                IndexSchema::multi_attribute(g.index_name().unwrap_or_default(), hash, range)
                    .with_projection(projection(g.projection()));
            schema = schema.with_index(index);
        }
        for l in desc.local_secondary_indexes() {
            let (_, Some(sk)) = keys(l.key_schema()) else {
                continue;
            };
            schema = schema.with_index(
                IndexSchema::local(l.index_name().unwrap_or_default(), sk)
                    .with_projection(projection(l.projection())),
            );
        }
        if let Ok(ttl) = client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
        {
            if let Some(d) = ttl.time_to_live_description() {
                if matches!(
                    d.time_to_live_status(),
                    Some(ddb::TimeToLiveStatus::Enabled | ddb::TimeToLiveStatus::Enabling)
                ) {
                    if let Some(a) = d.attribute_name() {
                        schema = schema.with_ttl_attribute(a);
                    }
                }
            }
        }
        Ok(schema)
    }

    async fn connect(&self, schema: TableSchema) -> Result<Arc<dyn Repository>, Failure> {
        monotable::connect(&self.url, schema)
            .await
            .map_err(|e| self.fail(e))
    }

    /// Opens a URL to read from: its table must exist. A `memory://` URL is refused: it
    /// starts empty in every process.
    pub async fn open_source(&self, schema: TableSchema) -> Result<Arc<dyn Repository>, Failure> {
        if self.is_ephemeral() {
            return Err(self.fail(
                "an in-memory repository starts empty in every process, so there is nothing \
                 to read: it can only be a destination (to check items without keeping them)",
            ));
        }
        if let Kind::SqliteFile(path) = &self.kind {
            if !path.exists() {
                return Err(self.fail(format!("no such file: {}", path.display())));
            }
        }
        let repo = self.connect(schema).await?;
        self.probe(repo.as_ref(), false).await?;
        Ok(repo)
    }

    /// Opens a URL to write to: creates the table when `create` (always for the in-memory
    /// backends), else checks that it exists.
    pub async fn open_destination(
        &self,
        schema: TableSchema,
        create: bool,
    ) -> Result<Arc<dyn Repository>, Failure> {
        let repo = self.connect(schema).await?;
        if create || self.is_ephemeral() {
            repo.create_table().await.map_err(|e| self.fail(e))?;
        } else {
            self.probe(repo.as_ref(), true).await?;
        }
        Ok(repo)
    }

    /// Reads one item, to turn a missing table into a clear error before any work.
    async fn probe(&self, repo: &dyn Repository, destination: bool) -> Result<(), Failure> {
        let probe = Scan {
            limit: Some(1),
            ..Scan::default()
        };
        match repo.scan(probe).await {
            Ok(_) => Ok(()),
            Err(Error::TableNotFound { table }) => Err(self.fail(format!(
                "table {table} does not exist{}",
                if destination {
                    " (pass --create-table to create it from the schema)"
                } else {
                    ""
                }
            ))),
            Err(e) => Err(self.fail(e)),
        }
    }
}
