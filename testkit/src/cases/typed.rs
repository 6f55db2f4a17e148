//! Typed access patterns from the derive: the partition fields with their Rust types, sort
//! conditions on a leading prefix of the sort template's fields, index names from the
//! declaration.

use monotable_core::{EntityQuery, RepositoryExt, TransactionContext};

use crate::fixtures::*;
use crate::Harness;

async fn seed_orders(repo: &dyn monotable_core::Repository) {
    for (id, created, status) in [
        ("o1", "2024-01-05", "open"),
        ("o2", "2024-02-10", "open"),
        ("o3", "2024-02-20", "paid"),
        ("o4", "2024-03-01", "open"),
    ] {
        repo.create(&Order::new("u1", id, created, status))
            .await
            .unwrap();
    }
}

fn ids(orders: &[Order]) -> Vec<&str> {
    orders.iter().map(|o| o.order_id.as_str()).collect()
}

/// The table's pattern: partition by user, sort conditions on `created`, then on
/// `created` and `order_id` together.
pub async fn table_pattern_sorts_by_typed_prefix(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    let all = repo.query_all(Order::query("u1").all()).await.unwrap();
    assert_eq!(ids(&all), ["o1", "o2", "o3", "o4"]);
    let feb = repo
        .query_all(Order::query("u1").created_begins_with("2024-02"))
        .await
        .unwrap();
    assert_eq!(ids(&feb), ["o2", "o3"]);
    let after = repo
        .query_all(Order::query("u1").created_gt("2024-02-10"))
        .await
        .unwrap();
    assert_eq!(
        ids(&after),
        ["o2", "o3", "o4"],
        "ORDER#2024-02-10#o2 > ORDER#2024-02-10"
    );
    let exact = repo
        .query_all(Order::query("u1").created_and_order_id_eq("2024-02-20", "o3"))
        .await
        .unwrap();
    assert_eq!(ids(&exact), ["o3"]);
    let range = repo
        .query_all(Order::query("u1").created_between("2024-01-01", "2024-02-15"))
        .await
        .unwrap();
    assert_eq!(ids(&range), ["o1", "o2"]);
}

/// An index's pattern: partition by status on `gsi2`, sorted by `created`; it equals the
/// string-pair query it replaces.
pub async fn index_pattern_matches_dynamic_query(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    let typed = repo
        .query_all(Order::query_gsi2("open").created_ge("2024-02-01"))
        .await
        .unwrap();
    let dynamic = repo
        .query_all(
            EntityQuery::<Order>::on_index("gsi2", [("status", "open")])
                .sort_ge([("created", "2024-02-01")]),
        )
        .await
        .unwrap();
    assert_eq!(ids(&typed), ["o2", "o4"]);
    assert_eq!(typed, dynamic);
    let newest_first = repo
        .query_all(Order::query_gsi2("open").all().descending().limit(1))
        .await
        .unwrap();
    assert_eq!(ids(&newest_first), ["o4", "o2", "o1"]);
}

/// Zero-padded integer sort fields take integers and sort numerically.
pub async fn integer_sort_fields_take_integers(h: &Harness) {
    let repo = h.app().await;
    for rev in [1u32, 9, 10, 100] {
        repo.create(&Doc {
            doc_id: "d".into(),
            rev,
            body: String::new(),
            version: 0,
        })
        .await
        .unwrap();
    }
    let revs: Vec<u32> = repo
        .query_all(Doc::query("d").rev_between(5, 50))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.rev)
        .collect();
    assert_eq!(revs, vec![9, 10]);
}

/// A scan returns only its entity type, whole or in parallel segments.
pub async fn scan_reads_one_entity_type(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let mut one = ids(&repo
        .scan_all(monotable_core::EntityScan::<Order>::new(), 1)
        .await
        .unwrap())
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    one.sort();
    assert_eq!(one, ["o1", "o2", "o3", "o4"]);
    let mut parallel: Vec<String> = repo
        .scan_all(monotable_core::EntityScan::<Order>::new().limit(1), 3)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.order_id)
        .collect();
    parallel.sort();
    assert_eq!(parallel, one);
    let users = repo
        .scan_all(monotable_core::EntityScan::<User>::new(), 1)
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
}

