//! Multi-attribute global indexes (rules MK1–MK24 of `docs/dynamodb-multikey.md`): an index
//! over an entity's own fields, several partition and several sort attributes each keeping
//! its type, declared by the derive (`index(name, partition(..), sort(..))`) and queried
//! through its typed access pattern.

use monotable_core::{
    EntityQuery, Error, IndexSchema, Item, KeyAttribute, KeyCondition, PutItem, Query, Repository,
    RepositoryExt, SortKeyCondition, TableSchema, Update, Value,
};
use monotable_derive::Entity;
use serde::{Deserialize, Serialize};

use crate::fixtures::it;
use crate::Harness;

/// The issues table: `pk`/`sk`, and two multi-attribute indexes over the issues' fields:
/// `byStatus` (partition `owner`, `repo`; sort `status`, `number` (N)) and `byAssignee`
/// (partition `assignee`; sort `status`, `updated`).
pub fn issues_schema() -> TableSchema {
    TableSchema::single_table("mk")
        .with_index(IndexSchema::multi_attribute(
            "byStatus",
            [KeyAttribute::s("owner"), KeyAttribute::s("repo")],
            [KeyAttribute::s("status"), KeyAttribute::n("number")],
        ))
        .with_index(IndexSchema::multi_attribute(
            "byAssignee",
            [KeyAttribute::s("assignee")],
            [KeyAttribute::s("status"), KeyAttribute::s("updated")],
        ))
}

/// A GitHub-style issue, in two indexes over its own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Issue",
    pk = "REPO#{owner}#{repo}",
    sk = "ISSUE#{number:08}",
    index(name = "byStatus", partition = "owner, repo", sort = "status, number"),
    index(name = "byAssignee", partition = "assignee", sort = "status, updated")
)]
pub struct Issue {
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// Issue number, a number in `byStatus`.
    pub number: u32,
    /// `open` or `closed`.
    pub status: String,
    /// Who works on it: an issue without one is not in `byAssignee`.
    pub assignee: Option<String>,
    /// Last change, ISO 8601.
    pub updated: String,
}

/// A repository: it shares `owner` and `repo` with issues but has no `status` or `number`,
/// so it is in no index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Repo",
    pk = "REPO#{owner}#{repo}",
    sk = "REPO"
)]
pub struct Repo {
    /// Owner.
    pub owner: String,
    /// Name.
    pub repo: String,
    /// A status of its own: a sort attribute of both indexes, here an ordinary field.
    pub status: String,
}

fn issue(repo: &str, number: u32, status: &str, assignee: Option<&str>, updated: &str) -> Issue {
    Issue {
        owner: "acme".into(),
        repo: repo.into(),
        number,
        status: status.into(),
        assignee: assignee.map(str::to_string),
        updated: updated.into(),
    }
}

async fn seed(repo: &dyn Repository) {
    for i in [
        issue("api", 10, "open", Some("ann"), "2025-01-10"),
        issue("api", 3, "open", None, "2025-01-03"),
        issue("api", 5, "closed", Some("ann"), "2025-01-05"),
        issue("api", 1, "open", Some("bob"), "2025-01-01"),
        issue("api", 2, "closed", None, "2025-01-02"),
        issue("web", 4, "open", Some("ann"), "2025-01-04"),
    ] {
        repo.create(&i).await.unwrap();
    }
}

fn numbers(issues: &[Issue]) -> Vec<u32> {
    issues.iter().map(|i| i.number).collect()
}

async fn fresh(h: &Harness) -> std::sync::Arc<dyn Repository> {
    let repo = h.table(issues_schema()).await;
    seed(&*repo).await;
    repo
}

/// A partition is every partition attribute's value together (`acme`/`api`, not `acme`/
/// `web`), ordered by the sort attributes left to right, each by its own type: `number` is
/// a number, so 1 < 3 < 10 (as strings `10` would come first) (MK17).
pub async fn partition_orders_by_sort_attributes_by_type(h: &Harness) {
    let repo = fresh(h).await;
    let all = repo
        .query_all(Issue::query_by_status("acme", "api").all())
        .await
        .unwrap();
    assert_eq!(
        numbers(&all),
        [2, 5, 1, 3, 10],
        "closed 2, 5; open 1, 3, 10"
    );
    let desc = repo
        .query_all(Issue::query_by_status("acme", "api").all().descending())
        .await
        .unwrap();
    assert_eq!(numbers(&desc), [10, 3, 1, 5, 2], "exactly reversed");
    let web = repo
        .query_all(Issue::query_by_status("acme", "web").all())
        .await
        .unwrap();
    assert_eq!(numbers(&web), [4]);
    let none = repo
        .query_all(Issue::query_by_status("other", "api").all())
        .await
        .unwrap();
    assert!(none.is_empty());
}

