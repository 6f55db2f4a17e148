//! Opening a file whose tables lack a newly declared index builds that index from the
//! existing items, sparse like the others.

use monotable_core::{Item, KeyCondition, PutItem, Query, Repository, TableSchema};
use monotable_sqlite::{SqliteRepository, SqliteStorage};

#[tokio::test]
async fn a_new_index_is_built_from_existing_items() {
    let dir = std::env::temp_dir().join(format!("monotable-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("evolve.db");
    let before = TableSchema::single_table("app");
    {
        let repo = SqliteRepository::new(SqliteStorage::open(&path).unwrap(), before).unwrap();
        repo.create_table().await.unwrap();
        for i in 0..30 {
            let mut item = Item::new().with("pk", format!("p{i}")).with("sk", "s");
            if i % 3 == 0 {
                item.insert("gsi1pk".into(), "G".into());
                item.insert("gsi1sk".into(), format!("{i:02}").into());
            }
            repo.put_item(PutItem {
                item,
                ..Default::default()
            })
            .await
            .unwrap();
        }
    }
    let after = TableSchema::single_table("app").with_gsi("gsi1");
    let repo = SqliteRepository::new(SqliteStorage::open(&path).unwrap(), after).unwrap();
    let mut q = Query::new(KeyCondition::partition("G"));
    q.index = Some("gsi1".into());
    // Until create_table runs, the declared index does not exist.
    assert!(repo.query(q.clone()).await.is_err());
    repo.create_table().await.unwrap();
    let page = repo.query(q).await.unwrap();
    let order: Vec<_> = page.items.iter().map(|i| i["gsi1sk"].clone()).collect();
    let expected: Vec<_> = (0..30)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("{i:02}").into())
        .collect::<Vec<monotable_core::Value>>();
    assert_eq!(order, expected);
    std::fs::remove_dir_all(&dir).ok();
}
