//! What the typed API accepts: the compile-fail cases beside it differ from these lines
//! only in the mistake they make.

use monotable_core::{EntityQuery, Update};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(
    crate = "monotable_core",
    pk = "REPO#{owner}#{repo}",
    sk = "ISSUE#{number:06}",
    index(name = "byStatus", pk = "STATUS#{status}", sk = "{number}")
)]
struct Issue {
    owner: String,
    repo: String,
    number: u32,
    status: String,
    age: u32,
}

#[test]
fn typed_patterns_paths_and_updates_compile() {
    let _: EntityQuery<Issue> = Issue::query_by_status("open").number_gt(3);
    let _: EntityQuery<Issue> = Issue::query("ada", String::from("engine")).number_gt(3);
    let _: EntityQuery<Issue> = Issue::query("ada", "engine").all();
    let _ = Issue::AGE.eq(3);
    let _ = Issue::STATUS.begins_with("op");
    let _ = Update::new()
        .set(Issue::AGE, 4)
        .set(Issue::STATUS, "closed");
    let _ = Update::new().set("untyped", "anything").set("n", 1);
}
