//! A fault-injecting HTTP proxy on loopback, between the SDK and DynamoDB Local.
//!
//! It reads one HTTP/1.1 request at a time from each client connection, asks the test's
//! plan what to do with it, and either forwards it to DynamoDB Local on a fresh connection
//! (and relays the answer) or injects a fault: a throttling answer, HTTP 500 or 503, a
//! transaction conflict, a connection reset after the request was forwarded and applied, or
//! no answer at all. It counts what it forwarded, per operation.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Forward it and relay the answer.
    Pass,
    /// Answer HTTP 400 `ProvisionedThroughputExceededException` without forwarding.
    Throttle,
    /// Answer HTTP 500 `InternalServerError` without forwarding.
    Internal500,
    /// Answer HTTP 503 `ServiceUnavailable` without forwarding.
    Unavailable503,
    /// Answer a `TransactionCanceledException` with one `TransactionConflict` reason,
    /// without forwarding.
    Conflict,
    /// Forward it, wait for DynamoDB Local's answer (so it is applied), then reset the
    /// client's connection instead of answering.
    ResetAfterForward,
    /// Read it and never answer.
    Hang,
    /// Wait 400 ms, then forward it and relay the answer.
    Delay,
    /// For a BatchWriteItem of more than one request: forward only the first half, and
    /// answer DynamoDB Local's response with the second half as `UnprocessedItems`.
    PartialBatch,
}

/// Decides the fault for the `n`-th request (from 0) of an operation (`UpdateItem`, ...).
pub type Plan = Arc<dyn Fn(&str, u64) -> Fault + Send + Sync>;

/// What went through the proxy.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Requests received, per operation.
    pub received: HashMap<String, u64>,
    /// Requests forwarded to DynamoDB Local, per operation.
    pub forwarded: HashMap<String, u64>,
    /// Faults injected, per kind.
    pub injected: HashMap<Fault, u64>,
    /// Put and delete requests inside the BatchWriteItems forwarded.
    pub batch_writes_forwarded: u64,
}

