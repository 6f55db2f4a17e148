//! An entity written by hand, without the derive, on the in-memory backend.
//!
//! Run with `cargo run --example hand_written --features memory`.

use monotable::prelude::*;
use monotable::{EntityKeys, MemoryRepository, MemoryStorage, TableSchema};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Session {
    token: String,
    user: String,
    expires: u64,
}

#[derive(Serialize)]
struct SessionKey {
    token: String,
}

impl KeySchema for Session {
    fn key_templates() -> EntityKeys {
        EntityKeys::new("SESSION#{token}")
            .with_sort("SESSION")
            .with_index("gsi1", "USER#{user}", Some("SESSION#{token}"))
    }
}

impl Entity for Session {
    const ENTITY_TYPE: &'static str = "Session";
    type Key = SessionKey;

    fn validate(&self) -> monotable::Result<()> {
        if self.token.len() < 8 {
            return Err(monotable::validation_error::<Self>(
                "token",
                "at least 8 characters",
            ));
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> monotable::Result<()> {
    let repo = MemoryRepository::new(
        MemoryStorage::new(),
        TableSchema::single_table("app").with_gsi("gsi1"),
    )?;
    repo.create_table().await?;
    repo.create(&Session {
        token: "s3cr3t-token".into(),
        user: "ada".into(),
        expires: 1_900_000_000,
    })
    .await?;
    let short = repo
        .create(&Session {
            token: "short".into(),
            user: "ada".into(),
            expires: 0,
        })
        .await;
    if let Err(e) = short {
        println!("short token rejected: {e}");
    }
    let session = repo
        .get::<Session>(&SessionKey {
            token: "s3cr3t-token".into(),
        })
        .await?;
    println!("session: {session:?}");
    Ok(())
}
