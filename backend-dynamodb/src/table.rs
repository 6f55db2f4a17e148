//! Table administration: creating the table from the schema, waiting until it is active,
//! and comparing an existing table with the schema.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types as ddb;
use monotable_core::{Error, IndexKind, Projection, QueryKeys, Result};
use tracing::Instrument;

use crate::error::{build_error, map_error};
use crate::{trace, Billing, DynamoDbRepository};

impl DynamoDbRepository {
    fn key_schema(
        attrs: impl Iterator<Item = (String, ddb::KeyType)>,
    ) -> Result<Vec<ddb::KeySchemaElement>> {
        attrs
            .map(|(name, kt)| {
                ddb::KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(kt)
                    .build()
                    .map_err(build_error)
            })
            .collect()
    }

    /// The KeySchema of the table or an index: every partition attribute as HASH, then
    /// every sort attribute as RANGE, in order (several of each for a multi-attribute index).
    fn keys_of(keys: QueryKeys<'_>) -> Result<Vec<ddb::KeySchemaElement>> {
        Self::key_schema(
            keys.partition
                .iter()
                .map(|k| (k.name.clone(), ddb::KeyType::Hash))
                .chain(
                    keys.sort
                        .iter()
                        .map(|k| (k.name.clone(), ddb::KeyType::Range)),
                ),
        )
    }

    fn projection(p: &Projection) -> ddb::Projection {
        match p {
            Projection::All => ddb::Projection::builder()
                .projection_type(ddb::ProjectionType::All)
                .build(),
            Projection::KeysOnly => ddb::Projection::builder()
                .projection_type(ddb::ProjectionType::KeysOnly)
                .build(),
            Projection::Include(list) => ddb::Projection::builder()
                .projection_type(ddb::ProjectionType::Include)
                .set_non_key_attributes(Some(list.clone()))
                .build(),
        }
    }

    fn throughput(&self) -> Result<Option<ddb::ProvisionedThroughput>> {
        match self.billing {
            Billing::OnDemand => Ok(None),
            Billing::Provisioned { read, write } => ddb::ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map(Some)
                .map_err(build_error),
        }
    }

    /// DescribeTable of this table.
    async fn describe(
        &self,
    ) -> Result<aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput> {
        self.client
            .describe_table()
            .table_name(self.table())
            .send()
            .await
            .map_err(|e| map_error(e, None, self.table()))
    }

