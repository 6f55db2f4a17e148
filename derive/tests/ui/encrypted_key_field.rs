use serde::{Deserialize, Serialize};

// An encrypted field cannot be part of a key: its ciphertext changes on every write.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{email}")]
struct User {
    #[monotable(encrypt)]
    email: String,
}

fn main() {}
