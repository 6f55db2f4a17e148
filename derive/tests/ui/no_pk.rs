use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", sk = "PROFILE")]
struct User {
    id: String,
}

fn main() {}