    async fn wait_active(&self) -> Result<()> {
        for attempt in 0..120u32 {
            let out = self.describe().await?;
            let table = out.table();
            let active = table.and_then(|t| t.table_status()) == Some(&ddb::TableStatus::Active)
                && table
                    .map(|t| t.global_secondary_indexes())
                    .unwrap_or_default()
                    .iter()
                    .all(|g| g.index_status() == Some(&ddb::IndexStatus::Active));
            if active {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(20)) + 50)).await;
        }
        Err(Error::backend(
            "dynamodb",
            true,
            format!("table {} did not become active", self.table()),
        ))
    }

    /// Compares the existing table with the schema; returns one sentence per difference
    /// (empty when they agree).
    ///
    /// # Errors
    ///
    /// [`Error::TableNotFound`] if the table does not exist.
    pub async fn check_table(&self) -> Result<Vec<String>> {
        let out = self.describe().await?;
        let Some(table) = out.table() else {
            return Err(Error::TableNotFound {
                table: self.table().to_string(),
            });
        };
        let mut diffs = Vec::new();
        let types: HashMap<&str, &ddb::ScalarAttributeType> = table
            .attribute_definitions()
            .iter()
            .map(|d| (d.attribute_name(), d.attribute_type()))
            .collect();
        let describe = |keys: &[ddb::KeySchemaElement]| -> Vec<String> {
            keys.iter()
                .map(|k| {
                    format!(
                        "{} {} {}",
                        k.key_type().as_str(),
                        k.attribute_name(),
                        types
                            .get(k.attribute_name())
                            .map(|t| t.as_str())
                            .unwrap_or("?")
                    )
                })
                .collect()
        };
        let expect = |keys: QueryKeys<'_>| -> Vec<String> {
            let ty = |k: &monotable_core::KeyAttribute| k.key_type.value_type().name().to_string();
            let hash = keys
                .partition
                .iter()
                .map(|k| format!("HASH {} {}", k.name, ty(k)));
            let range = keys
                .sort
                .iter()
                .map(|k| format!("RANGE {} {}", k.name, ty(k)));
            hash.chain(range).collect()
        };
        let want = expect(self.schema.query_keys(None));
        let have = describe(table.key_schema());
        if want != have {
            diffs.push(format!(
                "table key: schema has {want:?}, table has {have:?}"
            ));
        }
        for index in &self.schema.indexes {
            let found: Option<(Vec<String>, Option<&ddb::Projection>)> = match index.kind {
                IndexKind::Global => table
                    .global_secondary_indexes()
                    .iter()
                    .find(|g| g.index_name() == Some(index.name.as_str()))
                    .map(|g| (describe(g.key_schema()), g.projection())),
                IndexKind::Local => table
                    .local_secondary_indexes()
                    .iter()
                    .find(|l| l.index_name() == Some(index.name.as_str()))
                    .map(|l| (describe(l.key_schema()), l.projection())),
            };
            match found {
                None => diffs.push(format!("index {}: missing from the table", index.name)),
                Some((have, projection)) => {
                    let want = expect(index.query_keys());
                    if want != have {
                        diffs.push(format!(
                            "index {}: schema has keys {want:?}, table has {have:?}",
                            index.name
                        ));
                    }
                    let want_p = Self::projection(&index.projection);
                    let same = projection.map(|p| (p.projection_type(), p.non_key_attributes()))
                        == Some((want_p.projection_type(), want_p.non_key_attributes()));
                    if !same {
                        diffs.push(format!(
                            "index {}: projection differs ({:?} in the table)",
                            index.name,
                            projection.and_then(|p| p.projection_type())
                        ));
                    }
                }
            }
        }
        for g in table.global_secondary_indexes() {
            if !self
                .schema
                .indexes
                .iter()
                .any(|i| Some(i.name.as_str()) == g.index_name())
            {
                diffs.push(format!(
                    "index {}: in the table, not in the schema",
                    g.index_name().unwrap_or("?")
                ));
            }
        }
        Ok(diffs)
    }

    /// AttributeDefinitions for these key attributes, each name once.
    fn definitions<'a>(
        attrs: impl Iterator<Item = &'a monotable_core::KeyAttribute>,
    ) -> Result<Vec<ddb::AttributeDefinition>> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for a in attrs {
            if seen.contains(&a.name.as_str()) {
                continue;
            }
            seen.push(&a.name);
            let t = match a.key_type {
                monotable_core::KeyType::S => ddb::ScalarAttributeType::S,
                monotable_core::KeyType::N => ddb::ScalarAttributeType::N,
                monotable_core::KeyType::B => ddb::ScalarAttributeType::B,
            };
            out.push(
                ddb::AttributeDefinition::builder()
                    .attribute_name(&a.name)
                    .attribute_type(t)
                    .build()
                    .map_err(build_error)?,
            );
        }
        Ok(out)
    }

    /// Adds, one UpdateTable at a time, each global index of the schema that the existing
    /// table lacks, and waits until it is active. A missing local index cannot be added to
    /// an existing table (DynamoDB's rule): that is an `Error::Configuration`.
    async fn add_missing_indexes(&self) -> Result<()> {
        let out = self.describe().await?;
        let table = out.table();
        let has = |name: &str, kind: IndexKind| match kind {
            IndexKind::Global => table.is_some_and(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .any(|g| g.index_name() == Some(name))
            }),
            IndexKind::Local => table.is_some_and(|t| {
                t.local_secondary_indexes()
                    .iter()
                    .any(|l| l.index_name() == Some(name))
            }),
        };
        for index in &self.schema.indexes {
            if has(&index.name, index.kind) {
                continue;
            }
            if index.kind == IndexKind::Local {
                return Err(Error::Configuration {
                    message: format!(
                        "table {} exists without local index {}: DynamoDB creates local \
                         indexes only with the table",
                        self.table(),
                        index.name
                    ),
                });
            }
            let create = ddb::CreateGlobalSecondaryIndexAction::builder()
                .index_name(&index.name)
                .set_key_schema(Some(Self::keys_of(index.query_keys())?))
                .projection(Self::projection(&index.projection))
                .set_provisioned_throughput(self.throughput()?)
                .build()
                .map_err(build_error)?;
            self.client
                .update_table()
                .table_name(self.table())
                .set_attribute_definitions(Some(Self::definitions(index.keys())?))
                .global_secondary_index_updates(
                    ddb::GlobalSecondaryIndexUpdate::builder()
                        .create(create)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| map_error(e, None, self.table()))?;
            self.wait_active().await?;
        }
        Ok(())
    }

    pub(crate) async fn create_table_now(&self) -> Result<()> {
        let span = trace::span(self.table(), "CreateTable");
        async {
            let definitions = Self::definitions(
                self.schema
                    .keys()
                    .chain(self.schema.indexes.iter().flat_map(|i| i.keys())),
            )?;
            let throughput = self.throughput()?;
            let mut gsis = Vec::new();
            let mut lsis = Vec::new();
            for index in &self.schema.indexes {
                let keys = Self::keys_of(index.query_keys())?;
                match index.kind {
                    IndexKind::Global => gsis.push(
                        ddb::GlobalSecondaryIndex::builder()
                            .index_name(&index.name)
                            .set_key_schema(Some(keys))
                            .projection(Self::projection(&index.projection))
                            .set_provisioned_throughput(throughput.clone())
                            .build()
                            .map_err(build_error)?,
                    ),
                    IndexKind::Local => lsis.push(
                        ddb::LocalSecondaryIndex::builder()
                            .index_name(&index.name)
                            .set_key_schema(Some(keys))
                            .projection(Self::projection(&index.projection))
                            .build()
                            .map_err(build_error)?,
                    ),
                }
            }
            let billing = match self.billing {
                Billing::OnDemand => ddb::BillingMode::PayPerRequest,
                Billing::Provisioned { .. } => ddb::BillingMode::Provisioned,
            };
            let created = self
                .client
                .create_table()
                .table_name(self.table())
                .set_attribute_definitions(Some(definitions))
                .set_key_schema(Some(Self::keys_of(self.schema.query_keys(None))?))
                .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
                .set_local_secondary_indexes((!lsis.is_empty()).then_some(lsis))
                .billing_mode(billing)
                .set_provisioned_throughput(throughput)
                .send()
                .await;
            match created {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .map(|s| s.is_resource_in_use_exception())
                        == Some(true) =>
                {
                    // The table exists: add the global indexes the schema declares and it
                    // lacks, as the local backends do (DynamoDB fills them: MK7).
                    self.wait_active().await?;
                    self.add_missing_indexes().await?;
                }
                Err(e) => return Err(map_error(e, None, self.table())),
            }
            self.wait_active().await?;
            if let Some(ttl) = &self.schema.ttl_attribute {
                let spec = ddb::TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(ttl)
                    .build()
                    .map_err(build_error)?;
                let r = self
                    .client
                    .update_time_to_live()
                    .table_name(self.table())
                    .time_to_live_specification(spec)
                    .send()
                    .await;
                if let Err(e) = r {
                    // Enabling TTL twice is refused with a ValidationException: already done.
                    if e.as_service_error().and_then(|s| s.code()) != Some("ValidationException") {
                        return Err(map_error(e, None, self.table()));
                    }
                }
            }
            Ok(())
        }
        .instrument(span)
        .await
    }
}
