//! Every request runs in a `monotable.request` span carrying the operation, the table, the
//! consumed capacity and the SDK's retry count.

mod faults {
    // The fault proxy of tests/faults.rs; this test uses one of its faults.
    #[allow(dead_code)]
    pub mod proxy;
}
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use monotable_core::{GetItem, Item, PutItem, Repository, TableSchema};
use monotable_dynamodb::DynamoDbRepository;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

type Fields = HashMap<String, String>;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Fields>>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        );
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::from([("name".to_string(), attrs.metadata().name().to_string())]);
        attrs.record(&mut Visitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(&mut Visitor(fields));
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            if let Some(fields) = span.extensions().get::<Fields>() {
                if let Ok(mut spans) = self.0.lock() {
                    spans.push(fields.clone());
                }
            }
        }
    }
}

#[test]
fn requests_are_traced_with_operation_table_capacity_and_retries() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let table = format!("mt-traced-{}", std::process::id());
    rt.block_on(async {
        let repo =
            DynamoDbRepository::with_client(support::client(), TableSchema::single_table(&table))
                .unwrap();
        repo.create_table().await.unwrap();
        let item = Item::new().with("pk", "p").with("sk", "s");
        repo.put_item(PutItem {
            item: item.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        repo.get_item(GetItem {
            key: item,
            ..Default::default()
        })
        .await
        .unwrap();
    });
    let spans = capture.0.lock().unwrap().clone();
    let requests: Vec<&Fields> = spans
        .iter()
        .filter(|f| f["name"] == "monotable.request")
        .collect();
    let ops: Vec<&str> = requests
        .iter()
        .map(|f| f["db.operation"].as_str())
        .collect();
    assert_eq!(ops, vec!["CreateTable", "PutItem", "GetItem"]);
    for f in &requests[1..] {
        assert_eq!(f["db.system"], "dynamodb");
        assert_eq!(f["db.name"], table);
        assert_eq!(f["aws.dynamodb.retries"], "0", "{f:?}");
        let units: f64 = f["aws.dynamodb.consumed_capacity"].parse().unwrap();
        assert!(units > 0.0, "{f:?}");
    }
}

/// A request the SDK had to send again records how many retries it took: one throttled
/// GetItem through the fault proxy, then the answer, is `aws.dynamodb.retries = 1`.
#[test]
fn a_retried_request_records_its_retry_count() {
    use faults::proxy::{Fault, Proxy};
    use monotable_dynamodb::{Retries, RetryBudget};
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let table = format!("mt-retried-{}", std::process::id());
    rt.block_on(async {
        let direct =
            DynamoDbRepository::with_client(support::client(), TableSchema::single_table(&table))
                .unwrap();
        direct.create_table().await.unwrap();
        let proxy = Proxy::start(
            support::endpoint(),
            Arc::new(|op: &str, n: u64| {
                if op == "GetItem" && n == 0 {
                    Fault::Throttle
                } else {
                    Fault::Pass
                }
            }),
        )
        .await;
        let repo = DynamoDbRepository::with_client(
            support::client_at(&proxy.url()),
            TableSchema::single_table(&table),
        )
        .unwrap()
        .with_retries(Retries {
            initial_backoff: std::time::Duration::from_millis(5),
            max_backoff: std::time::Duration::from_millis(50),
            budget: RetryBudget::Unlimited,
            ..Retries::default()
        });
        repo.get_item(GetItem {
            key: Item::new().with("pk", "p").with("sk", "s"),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(proxy.counts().received["GetItem"], 2);
    });
    let spans = capture.0.lock().unwrap().clone();
    let get = spans
        .iter()
        .find(|f| f["name"] == "monotable.request" && f["db.operation"] == "GetItem")
        .expect("a GetItem span");
    assert_eq!(get["aws.dynamodb.retries"], "1", "{get:?}");
}
