use serde::{Deserialize, Serialize};

// A field stored as `_ct` would be overwritten by the creation time.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{id}")]
struct User {
    id: String,
    #[serde(rename = "_ct")]
    created: String,
}

fn main() {}
