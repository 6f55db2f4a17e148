//! `monotable::connect` opens the backend a URL names, and refuses what it cannot open with
//! an error that names the argument or the Cargo feature.
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use monotable::prelude::*;
use monotable::{Error, TableSchema};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, monotable::Entity)]
#[monotable(pk = "NOTE#{id}", sk = "NOTE")]
struct Note {
    id: String,
    text: String,
}

fn schema() -> TableSchema {
    TableSchema::single_table("notes")
}

async fn round_trip(url: &str) -> Option<Note> {
    let repo = monotable::connect(url, schema()).await.unwrap();
    repo.create_table().await.unwrap();
    let note = Note {
        id: "n1".into(),
        text: "hello".into(),
    };
    repo.create(&note).await.unwrap();
    repo.get::<Note>(&NoteKey { id: "n1".into() })
        .await
        .unwrap()
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_file_url_persists_across_connections() {
    let dir = std::env::temp_dir().join(format!("monotable-connect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/notes.db", dir.display());
    assert_eq!(round_trip(&url).await.map(|n| n.text), Some("hello".into()));
    let again = monotable::connect(&url, schema()).await.unwrap();
    let note = again
        .get::<Note>(&NoteKey { id: "n1".into() })
        .await
        .unwrap();
    assert_eq!(note.map(|n| n.text), Some("hello".into()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_memory_url_starts_empty() {
    assert!(round_trip("sqlite::memory:").await.is_some());
    let fresh = monotable::connect("sqlite::memory:", schema())
        .await
        .unwrap();
    fresh.create_table().await.unwrap();
    let none = fresh
        .get::<Note>(&NoteKey { id: "n1".into() })
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[cfg(feature = "memory")]
#[tokio::test]
async fn memory_url() {
    assert!(round_trip("memory://").await.is_some());
}

#[cfg(not(feature = "memory"))]
#[tokio::test]
async fn url_of_a_disabled_feature_names_the_feature() {
    match monotable::connect("memory://", schema()).await {
        Err(Error::Configuration { message }) => {
            assert!(message.contains("`memory` feature"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[cfg(not(feature = "dynamodb"))]
#[tokio::test]
async fn dynamodb_url_without_the_feature_names_it() {
    match monotable::connect("dynamodb://t", schema()).await {
        Err(Error::Configuration { message }) => {
            assert!(message.contains("`dynamodb` feature"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_scheme_is_a_configuration_error() {
    let r = monotable::connect("postgres://localhost/db", schema()).await;
    assert!(matches!(r, Err(Error::Configuration { .. })), "{r:?}");
}