/// Sort conditions take a leading run of the sort attributes: equalities on all but the
/// last, any operator on the last (MK15).
pub async fn sort_conditions_on_a_leading_run(h: &Harness) {
    let repo = fresh(h).await;
    let q = || Issue::query_by_status("acme", "api");
    let open = repo.query_all(q().status_eq("open")).await.unwrap();
    assert_eq!(numbers(&open), [1, 3, 10]);
    let open_after_1 = repo
        .query_all(q().status_and_number_gt("open", 1u32))
        .await
        .unwrap();
    assert_eq!(numbers(&open_after_1), [3, 10]);
    let open_le_3 = repo
        .query_all(q().status_and_number_le("open", 3u32))
        .await
        .unwrap();
    assert_eq!(numbers(&open_le_3), [1, 3]);
    let between = repo
        .query_all(q().status_and_number_between("open", 2u32, "open", 10u32))
        .await
        .unwrap();
    assert_eq!(numbers(&between), [3, 10], "inclusive bounds");
    let exact = repo
        .query_all(q().status_and_number_eq("closed", 5u32))
        .await
        .unwrap();
    assert_eq!(numbers(&exact), [5]);
    let prefix = repo.query_all(q().status_begins_with("clo")).await.unwrap();
    assert_eq!(numbers(&prefix), [2, 5]);
    let before_open = repo.query_all(q().status_lt("open")).await.unwrap();
    assert_eq!(numbers(&before_open), [2, 5]);
    // The typed pattern is the dynamic query it stands for.
    let dynamic = repo
        .query_all(
            EntityQuery::<Issue>::on_index("byStatus", [("owner", "acme"), ("repo", "api")])
                .sort_gt(Item::from_iter([
                    ("status".to_string(), Value::from("open")),
                    ("number".to_string(), Value::from(1)),
                ])),
        )
        .await
        .unwrap();
    assert_eq!(dynamic, open_after_1);
}

