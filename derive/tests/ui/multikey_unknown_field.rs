use serde::{Deserialize, Serialize};

// An index over fields names fields of the struct.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(
    crate = "monotable_core",
    pk = "REPO#{owner}",
    sk = "ISSUE#{number}",
    index(name = "byStatus", partition = "owner, repo", sort = "status, number")
)]
struct Issue {
    owner: String,
    number: u32,
    status: String,
}

fn main() {}
