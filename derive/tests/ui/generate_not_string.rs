use serde::{Deserialize, Serialize};

// A generated identifier is text: a u64 field cannot take one.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "T#{id}")]
struct Ticket {
    #[monotable(generate = "ulid")]
    id: u64,
}

fn main() {}
