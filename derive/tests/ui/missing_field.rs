use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{user_id}", sk = "ORDER#{created}")]
struct Order {
    user_id: String,
}

fn main() {}
