use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "REPO#{owner}#{repo}", sk = "ISSUE#{number:06}")]
struct Issue {
    owner: String,
    repo: String,
    number: u32,
}

fn main() {
    // `number` is a u32: a string does not convert.
    let _ = Issue::query("ada", "engine").number_gt("three");
}
