use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "USER#{id}", colour = "blue")]
struct User {
    id: String,
}

fn main() {}
