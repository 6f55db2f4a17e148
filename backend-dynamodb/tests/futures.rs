//! The futures the repository hands out stay small: the SDK's request future (5–7 KB) is
//! moved to the heap once, not held by value in every layer above it and copied into the
//! trait method's box on each call (a get's future was 22 KB, a query's 28 KB, and the copy
//! showed as about 5 % of a get's instructions). Nothing is sent: the futures are only built.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use monotable_core::{
    DeleteItem, GetItem, Item, KeyCondition, PutItem, Query, Repository, Scan, TableSchema,
    TransactWrite, TransactWriteItem, Update, UpdateItem, WriteRequest,
};
use monotable_dynamodb::DynamoDbRepository;

/// Well below the smallest SDK request future (GetItem's, about 5.5 KB with this SDK).
const AT_MOST: usize = 3 * 1024;

fn key() -> Item {
    Item::from([("pk", "a"), ("sk", "b")])
}

#[tokio::test]
async fn request_futures_do_not_hold_the_sdk_future_inline() {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(Credentials::new("k", "s", None, None, "test"))
        .build();
    let schema = TableSchema::single_table("mt-futures");
    let repo = DynamoDbRepository::with_client(Client::from_conf(config), schema).unwrap();

    let sdk = repo.client().get_item().table_name("mt-futures").send();
    let sdk_size = std::mem::size_of_val(&sdk);
    drop(sdk);
    assert!(
        sdk_size > AT_MOST,
        "the SDK's future is {sdk_size} bytes: the bound below no longer tells inline from boxed"
    );

    let update = UpdateItem {
        key: key(),
        update: Update::new().set("n", 1),
        ..Default::default()
    };
    let transaction = TransactWrite {
        items: vec![TransactWriteItem::Put {
            item: key(),
            condition: None,
            return_old_on_condition_failure: false,
        }],
        client_request_token: None,
    };
    let sizes = [
        (
            "get_item",
            std::mem::size_of_val(&*repo.get_item(GetItem {
                key: key(),
                ..Default::default()
            })),
        ),
        (
            "put_item",
            std::mem::size_of_val(&*repo.put_item(PutItem {
                item: key(),
                ..Default::default()
            })),
        ),
        (
            "update_item",
            std::mem::size_of_val(&*repo.update_item(update)),
        ),
        (
            "delete_item",
            std::mem::size_of_val(&*repo.delete_item(DeleteItem {
                key: key(),
                ..Default::default()
            })),
        ),
        (
            "query",
            std::mem::size_of_val(&*repo.query(Query::new(KeyCondition::partition("a")))),
        ),
        ("scan", std::mem::size_of_val(&*repo.scan(Scan::default()))),
        (
            "batch_get_item",
            std::mem::size_of_val(&*repo.batch_get_item(vec![key()], None)),
        ),
        (
            "batch_write_item",
            std::mem::size_of_val(&*repo.batch_write_item(vec![WriteRequest::Put(key())])),
        ),
        (
            "transact_write_items",
            std::mem::size_of_val(&*repo.transact_write_items(transaction)),
        ),
        (
            "transact_get_items",
            std::mem::size_of_val(&*repo.transact_get_items(vec![key()])),
        ),
    ];
    let large: Vec<_> = sizes.iter().filter(|(_, s)| *s > AT_MOST).collect();
    assert!(
        large.is_empty(),
        "futures over {AT_MOST} bytes: {large:?} (all: {sizes:?})"
    );
}
