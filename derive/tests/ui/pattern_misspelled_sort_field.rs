use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "REPO#{owner}#{repo}", sk = "ISSUE#{number:06}",
            index(name = "byStatus", pk = "STATUS#{status}", sk = "{number}"))]
struct Issue {
    owner: String,
    repo: String,
    number: u32,
    status: String,
}

fn main() {
    // A misspelled sort field is no method at all.
    let _ = Issue::query_by_status("open").numbr_gt(3);
}