/// An item is in the index only if it has every key attribute of it: an issue without an
/// assignee is absent from `byAssignee` and still in `byStatus` (MK9).
pub async fn sparse_without_every_key_attribute(h: &Harness) {
    let repo = fresh(h).await;
    let ann = repo
        .query_all(Issue::query_by_assignee("ann").all())
        .await
        .unwrap();
    assert_eq!(
        numbers(&ann),
        [5, 4, 10],
        "closed first, then open by updated"
    );
    let open_since = repo
        .query_all(Issue::query_by_assignee("ann").status_and_updated_ge("open", "2025-01-05"))
        .await
        .unwrap();
    assert_eq!(numbers(&open_since), [10]);
    let page = repo
        .scan(monotable_core::Scan {
            index: Some("byAssignee".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4, "issues 2 and 3 have no assignee");
    // The stored item of an issue without assignee has no `assignee` attribute at all.
    let stored = repo
        .get_item(monotable_core::GetItem {
            key: it(serde_json::json!({"pk": "REPO#acme#api", "sk": "ISSUE#00000003"})),
            ..Default::default()
        })
        .await
        .unwrap()
        .expect("issue 3");
    assert!(
        !stored.contains_key("assignee"),
        "None is left out: {stored:?}"
    );
}

/// The index follows every write: changing a sort attribute re-sorts the item, changing a
/// partition attribute moves it, removing one drops it from that index only, a delete
/// removes it (MK23).
pub async fn index_follows_every_write(h: &Harness) {
    let repo = fresh(h).await;
    let key = IssueKey {
        owner: "acme".into(),
        repo: "api".into(),
        number: 10,
    };
    repo.patch::<Issue>(&key, Update::new().set("status", "closed"))
        .await
        .unwrap();
    let all = repo
        .query_all(Issue::query_by_status("acme", "api").all())
        .await
        .unwrap();
    assert_eq!(numbers(&all), [2, 5, 10, 1, 3], "10 is closed now");
    // The whole entity written without an assignee: out of byAssignee, still in byStatus.
    let mut i10 = repo.get::<Issue>(&key).await.unwrap().unwrap();
    i10.assignee = None;
    repo.put(&i10).await.unwrap();
    let ann = repo
        .query_all(Issue::query_by_assignee("ann").all())
        .await
        .unwrap();
    assert_eq!(numbers(&ann), [5, 4]);
    i10.assignee = Some("bob".into());
    repo.put(&i10).await.unwrap();
    let bob = repo
        .query_all(Issue::query_by_assignee("bob").all())
        .await
        .unwrap();
    assert_eq!(numbers(&bob), [10, 1], "closed 10, then open 1");
    repo.delete::<Issue>(&key).await.unwrap();
    let all = repo
        .query_all(Issue::query_by_status("acme", "api").all())
        .await
        .unwrap();
    assert_eq!(numbers(&all), [2, 5, 1, 3]);
}

/// Pages resume after their last key, which holds the table's keys and every key attribute
/// of the index (MK19); every item comes once, in order, both ways.
pub async fn pages_carry_every_index_key_attribute(h: &Harness) {
    let repo = fresh(h).await;
    let page = repo
        .query(Query {
            index: Some("byStatus".into()),
            limit: Some(2),
            ..Query::new(KeyCondition::partitions([
                Value::from("acme"),
                Value::from("api"),
            ]))
        })
        .await
        .unwrap();
    let lek = page.last_evaluated_key.expect("more pages");
    let mut names: Vec<&str> = lek.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["number", "owner", "pk", "repo", "sk", "status"]);
    for descending in [false, true] {
        let mut seen = Vec::new();
        let mut q = Issue::query_by_status("acme", "api").all().limit(2);
        if descending {
            q = q.descending();
        }
        loop {
            let page = repo.query_page(&q).await.unwrap();
            seen.extend(numbers(&page.items));
            match page.cursor {
                Some(c) => q = q.after(Some(c)),
                None => break,
            }
        }
        let mut want = vec![2, 5, 1, 3, 10];
        if descending {
            want.reverse();
        }
        assert_eq!(seen, want, "descending: {descending}");
    }
}

/// A key condition names every partition attribute and a leading run of sort attributes;
/// a filter may not name a key attribute of the queried index (MK14–MK16, MK20).
pub async fn key_condition_rules(h: &Harness) {
    let repo = fresh(h).await;
    let query = |kc: KeyCondition| Query {
        index: Some("byStatus".into()),
        ..Query::new(kc)
    };
    let err = repo
        .query(query(KeyCondition::partitions([Value::from("acme")])))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "HASH key attributes repo must have equality conditions specified in the query"
    );
    let kc = KeyCondition::partitions([Value::from("acme"), Value::from("api")]);
    let err = repo
        .query(query(
            kc.clone().with_sort(SortKeyCondition::Eq(Value::from(3))),
        ))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Condition parameter type does not match schema type"),
        "status is a string: {err}"
    );
    let page = repo
        .query(query(
            kc.clone()
                .with_sort_prefix([Value::from("open")])
                .with_sort(SortKeyCondition::Ge(Value::from(3))),
        ))
        .await
        .unwrap();
    let got: Vec<&Value> = page.items.iter().map(|i| &i["number"]).collect();
    assert_eq!(got, [&Value::from(3), &Value::from(10)]);
    let err = repo
        .query(Query {
            filter: Some(monotable_core::Path::attr("number").gt(Value::from(1))),
            ..query(kc.clone())
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: number"
    );
    // A key attribute of another index is an ordinary attribute here.
    let page = repo
        .query(Query {
            filter: Some(monotable_core::Path::attr("assignee").eq(Value::from("ann"))),
            ..query(kc)
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.scanned_count, 5);
}

/// Every write checks every key attribute of every index, even when the item lacks the
/// index's other attributes: type (MK10), empty value (MK11), and the per-attribute and
/// aggregate size limits (MK12). Nothing is written.
pub async fn writes_check_every_index_key_attribute(h: &Harness) {
    let repo = h.table(issues_schema()).await;
    let put = |item| PutItem {
        item,
        ..Default::default()
    };
    let cases = [
        (
            it(serde_json::json!({"pk": "p", "sk": "1", "number": "seven"})),
            "One or more parameter values were invalid: Type mismatch for Index Key".to_string(),
        ),
        (
            it(serde_json::json!({"pk": "p", "sk": "2", "owner": "acme", "repo": ""})),
            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byStatus, IndexKey: repo".to_string(),
        ),
        (
            it(serde_json::json!({"pk": "p", "sk": "3", "owner": "a".repeat(1024), "repo": "b".repeat(1025)})),
            "Aggregate size for HASH key attributes owner, repo of index byStatus has exceeded limit 2048 bytes, with actual size 2049 bytes".to_string(),
        ),
        (
            it(serde_json::json!({"pk": "p", "sk": "4", "status": "s".repeat(1000), "updated": "u".repeat(25)})),
            "Aggregate size for RANGE key attributes status, updated of index byAssignee has exceeded limit 1024 bytes, with actual size 1025 bytes".to_string(),
        ),
    ];
    for (item, message) in cases {
        let err = repo.put_item(put(item)).await.unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let ok = it(
        serde_json::json!({"pk": "p", "sk": "5", "owner": "a".repeat(1024), "repo": "b".repeat(1024)}),
    );
    repo.put_item(put(ok)).await.unwrap();
    let page = repo.scan(monotable_core::Scan::default()).await.unwrap();
    assert_eq!(page.items.len(), 1, "only the valid item was written");
}

/// An entity's index over fields must be the table's index over the same attributes in the
/// same order: otherwise its writes and queries fail with a typed error, writing nothing.
pub async fn entity_index_must_match_the_table(h: &Harness) {
    let swapped = TableSchema::single_table("mk")
        .with_index(IndexSchema::multi_attribute(
            "byStatus",
            [KeyAttribute::s("repo"), KeyAttribute::s("owner")],
            [KeyAttribute::s("status"), KeyAttribute::n("number")],
        ))
        .with_index(IndexSchema::multi_attribute(
            "byAssignee",
            [KeyAttribute::s("assignee")],
            [KeyAttribute::s("status"), KeyAttribute::s("updated")],
        ));
    let repo = h.table(swapped).await;
    let err = repo
        .create(&issue("api", 1, "open", None, "2025-01-01"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidKey { reason, .. } if reason.contains("byStatus")),
        "{err:?}"
    );
    let err = repo
        .query_all(Issue::query_by_status("acme", "api").all())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");
    let page = repo.scan(monotable_core::Scan::default()).await.unwrap();
    assert!(page.items.is_empty());
}

/// A dynamic query names only the index's attributes, every partition attribute, and a
/// leading run of the sort attributes; anything else is a typed error before any read.
pub async fn dynamic_attributes_are_checked(h: &Harness) {
    let repo = fresh(h).await;
    let missing = EntityQuery::<Issue>::on_index("byStatus", [("owner", "acme")]);
    let err = repo.query_all(missing).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidKey { part, .. } if part == "repo"),
        "{err:?}"
    );
    let skipped = EntityQuery::<Issue>::on_index("byStatus", [("owner", "acme"), ("repo", "api")])
        .sort_gt(Item::from_iter([("number".to_string(), Value::from(1))]));
    let err = repo.query_all(skipped).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidKey { part, .. } if part == "status"),
        "number without status before it: {err:?}"
    );
    let unknown = EntityQuery::<Issue>::on_index(
        "byStatus",
        [("owner", "acme"), ("repo", "api"), ("title", "x")],
    );
    let err = repo.query_all(unknown).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidKey { part, .. } if part == "title"),
        "{err:?}"
    );
}

