use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(
    crate = "monotable_core",
    pk = "REPO#{owner}",
    sk = "ISSUE#{number}",
    index(name = "byStatus", partition = "owner", sort = "status, number")
)]
struct Issue {
    owner: String,
    number: u32,
    status: String,
}

fn main() {
    // `number` is a u32: a string does not compile, and there is no begins_with on it.
    let _ = Issue::query_by_status("acme").status_and_number_gt("open", "10");
    let _ = Issue::query_by_status("acme").status_and_number_begins_with("open", 1u32);
}