/// A running proxy; it stops with the test's runtime.
pub struct Proxy {
    /// Where the SDK connects.
    pub addr: SocketAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:port`) on a free loopback port.
    pub async fn start(upstream: &str, plan: Plan) -> Proxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("DynamoDB Local on a loopback address");
        assert!(
            upstream.ip().is_loopback(),
            "the proxy forwards to loopback only"
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let counts = Arc::new(Mutex::new(Counts::default()));
        let state = (counts.clone(), plan);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (counts, plan) = state.clone();
                tokio::spawn(serve(client, upstream, counts, plan));
            }
        });
        Proxy { addr, counts }
    }

    /// The proxy's URL, for the SDK's endpoint.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What went through so far.
    pub fn counts(&self) -> Counts {
        self.counts.lock().expect("counts").clone()
    }
}

/// One HTTP message: its head (up to the blank line) and its body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<String> {
        String::from_utf8_lossy(&self.head)
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    }

    fn bytes(&self) -> Vec<u8> {
        [self.head.as_slice(), self.body.as_slice()].concat()
    }

    /// The body without chunked framing.
    fn decoded(&self) -> Vec<u8> {
        if !self
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            return self.body.clone();
        }
        let mut out = Vec::new();
        let mut rest = self.body.as_slice();
        while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = String::from_utf8_lossy(&rest[..end]);
            let Ok(size) = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
            else {
                break;
            };
            if size == 0 || rest.len() < end + 2 + size {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[(end + 4 + size).min(rest.len())..];
        }
        out
    }

    /// The same message with another body (and its length). The signature no longer
    /// matches; DynamoDB Local does not check it.
    fn with_body(&self, body: Vec<u8>) -> Message {
        let head = String::from_utf8_lossy(&self.head)
            .split("\r\n")
            .map(|l| match l.split_once(':') {
                Some((k, _)) if k.trim().eq_ignore_ascii_case("content-length") => {
                    format!("{k}: {}", body.len())
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        Message {
            head: head.into_bytes(),
            body,
        }
    }
}

/// The write requests of a BatchWriteItem body, by table.
fn batch_requests(body: &[u8]) -> Option<(String, Vec<serde_json::Value>)> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let (table, requests) = json.get("RequestItems")?.as_object()?.iter().next()?;
    Some((table.clone(), requests.as_array()?.clone()))
}

/// Splits a BatchWriteItem: the request to forward (first half) and the unprocessed rest.
fn split_batch(request: &Message) -> Option<(Message, String, Vec<serde_json::Value>)> {
    let (table, mut requests) = batch_requests(&request.body)?;
    if requests.len() < 2 {
        return None;
    }
    let rest = requests.split_off(requests.len() / 2);
    let body = serde_json::json!({ "RequestItems": { table.clone(): requests } });
    Some((
        request.with_body(body.to_string().into_bytes()),
        table,
        rest,
    ))
}

/// Reads one message with a `Content-Length` or chunked body; `None` at end of stream.
async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> Option<Message> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let mut m = Message {
        head,
        body: Vec::new(),
    };
    if let Some(len) = m.header("content-length") {
        let len: usize = len.parse().ok()?;
        m.body = vec![0; len];
        r.read_exact(&mut m.body).await.ok()?;
    } else if m
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size_line = Vec::new();
            r.read_until(b'\n', &mut size_line).await.ok()?;
            m.body.extend_from_slice(&size_line);
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&size_line)
                    .trim()
                    .split(';')
                    .next()?,
                16,
            )
            .ok()?;
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).await.ok()?;
            m.body.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    }
    Some(m)
}

fn answer(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: injected\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(client: TcpStream, upstream: SocketAddr, counts: Arc<Mutex<Counts>>, plan: Plan) {
    let (read, mut write) = client.into_split();
    let mut read = BufReader::new(read);
    while let Some(request) = read_message(&mut read).await {
        let op = request
            .header("x-amz-target")
            .and_then(|t| t.rsplit('.').next().map(str::to_string))
            .unwrap_or_default();
        let n = {
            let mut c = counts.lock().expect("counts");
            let e = c.received.entry(op.clone()).or_insert(0);
            *e += 1;
            *e - 1
        };
        let fault = plan(&op, n);
        if fault != Fault::Pass {
            *counts
                .lock()
                .expect("counts")
                .injected
                .entry(fault)
                .or_insert(0) += 1;
        }
        let canned = match fault {
            Fault::Throttle => Some(answer(
                "400 Bad Request",
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"injected throttling"}"#,
            )),
            Fault::Internal500 => Some(answer(
                "500 Internal Server Error",
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected"}"#,
            )),
            Fault::Unavailable503 => Some(answer(
                "503 Service Unavailable",
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"injected"}"#,
            )),
            Fault::Conflict => Some(answer(
                "400 Bad Request",
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#,
            )),
            Fault::Hang => {
                // Hold the connection, never answer; bounded so no task outlives the test.
                tokio::time::sleep(Duration::from_secs(120)).await;
                return;
            }
            Fault::Delay => {
                tokio::time::sleep(Duration::from_millis(400)).await;
                None
            }
            Fault::Pass | Fault::ResetAfterForward | Fault::PartialBatch => None,
        };
        if let Some(bytes) = canned {
            if write.write_all(&bytes).await.is_err() {
                return;
            }
            continue;
        }
        let split = (fault == Fault::PartialBatch)
            .then(|| split_batch(&request))
            .flatten();
        let sent = split.as_ref().map_or(&request, |(half, _, _)| half);
        let Some(mut response) = forward(upstream, sent).await else {
            return;
        };
        {
            let mut c = counts.lock().expect("counts");
            *c.forwarded.entry(op.clone()).or_insert(0) += 1;
            if op == "BatchWriteItem" {
                c.batch_writes_forwarded +=
                    batch_requests(&sent.body).map_or(0, |(_, r)| r.len() as u64);
            }
        }
        if let Some((_, table, rest)) = split {
            // A fresh answer: DynamoDB Local's CRC32 header would not match the new body.
            let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&response.decoded())
            else {
                return;
            };
            json["UnprocessedItems"] = serde_json::json!({ table: rest });
            response = Message {
                head: Vec::new(),
                body: answer("200 OK", &json.to_string()),
            };
        }
        if fault == Fault::ResetAfterForward {
            // Applied upstream; the client sees its connection reset, not the answer.
            if let Ok(client) = read.into_inner().reunite(write) {
                let _ = client.set_zero_linger();
            }
            return;
        }
        if write.write_all(&response.bytes()).await.is_err() {
            return;
        }
    }
}

/// Sends one request to DynamoDB Local on a fresh connection and reads its answer.
async fn forward(upstream: SocketAddr, request: &Message) -> Option<Message> {
    let mut conn = TcpStream::connect(upstream).await.ok()?;
    conn.write_all(&request.bytes()).await.ok()?;
    let mut reader = BufReader::new(conn);
    read_message(&mut reader).await
}
