use serde::{Deserialize, Serialize};

// The template must use the stored name, `userId`, not the Rust field name.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{user_id}")]
struct User {
    #[serde(rename = "userId")]
    user_id: String,
}

fn main() {}