/// The attributes of a multi-attribute index are ordinary attributes: any entity type may
/// have them (they are not managed like a template's `gsi1pk`). An item of another type with
/// all of them is in the index, and the typed query leaves it out.
pub async fn other_entity_types_share_the_attributes(h: &Harness) {
    let repo = fresh(h).await;
    let r = Repo {
        owner: "acme".into(),
        repo: "api".into(),
        status: "open".into(),
    };
    repo.create(&r).await.unwrap();
    let raw = repo
        .query(Query {
            index: Some("byStatus".into()),
            ..Query::new(KeyCondition::partitions([
                Value::from("acme"),
                Value::from("api"),
            ]))
        })
        .await
        .unwrap();
    assert_eq!(
        raw.items.len(),
        5,
        "the repository has no number: not indexed"
    );
    repo.put_item(PutItem {
        item: it(serde_json::json!({
            "pk": "REPO#acme#api", "sk": "MILESTONE#1", "_et": "Milestone",
            "owner": "acme", "repo": "api", "status": "open", "number": 2
        })),
        ..Default::default()
    })
    .await
    .unwrap();
    let raw = repo
        .query(Query {
            index: Some("byStatus".into()),
            ..Query::new(KeyCondition::partitions([
                Value::from("acme"),
                Value::from("api"),
            ]))
        })
        .await
        .unwrap();
    assert_eq!(raw.items.len(), 6, "the milestone has every key attribute");
    let typed = repo
        .query_all(Issue::query_by_status("acme", "api").status_eq("open"))
        .await
        .unwrap();
    assert_eq!(numbers(&typed), [1, 3, 10], "only issues");
    assert_eq!(
        repo.get::<Repo>(&RepoKey {
            owner: "acme".into(),
            repo: "api".into()
        })
        .await
        .unwrap(),
        Some(r)
    );
}
