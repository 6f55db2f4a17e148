use serde::{Deserialize, Serialize};

// Zero padding (`{id:06}`) only makes sense for an integer field.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "ISSUE#{id:06}")]
struct Issue {
    id: String,
}

fn main() {}
