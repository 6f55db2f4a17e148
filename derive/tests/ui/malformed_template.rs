use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{a}{b}")]
struct User {
    a: String,
    b: String,
}

fn main() {}
