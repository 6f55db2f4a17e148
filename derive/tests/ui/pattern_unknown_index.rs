use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "REPO#{owner}", sk = "ISSUE#{number:06}",
            index(name = "byStatus", pk = "STATUS#{status}", sk = "{number}"))]
struct Issue {
    owner: String,
    number: u32,
    status: String,
}

fn main() {
    // Index names come from the declaration: there is no gsi9.
    let _ = Issue::query_gsi9("open");
}