/// Order with only some attributes: a partial type for a projection.
#[derive(Debug, PartialEq, serde::Deserialize)]
struct OrderStatus {
    order_id: String,
    status: String,
}

/// count counts every page; a projection decodes into a partial type.
pub async fn count_and_projection(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    assert_eq!(
        repo.count(&Order::query("u1").all().limit(1))
            .await
            .unwrap(),
        4
    );
    let open = Order::query("u1").all().filter(Order::STATUS.eq("open"));
    assert_eq!(repo.count(&open).await.unwrap(), 3);
    let partial: Vec<OrderStatus> = repo
        .query_projected(
            &Order::query("u1").created_begins_with("2024-02"),
            vec![Order::ORDER_ID.path(), Order::STATUS.path()],
        )
        .await
        .unwrap();
    assert_eq!(
        partial,
        [
            OrderStatus {
                order_id: "o2".into(),
                status: "open".into()
            },
            OrderStatus {
                order_id: "o3".into(),
                status: "paid".into()
            }
        ]
    );
}

/// get_many and get_many_atomic keep the caller's order, with None where absent.
pub async fn get_many_keeps_the_callers_order(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    let key = |id: &str, created: &str| OrderKey {
        user_id: "u1".into(),
        created: created.into(),
        order_id: id.into(),
    };
    let keys = [
        key("o3", "2024-02-20"),
        key("nope", "2024-01-01"),
        key("o1", "2024-01-05"),
    ];
    for got in [
        repo.get_many::<Order>(&keys).await.unwrap(),
        repo.get_many_atomic::<Order>(&keys).await.unwrap(),
    ] {
        let got: Vec<Option<&str>> = got
            .iter()
            .map(|o| o.as_ref().map(|o| o.order_id.as_str()))
            .collect();
        assert_eq!(got, [Some("o3"), None, Some("o1")]);
    }
}

/// The entities of one user's partition: a collection.
#[derive(Debug, monotable_derive::Collection)]
#[monotable(crate = "monotable_core")]
pub enum UserItems {
    /// The profile.
    User(User),
    /// An order.
    Order(Order),
}

/// A collection decodes each item into its variant, in sort-key order, with a sort
/// condition and a filter, across pages.
pub async fn collection_decodes_each_variant(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let q =
        || monotable_core::CollectionQuery::for_entity::<User>(None, [("user_id", "u1")]).unwrap();
    let all = repo
        .collection_all::<UserItems>(q().limit(2))
        .await
        .unwrap();
    let kinds: Vec<String> = all
        .iter()
        .map(|i| match i {
            UserItems::User(u) => format!("user {}", u.user_id),
            UserItems::Order(o) => format!("order {}", o.order_id),
        })
        .collect();
    assert_eq!(
        kinds,
        ["order o1", "order o2", "order o3", "order o4", "user u1"]
    );
    let orders = repo
        .collection_all::<UserItems>(
            q().sort(monotable_core::SortKeyCondition::BeginsWith(
                "ORDER#2024-02".into(),
            ))
            .filter(Order::STATUS.eq("open")),
        )
        .await
        .unwrap();
    assert!(
        matches!(orders.as_slice(), [UserItems::Order(o)] if o.order_id == "o2"),
        "{orders:?}"
    );
}

