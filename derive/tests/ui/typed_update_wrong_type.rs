use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{id}")]
struct User {
    id: String,
    age: u32,
}

fn main() {
    // An update of `age` takes a u32, not a string.
    let _ = monotable_core::Update::new().set(User::AGE, "x");
}
