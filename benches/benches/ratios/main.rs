//! monotable beside raw baselines, in one run: each operation through monotable's typed API
//! and through raw code on the same data, alternating samples, printing monotable ÷ raw.
//!
//! ```text
//! cargo bench -p monotable-benches                  # everything (about 6 minutes on 2 cores)
//! cargo bench -p monotable-benches -- sqlite memory # only some sections
//! ```
//!
//! Sections: `sqlite` (raw rusqlite on the same file and durability), `memory` (a raw
//! `BTreeMap`), `dynamodb` (the raw aws-sdk-dynamodb client against the same DynamoDB Local),
//! `entity` (the conversions alone), `budget` (bytes held per item, memory and SQLite). Environment: `MONOTABLE_BENCH_1M=1` adds a table of 1M
//! items to the 10k and 100k ones (building its file takes minutes, once);
//! `MONOTABLE_BENCH_SIZES=10000,100000` sets the sizes; `MONOTABLE_BENCH_QUICK=1` takes
//! shorter samples; DynamoDB Local is found or started as by the DynamoDB tests
//! (`AWS_ENDPOINT_URL_DYNAMODB`, `MONOTABLE_DYNAMODB_LOCAL_DIR`).

mod budget;
mod dynamo;
mod harness;
mod memory;
mod model;
mod sqlite;

use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: budget::Counting = budget::Counting;

pub struct Config {
    pub sizes: Vec<u64>,
    /// Rounds of alternating samples per row.
    pub rounds: usize,
    pub insert_rounds: usize,
    pub throughput_rounds: usize,
    /// Length of one sample of a short operation.
    pub budget: Duration,
    /// Rows per insert sample.
    pub inserts: u64,
    pub dynamodb_items: u64,
    /// Operations per CPU sample.
    pub dynamodb_ops: u64,
    pub throughput_time: Duration,
}

fn config() -> Config {
    let quick = std::env::var_os("MONOTABLE_BENCH_QUICK").is_some();
    let sizes = match std::env::var("MONOTABLE_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) if std::env::var_os("MONOTABLE_BENCH_1M").is_some() => {
            vec![10_000, 100_000, 1_000_000]
        }
        Err(_) => vec![10_000, 100_000],
    };
    Config {
        sizes,
        rounds: if quick { 3 } else { 5 },
        insert_rounds: if quick { 2 } else { 4 },
        throughput_rounds: if quick { 1 } else { 2 },
        budget: Duration::from_millis(if quick { 100 } else { 300 }),
        inserts: if quick { 500 } else { 2_000 },
        dynamodb_items: 2_000,
        dynamodb_ops: if quick { 100 } else { 300 },
        throughput_time: Duration::from_millis(if quick { 1000 } else { 2500 }),
    }
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |s: &str| filters.is_empty() || filters.iter().any(|f| f == s);
    let cfg = config();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let mut lines = Vec::new();
    if wanted("sqlite") {
        sqlite::run(&rt, &cfg, &mut lines);
    }
    if wanted("memory") {
        memory::run(&rt, &cfg, &mut lines);
    }
    if wanted("entity") {
        dynamo::conversions(&cfg, &mut lines);
    }
    if wanted("budget") {
        budget::run(&rt, &mut lines);
    }
    if wanted("dynamodb") {
        dynamo::run(&rt, &cfg, &mut lines);
    }
    harness::print(&lines);
    println!(
        "\nmetric: time and cpu are per operation (per item for inserts and batches), lower is better; \
         throughput is items per second, higher is better. {} rounds per row, alternating; took {:.0} s.",
        cfg.rounds,
        started.elapsed().as_secs_f64()
    );
}