/// A repository that, once, changes the user `u1` just before a transaction is committed:
/// another writer getting in between a read and the write that depends on it.
#[derive(Debug)]
struct InterferesOnce {
    inner: std::sync::Arc<dyn monotable_core::Repository>,
    fired: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl monotable_core::Repository for InterferesOnce {
    fn schema(&self) -> &monotable_core::TableSchema {
        self.inner.schema()
    }
    async fn create_table(&self) -> monotable_core::Result<()> {
        self.inner.create_table().await
    }
    async fn get_item(
        &self,
        r: monotable_core::GetItem,
    ) -> monotable_core::Result<Option<monotable_core::Item>> {
        self.inner.get_item(r).await
    }
    async fn put_item(
        &self,
        r: monotable_core::PutItem,
    ) -> monotable_core::Result<Option<monotable_core::Item>> {
        self.inner.put_item(r).await
    }
    async fn update_item(
        &self,
        r: monotable_core::UpdateItem,
    ) -> monotable_core::Result<Option<monotable_core::Item>> {
        self.inner.update_item(r).await
    }
    async fn delete_item(
        &self,
        r: monotable_core::DeleteItem,
    ) -> monotable_core::Result<Option<monotable_core::Item>> {
        self.inner.delete_item(r).await
    }
    async fn query(
        &self,
        r: monotable_core::Query,
    ) -> monotable_core::Result<monotable_core::Page> {
        self.inner.query(r).await
    }
    async fn scan(&self, r: monotable_core::Scan) -> monotable_core::Result<monotable_core::Page> {
        self.inner.scan(r).await
    }
    async fn batch_get_item(
        &self,
        keys: Vec<monotable_core::Item>,
        projection: Option<Vec<monotable_core::Path>>,
    ) -> monotable_core::Result<monotable_core::BatchGetOutput> {
        self.inner.batch_get_item(keys, projection).await
    }
    async fn batch_write_item(
        &self,
        writes: Vec<monotable_core::WriteRequest>,
    ) -> monotable_core::Result<monotable_core::BatchWriteOutput> {
        self.inner.batch_write_item(writes).await
    }
    async fn transact_write_items(
        &self,
        r: monotable_core::TransactWrite,
    ) -> monotable_core::Result<()> {
        if !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            self.inner
                .patch::<User>(
                    &UserKey {
                        user_id: "u1".into(),
                    },
                    monotable_core::Update::new().set(User::NAME, "Eve"),
                )
                .await?;
        }
        self.inner.transact_write_items(r).await
    }
    async fn transact_get_items(
        &self,
        keys: Vec<monotable_core::Item>,
    ) -> monotable_core::Result<Vec<Option<monotable_core::Item>>> {
        self.inner.transact_get_items(keys).await
    }
}

/// read_then_write commits only if what it read is unchanged: when another writer changes
/// the item between the read and the commit, it reads again and decides again, so the other
/// write is not lost.
pub async fn read_then_write_retries_after_a_change(h: &Harness) {
    let repo = InterferesOnce {
        inner: h.app().await,
        fired: std::sync::atomic::AtomicBool::new(false),
    };
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let key = UserKey {
        user_id: "u1".into(),
    };
    let calls = std::sync::atomic::AtomicU32::new(0);
    repo.read_then_write::<User, _, _>(std::slice::from_ref(&key), 3, |read, tx| {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut u = read[0].clone().expect("user exists");
        u.age += 1;
        tx.put(&u, None)?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    let u = repo.get::<User>(&key).await.unwrap().unwrap();
    assert_eq!((u.name.as_str(), u.age), ("Eve", 31));
}

/// A task, found by project through the KEYS_ONLY index `keysOnly`.
#[derive(
    Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, monotable_derive::Entity,
)]
#[monotable(
    crate = "monotable_core",
    entity = "Task",
    pk = "TASK#{id}",
    sk = "TASK",
    index(name = "keysOnly", pk = "PROJECT#{project}", sk = "{due}")
)]
pub struct Task {
    /// Id.
    pub id: String,
    /// Project.
    pub project: String,
    /// Due date.
    pub due: String,
    /// Title.
    pub title: String,
}

/// A query on a KEYS_ONLY index followed to the table returns whole entities in the
/// index's order, page by page, with a filter on attributes the index does not hold.
pub async fn keys_only_index_follow(h: &Harness) {
    let repo = h.app().await;
    for (id, due) in [
        ("t1", "2024-03"),
        ("t2", "2024-01"),
        ("t3", "2024-02"),
        ("t4", "2024-04"),
    ] {
        repo.create(&Task {
            id: id.into(),
            project: "p".into(),
            due: due.into(),
            title: format!("title {id}"),
        })
        .await
        .unwrap();
    }
    let q = || Task::query_keys_only("p").all();
    let tasks = repo.query_all_follow(q().limit(3)).await.unwrap();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t2", "t3", "t1", "t4"]);
    assert_eq!(tasks[0].title, "title t2");
    let page = repo.query_page_follow(&q().limit(2)).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.cursor.is_some());
    let filtered = repo
        .query_all_follow(q().filter(Task::TITLE.eq("title t3")))
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);
    // Without following, the index holds keys only, not even the entity type: a plain
    // query finds no Task there.
    assert_eq!(repo.query_all(q()).await.unwrap(), vec![]);
}
