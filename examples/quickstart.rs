//! A small single-table design — users, repositories, issues and stars — on the embedded
//! SQLite backend: create, get, a query by index with pagination, a transaction, and a
//! conditional failure handled as a typed error.
//!
//! Run with `cargo run --example quickstart`: the database is `monotable-quickstart.db` in
//! the system's temporary folder (recreated on each run). `MONOTABLE_URL` picks another
//! backend by URL (see `monotable::connect`); the same program runs on DynamoDB when built
//! with `--features dynamodb` and `MONOTABLE_URL=dynamodb://<new table>?endpoint=...`.

use std::sync::Arc;

use monotable::prelude::*;
use monotable::{Error, IndexSchema, KeyAttribute, TableSchema, Update};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, monotable::Entity)]
#[monotable(
    pk = "USER#{username}",
    sk = "PROFILE",
    index(name = "gsi1", pk = "EMAIL#{email}", sk = "USER")
)]
struct User {
    username: String,
    name: String,
    email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, monotable::Entity)]
#[monotable(
    entity = "Repository",
    pk = "REPO#{owner}#{name}",
    sk = "REPO",
    index(name = "gsi1", pk = "USER#{owner}", sk = "REPO#{name}")
)]
struct Repo {
    owner: String,
    name: String,
    #[serde(default)]
    stars: u64,
}

// Issues by status: a multi-attribute index over the issue's own fields (partition owner
// and repo, sort status then number, each keeping its type), instead of a composed
// `ISSUES#{owner}#{repo}#{status}` key: nothing synthetic is written.
#[derive(Debug, Clone, Serialize, Deserialize, monotable::Entity)]
#[monotable(
    pk = "REPO#{owner}#{repo}",
    sk = "ISSUE#{number:06}",
    index(
        name = "issuesByStatus",
        partition = "owner, repo",
        sort = "status, number"
    )
)]
struct Issue {
    owner: String,
    repo: String,
    number: u32,
    title: String,
    status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, monotable::Entity)]
#[monotable(
    pk = "REPO#{owner}#{repo}",
    sk = "STAR#{username}",
    index(name = "gsi1", pk = "USER#{username}", sk = "STAR#{owner}#{repo}")
)]
struct Star {
    owner: String,
    repo: String,
    username: String,
}

fn schema() -> TableSchema {
    TableSchema::single_table("github")
        .with_gsi("gsi1")
        .with_index(IndexSchema::multi_attribute(
            "issuesByStatus",
            [KeyAttribute::s("owner"), KeyAttribute::s("repo")],
            [KeyAttribute::s("status"), KeyAttribute::n("number")],
        ))
}

/// The backend, by URL: `$MONOTABLE_URL` (for example `memory://`, or
/// `dynamodb://<table>?endpoint=http://localhost:8000` with `--features dynamodb`), else a
/// fresh SQLite file in the system's temporary folder. Swapping backends is this one call.
async fn open_repository() -> monotable::Result<Arc<dyn Repository>> {
    let url = match std::env::var("MONOTABLE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::temp_dir().join("monotable-quickstart.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite://{}", path.display())
        }
    };
    println!("backend: {url}");
    monotable::connect(&url, schema()).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repo = open_repository().await?;
    repo.create_table().await?;

    // Create and get.
    let ada = User {
        username: "ada".into(),
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
    };
    repo.create(&ada).await?;
    let found = repo
        .get::<User>(&UserKey {
            username: "ada".into(),
        })
        .await?;
    println!("got user: {found:?}");

    // A conditional failure, handled as a typed error.
    match repo.create(&ada).await {
        Err(Error::AlreadyExists { entity, key }) => {
            println!("create again: {entity} {key} already exists")
        }
        other => println!("unexpected: {other:?}"),
    }

    // Issues written in batches (chunked to 25 per request).
    repo.create(&Repo {
        owner: "ada".into(),
        name: "engine".into(),
        stars: 0,
    })
    .await?;
    let issues: Vec<Issue> = (1..=23)
        .map(|n| Issue {
            owner: "ada".into(),
            repo: "engine".into(),
            number: n,
            title: format!("Issue {n}"),
            status: if n % 3 == 0 {
                "closed".into()
            } else {
                "open".into()
            },
        })
        .collect();
    repo.batch_put(&issues).await?;

    // Query the open issues by index, newest first, a page of 5 at a time, following the
    // cursor. `Issue::query_issues_by_status` is the typed access pattern the derive writes
    // for the index: its arguments are the partition fields, with their types; its sort
    // methods take a leading run of the sort fields (`status_eq`, `status_and_number_gt`).
    let mut query = Issue::query_issues_by_status("ada", "engine")
        .status_eq("open")
        .descending()
        .limit(5);
    let mut page_number = 1;
    loop {
        let page = repo.query_page(&query).await?;
        let numbers: Vec<u32> = page.items.iter().map(|i| i.number).collect();
        println!("open issues, page {page_number}: {numbers:?}");
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => break,
        }
        page_number += 1;
    }

    // A transaction: the star and the counter change together or not at all.
    let star = Star {
        owner: "ada".into(),
        repo: "engine".into(),
        username: "grace".into(),
    };
    let repo_key = RepoKey {
        owner: "ada".into(),
        name: "engine".into(),
    };
    repo.transaction(|tx| {
        tx.create(&star)?
            .patch::<Repo>(&repo_key, Update::new().add(Repo::STARS, 1))?;
        Ok(())
    })
    .await?;
    // Starring twice cancels the whole transaction: the counter stays at 1.
    let again = repo
        .transaction(|tx| {
            tx.create(&star)?
                .patch::<Repo>(&repo_key, Update::new().add(Repo::STARS, 1))?;
            Ok(())
        })
        .await;
    if let Err(Error::TransactionCanceled { reasons }) = &again {
        let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_str()).collect();
        println!("second star cancelled: {codes:?}");
    }
    let engine = repo
        .get::<Repo>(&repo_key)
        .await?
        .expect("repository exists");
    println!("stars on ada/engine: {}", engine.stars);

    // Closed issues after number 10: an equality on status, a range on number.
    let closed = repo
        .query_all(
            Issue::query_issues_by_status("ada", "engine").status_and_number_gt("closed", 10u32),
        )
        .await?;
    println!(
        "closed issues after 10: {:?}",
        closed.iter().map(|i| i.number).collect::<Vec<_>>()
    );

    // Repositories and stars of a user come from one index.
    let repos = repo.query_all(Repo::query_gsi1("ada").all()).await?;
    println!(
        "ada's repositories: {:?}",
        repos.iter().map(|r| &r.name).collect::<Vec<_>>()
    );
    Ok(())
}
