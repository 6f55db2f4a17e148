//! DynamoDB Local's recorded vectors, replayed through the DynamoDB backend against DynamoDB
//! Local itself: every replayable vector must pass, the local-specific ones included. Table
//! administration (CreateTable, UpdateTable, DescribeTable, DeleteTable) goes to DynamoDB
//! Local as recorded, in its JSON protocol.

mod backend;
mod support;

use std::sync::Arc;

use monotable_testkit::vectors::{self, AdminError, AdminSend, Backend, VectorFile};
use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Posts one request of DynamoDB's JSON protocol (1.0) to the endpoint, with the dummy
/// credentials of the harness's clients (DynamoDB Local keeps tables per access key and
/// region, and checks no signature).
async fn post(endpoint: &str, op: &str, body: &Json) -> Result<Json, AdminError> {
    let failed = |message: String| AdminError {
        code: "RunnerError".into(),
        message,
    };
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let payload = serde_json::to_vec(body).map_err(|e| failed(e.to_string()))?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.{op}\r\nX-Amz-Date: 20250101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .map_err(|e| failed(format!("connect {host}: {e}")))?;
    stream
        .write_all(&[head.as_bytes(), &payload].concat())
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| failed(format!("no HTTP response: {text}")))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| failed(format!("no status: {head}")))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body_text = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    let json: Json = serde_json::from_str(&body_text)
        .map_err(|e| failed(format!("response is not JSON ({e}): {body_text}")))?;
    if status == 200 {
        return Ok(json);
    }
    let code = json["__type"]
        .as_str()
        .and_then(|t| t.rsplit('#').next())
        .unwrap_or_default()
        .to_string();
    let message = json["message"]
        .as_str()
        .or_else(|| json["Message"].as_str())
        .unwrap_or_default()
        .to_string();
    Err(AdminError { code, message })
}

/// The body of a chunked HTTP response.
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// The DynamoDB backend on DynamoDB Local; an UpdateTable is followed by a repository of
/// the wider schema (a repository holds no state of its own).
fn dynamodb() -> Backend {
    let send: AdminSend = Arc::new(|op: String, body: Json| {
        Box::pin(async move { post(support::endpoint(), &op, &body).await })
    });
    Backend::new("dynamodb", backend::factory())
        .with_reopen(backend::factory())
        .with_admin(send)
}

async fn replay(file: &VectorFile) {
    let results = vectors::replay(&dynamodb(), file).await;
    vectors::assert_file("dynamodb", file, &results, include_str!("../../README.md"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    replay(&vectors::MAIN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multikey_vectors() {
    replay(&vectors::MULTIKEY).await;
}
