//! Table administration: CreateTable, UpdateTable, DescribeTable and DeleteTable, which the
//! `Repository` contract does not carry (see [`Backend`](super::Backend)).
//!
//! Sent to an endpoint, a request goes as recorded and the runner only keeps its
//! repositories in step. Replayed through the contract, every answer is still the
//! backend's or core's: the conversion of a CreateTable body gives DynamoDB's messages for
//! what only the body shows (key order, attribute definitions, enum values: MK2, MK4, MK8),
//! [`TableSchema::validate`] those of the schema (MK1, MK3, MK5), and the backend answers
//! `create_table` and whether a table exists.

use std::sync::Arc;

use monotable_core::{Repository, Scan, TableSchema};
use serde_json::{json, Map, Value as Json};

use super::load::{schema_of, updated_schema, Refused};
use super::tables::{wire_error, Fail, Skip, Tables, WireError};
use super::AdminSend;

/// A refused body: DynamoDB's validation error, or a skip.
fn refused(r: Refused) -> Fail {
    match r {
        Refused::Invalid(m) => WireError::validation(m).into(),
        Refused::Outside(why) => Skip(why).into(),
    }
}

/// Runs one table administration request; a success is an empty response (the vectors
/// record the status only).
pub(super) async fn execute(tables: &Tables, op: &str, body: &Json) -> Result<Json, Fail> {
    let name = body["TableName"]
        .as_str()
        .ok_or_else(|| Skip("no TableName: a repository is always of one named table".into()))?;
    match tables.backend.admin.clone() {
        Some(send) => on_the_wire(tables, &send, op, name, body).await,
        None => through_the_contract(tables, op, name, body).await,
    }
}

/// Sends the request as it is; keeps the repositories in step with what it did.
async fn on_the_wire(
    tables: &Tables,
    send: &AdminSend,
    op: &str,
    name: &str,
    body: &Json,
) -> Result<Json, Fail> {
    tables
        .reached
        .store(true, std::sync::atomic::Ordering::Relaxed);
    send(op.to_string(), body.clone())
        .await
        .map_err(|e| WireError {
            code: e.code,
            message: e.message,
            extra: Map::new(),
        })?;
    match op {
        // A table the conversion cannot read or that the schema model refuses (DynamoDB
        // Local's unknown KeyType, MK8) has no repository: the vectors send it nothing more.
        "CreateTable" => {
            if let Ok(schema) = schema_of(body).map_err(drop).and_then(|s| {
                s.validate().map_err(drop)?;
                Ok(s)
            }) {
                tables.keep(name, (tables.backend.factory)(schema).await);
            }
        }
        "UpdateTable" => {
            if let Some(repo) = tables.created(name) {
                let schema = updated_schema(repo.schema(), body)
                    .map_err(|r| format!("{r:?}"))
                    .and_then(|s| s.validate().map(|_| s).map_err(|e| e.to_string()))
                    .map_err(|why| {
                        Skip(format!(
                            "UpdateTable succeeded, but the runner cannot follow it ({why})"
                        ))
                    })?;
                let reopen = tables
                    .backend
                    .reopen
                    .clone()
                    .unwrap_or_else(|| tables.backend.factory.clone());
                tables.keep(name, reopen(schema).await);
            }
        }
        "DeleteTable" => tables.forget(name),
        _ => {}
    }
    Ok(json!({}))
}

/// Whether the backend has the table: a Scan of one item answers, or fails with
/// `TableNotFound` (`ResourceNotFoundException`).
async fn exists(repo: &Arc<dyn Repository>) -> Result<(), Fail> {
    repo.scan(Scan {
        limit: Some(1),
        ..Default::default()
    })
    .await?;
    Ok(())
}

async fn through_the_contract(
    tables: &Tables,
    op: &str,
    name: &str,
    body: &Json,
) -> Result<Json, Fail> {
    if monotable_core::schema::validate_table_name(name).is_err() {
        return Err(
            Skip("an invalid table name: a repository of it cannot be constructed".into()).into(),
        );
    }
    match op {
        "CreateTable" => {
            let schema: TableSchema = schema_of(body).map_err(refused)?;
            schema.validate().map_err(wire_error)?;
            if tables.created(name).is_some() {
                return Err(WireError {
                    code: "ResourceInUseException".into(),
                    message: format!("Table already exists: {name}"),
                    extra: Map::new(),
                }
                .into());
            }
            let repo = (tables.backend.factory)(schema).await;
            tables.track(repo.clone()).create_table().await?;
            tables.keep(name, repo);
        }
        "DescribeTable" => exists(&tables.named(name, None).await?).await?,
        "DeleteTable" => {
            exists(&tables.named(name, None).await?).await?;
            return Err(Skip(
                "DeleteTable of a table that exists: the contract cannot drop a table".into(),
            )
            .into());
        }
        "UpdateTable" => {
            let repo = tables.named(name, None).await?;
            exists(&repo).await?;
            let schema = updated_schema(repo.schema(), body).map_err(refused)?;
            schema.validate().map_err(wire_error)?;
            let Some(reopen) = tables.backend.reopen.clone() else {
                return Err(Skip(
                    "UpdateTable: the backend gives no way to reopen its table under a wider schema"
                        .into(),
                )
                .into());
            };
            // The same store under the wider schema: `create_table` fills the new index
            // from the items already there (MK7).
            let repo = reopen(schema).await;
            tables.track(repo.clone()).create_table().await?;
            tables.keep(name, repo);
        }
        other => {
            return Err(Skip(format!(
                "{other} is not table administration the runner knows"
            ))
            .into())
        }
    }
    Ok(json!({}))
}
