//! Reads proceed while a write is under way: inside an open write transaction (the writer
//! holds SQLite's write lock), a read on another connection completes and sees the last
//! committed state.

use std::sync::mpsc;
use std::time::Duration;

use monotable_core::raw::Storage;
use monotable_core::{GetItem, Item, PutItem, Repository, TableSchema};
use monotable_sqlite::{SqliteRepository, SqliteStorage};

#[test]
fn reads_proceed_while_a_write_is_under_way() {
    let dir = std::env::temp_dir().join(format!("monotable-rw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = TableSchema::single_table("rw_table");
    let storage = SqliteStorage::open(dir.join("rw.db")).unwrap();
    let repo = SqliteRepository::new(storage.clone(), schema.clone()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let key = Item::new().with("pk", "p").with("sk", "s");
    rt.block_on(async {
        repo.create_table().await.unwrap();
        repo.put_item(PutItem {
            item: key.clone().with("v", 1),
            ..Default::default()
        })
        .await
        .unwrap();
    });
    let reader = SqliteRepository::new(storage.clone(), schema.clone()).unwrap();
    let read_key = key.clone();
    let seen = rt
        .block_on(storage.write(&schema, move |_view| {
            // The write transaction is open (BEGIN IMMEDIATE) while this closure runs.
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let got = rt.block_on(reader.get_item(GetItem {
                    key: read_key,
                    ..Default::default()
                }));
                let _ = tx.send(got);
            });
            let got = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the read was blocked by the open write");
            Ok((got, Vec::new()))
        }))
        .unwrap()
        .unwrap();
    assert_eq!(seen, Some(key.with("v", 1)));
    std::fs::remove_dir_all(&dir).ok();
}
