//! Creating tables from the schema, idempotently, and checking an existing table against a
//! schema, on DynamoDB Local.

mod support;

use monotable_core::{IndexSchema, KeyAttribute, Projection, Repository, TableSchema};
use monotable_dynamodb::{Billing, DynamoDbRepository};

fn name(tag: &str) -> String {
    format!("mt-tables-{tag}-{}", std::process::id())
}

#[tokio::test]
async fn create_is_idempotent_and_check_finds_no_difference() {
    let schema = TableSchema::single_table(name("same"))
        .with_gsi("gsi1")
        .with_index(IndexSchema::local("lsi1", KeyAttribute::n("rank")))
        .with_index(
            IndexSchema::global("keys", KeyAttribute::s("kpk"))
                .with_projection(Projection::KeysOnly),
        )
        .with_ttl_attribute("expires");
    let repo = DynamoDbRepository::with_client(support::client(), schema).unwrap();
    repo.create_table().await.unwrap();
    repo.create_table().await.unwrap();
    assert_eq!(repo.check_table().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn check_reports_each_difference() {
    let table = name("diff");
    let created = TableSchema::single_table(&table).with_gsi("gsi1");
    DynamoDbRepository::with_client(support::client(), created)
        .unwrap()
        .with_billing(Billing::Provisioned { read: 5, write: 5 })
        .create_table()
        .await
        .unwrap();
    let wanted = TableSchema::new(&table, KeyAttribute::s("pk"))
        .with_sort_key(KeyAttribute::n("sk"))
        .with_gsi("gsi2");
    let diffs = DynamoDbRepository::with_client(support::client(), wanted)
        .unwrap()
        .check_table()
        .await
        .unwrap();
    assert!(
        diffs
            .iter()
            .any(|d| d.starts_with("table key:") && d.contains("RANGE sk N")),
        "{diffs:?}"
    );
    assert!(
        diffs.iter().any(|d| d.contains("index gsi2: missing")),
        "{diffs:?}"
    );
    assert!(
        diffs
            .iter()
            .any(|d| d.contains("index gsi1: in the table, not in the schema")),
        "{diffs:?}"
    );
    assert_eq!(diffs.len(), 3, "{diffs:?}");
}

#[tokio::test]
async fn check_of_a_missing_table_is_table_not_found() {
    let repo =
        DynamoDbRepository::with_client(support::client(), TableSchema::single_table(name("none")))
            .unwrap();
    assert!(matches!(
        repo.check_table().await,
        Err(monotable_core::Error::TableNotFound { .. })
    ));
}

/// A multi-attribute index is created with every partition attribute as HASH and every
/// sort attribute as RANGE, in order (rule MK6); `check_table` finds no difference, and
/// tells apart the same attributes in another order (MK3: two distinct indexes).
#[tokio::test]
async fn multi_attribute_index_is_created_and_checked() {
    let table = name("multi");
    let index = |partition: [&str; 2]| {
        IndexSchema::multi_attribute(
            "byStatus",
            partition.map(KeyAttribute::s),
            [KeyAttribute::s("status"), KeyAttribute::n("number")],
        )
    };
    let created = TableSchema::single_table(&table).with_index(index(["owner", "repo"]));
    let repo = DynamoDbRepository::with_client(support::client(), created).unwrap();
    repo.create_table().await.unwrap();
    assert_eq!(repo.check_table().await.unwrap(), Vec::<String>::new());
    let described = support::client()
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let keys: Vec<String> = described.table().unwrap().global_secondary_indexes()[0]
        .key_schema()
        .iter()
        .map(|k| format!("{} {}", k.key_type().as_str(), k.attribute_name()))
        .collect();
    assert_eq!(
        keys,
        ["HASH owner", "HASH repo", "RANGE status", "RANGE number"]
    );
    let permuted = TableSchema::single_table(&table).with_index(index(["repo", "owner"]));
    let diffs = DynamoDbRepository::with_client(support::client(), permuted)
        .unwrap()
        .check_table()
        .await
        .unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(
        diffs[0].starts_with("index byStatus: schema has keys"),
        "{diffs:?}"
    );
}

/// `create_table` on an existing table adds the global indexes the schema declares and the
/// table lacks, as the local backends do, and DynamoDB fills them from the items already
/// written (MK7): a new access pattern over existing attributes without a backfill.
#[tokio::test]
async fn create_table_adds_a_missing_global_index() {
    use monotable_core::{Item, KeyCondition, PutItem, Query, Value};
    let table = name("add");
    let before = TableSchema::single_table(&table);
    let repo = DynamoDbRepository::with_client(support::client(), before).unwrap();
    repo.create_table().await.unwrap();
    for (sk, status, number) in [("i1", "open", 3), ("i2", "open", 1), ("i3", "closed", 2)] {
        let item = Item::new()
            .with("pk", "REPO#acme")
            .with("sk", sk)
            .with("owner", "acme")
            .with("status", status)
            .with("number", Value::from(number));
        repo.put_item(PutItem {
            item,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let after = TableSchema::single_table(&table).with_index(IndexSchema::multi_attribute(
        "byStatus",
        [KeyAttribute::s("owner")],
        [KeyAttribute::s("status"), KeyAttribute::n("number")],
    ));
    let repo = DynamoDbRepository::with_client(support::client(), after).unwrap();
    assert!(
        !repo.check_table().await.unwrap().is_empty(),
        "missing before"
    );
    repo.create_table().await.unwrap();
    assert_eq!(repo.check_table().await.unwrap(), Vec::<String>::new());
    let page = repo
        .query(Query {
            index: Some("byStatus".into()),
            ..Query::new(
                KeyCondition::partition("acme")
                    .with_sort(monotable_core::SortKeyCondition::Eq("open".into())),
            )
        })
        .await
        .unwrap();
    let order: Vec<&Value> = page.items.iter().map(|i| &i["sk"]).collect();
    assert_eq!(order, [&Value::from("i2"), &Value::from("i1")], "by number");
    // A local index cannot be added to an existing table: a typed error.
    let with_lsi = TableSchema::single_table(&table)
        .with_index(IndexSchema::local("lsi1", KeyAttribute::s("rank")));
    let err = DynamoDbRepository::with_client(support::client(), with_lsi)
        .unwrap()
        .create_table()
        .await
        .unwrap_err();
    assert!(
        matches!(err, monotable_core::Error::Configuration { .. }),
        "{err:?}"
    );
}
