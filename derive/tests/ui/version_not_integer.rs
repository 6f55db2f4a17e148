use serde::{Deserialize, Serialize};

// A version must be a number that can be moved forward: a String field does not compile.
#[derive(Serialize, Deserialize, monotable_derive::Entity)]
#[monotable(crate = "monotable_core", pk = "DOC#{id}", version = "rev")]
struct Doc {
    id: String,
    rev: String,
}

fn main() {}
