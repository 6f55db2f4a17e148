//! Compile-time guards: the public types are Send + Sync and the typed API's futures are
//! Send, so repositories can be shared as `Arc<dyn Repository>` and used from spawned tasks
//! without higher-ranked bounds.

use std::sync::Arc;

use monotable::prelude::*;
use monotable::{
    Cursor, EntityQuery, Error, Item, Repository, TableSchema, Transaction, Update, Value,
};

fn assert_send_sync<T: Send + Sync + ?Sized>() {}
fn assert_send<T: Send>(_: &T) {}

#[derive(serde::Serialize, serde::Deserialize, monotable::Entity)]
#[monotable(pk = "T#{id}", sk = "T")]
struct Thing {
    id: String,
}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<dyn Repository>();
    assert_send_sync::<Arc<dyn Repository>>();
    assert_send_sync::<Error>();
    assert_send_sync::<Item>();
    assert_send_sync::<Value>();
    assert_send_sync::<Cursor>();
    assert_send_sync::<TableSchema>();
    assert_send_sync::<Transaction>();
    assert_send_sync::<EntityQuery<Thing>>();
    assert_send_sync::<monotable::SqliteRepository>();
}

/// Never run: it only has to compile, proving the futures are `Send`.
#[allow(dead_code)]
fn typed_api_futures_are_send(repo: Arc<dyn Repository>) {
    let thing = Thing { id: "1".into() };
    assert_send(&repo.create(&thing));
    assert_send(&repo.get::<Thing>(&ThingKey { id: "1".into() }));
    assert_send(&repo.update::<Thing>(&ThingKey { id: "1".into() }, Update::new()));
    assert_send(&repo.query_page(&EntityQuery::<Thing>::new([("id", "1")])));
    assert_send(&repo.query_stream(EntityQuery::<Thing>::new([("id", "1")])));
    assert_send(&repo.transaction(|tx| {
        tx.create(&Thing { id: "2".into() })?;
        Ok(())
    }));
    tokio::spawn(async move { repo.batch_put(&[Thing { id: "3".into() }]).await });
}
