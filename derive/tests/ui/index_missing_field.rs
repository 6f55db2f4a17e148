use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{id}", sk = "PROFILE", index(name = "gsi1", pk = "EMAIL#{email}"))]
struct User {
    id: String,
}

fn main() {}
