use serde::{Deserialize, Serialize};

// The creation time may be used in an index key template, never in the primary key.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(
    crate = "monotable_core",
    pk = "USER#{user_id}",
    sk = "AT#{_ct}",
    index(name = "gsi1", pk = "USERS", sk = "{_ct}")
)]
struct User {
    user_id: String,
}

fn main() {}
