//! The `monotable` binary end to end: SQLite files, memory (within one process: each run of
//! the tool is a new process, so `memory://` starts empty every time and can only be a
//! destination), and DynamoDB Local (started by `monotable_testkit::dynamodb_local`).
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use monotable_testkit::dynamodb_local::DynamoDbLocal;

/// What a run of the tool gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A folder of its own for a test: the tool's working folder (checkpoints land there).
struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("monotable-cli-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], env: &[(&str, String)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_monotable"))
            .args(args)
            .current_dir(&self.0)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn checkpoints(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".checkpoint.json"))
            .collect()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SCHEMA: &str = r#"
table = "shop"
partition_key = "pk"
sort_key = "sk"

[[indexes]]
name = "gsi1"
partition_key = "gsi1pk"
sort_key = "gsi1sk"
"#;

/// `n` items as export lines: every fifth a User, the others Orders (with an index key).
fn items(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let line = if i % 5 == 0 {
            serde_json::json!({ "Item": {
                "pk": { "S": format!("USER#{i}") }, "sk": { "S": "USER" },
                "_et": { "S": "User" }, "name": { "S": format!("user {i}") },
                "tags": { "SS": ["a", "b"] }, "blob": { "B": "AAEC" }
            }})
        } else {
            serde_json::json!({ "Item": {
                "pk": { "S": format!("USER#{}", i / 5 * 5) }, "sk": { "S": format!("ORDER#{i:05}") },
                "_et": { "S": "Order" }, "total": { "N": format!("{i}.5") },
                "gsi1pk": { "S": format!("ORDER#{i}") }, "gsi1sk": { "S": "ORDER" },
                "lines": { "L": [ { "M": { "sku": { "S": "x" }, "n": { "N": "1" } } } ] }
            }})
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// The lines of an export (or an input file) as a set of JSON values, so order does not
/// matter and key order within an item does not either.
fn line_set(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap()
                .to_string()
        })
        .collect()
}

fn setup(dir: &Dir, n: usize) -> String {
    std::fs::write(dir.path("shop.toml"), SCHEMA).unwrap();
    std::fs::write(dir.path("items.jsonl"), items(n)).unwrap();
    items(n)
}

#[test]
fn sqlite_import_describe_export_round_trip() {
    let dir = Dir::new("roundtrip");
    let input = setup(&dir, 250);
    let run = dir
        .run(&[
            "import",
            "items.jsonl",
            "sqlite://shop.db",
            "--schema",
            "shop.toml",
            "--create-table",
            "--batch-size",
            "40",
        ])
        .ok();
    assert!(
        run.stderr.contains("imported 250 item(s)"),
        "{}",
        run.stderr
    );
    assert!(
        dir.checkpoints().is_empty(),
        "a completed run leaves no checkpoint"
    );
    let described = dir
        .run(&["describe", "sqlite://shop.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    for expected in [
        "table    shop",
        "index    gsi1  global  gsi1pk (S), gsi1sk (S)",
        "items    250",
        "Order  200",
        "User   50",
    ] {
        assert!(described.contains(expected), "{expected:?} in\n{described}");
    }
    // --table and --gsi say the same as the file.
    let short = dir
        .run(&[
            "describe",
            "sqlite://shop.db",
            "--table",
            "shop",
            "--gsi",
            "gsi1",
        ])
        .ok()
        .stdout;
    assert_eq!(short, described);
    let exported = dir
        .run(&["export", "sqlite://shop.db", "--schema", "shop.toml"])
        .ok();
    assert_eq!(line_set(&exported.stdout), line_set(&input));
    // To a file, the same lines.
    dir.run(&[
        "export",
        "sqlite://shop.db",
        "--schema",
        "shop.toml",
        "-o",
        "out.jsonl",
    ])
    .ok();
    let file = std::fs::read_to_string(dir.path("out.jsonl")).unwrap();
    assert_eq!(line_set(&file), line_set(&input));
    // The schema command prints a file that opens the same table.
    let printed = dir
        .run(&["schema", "sqlite://shop.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    std::fs::write(dir.path("printed.toml"), &printed).unwrap();
    let again = dir
        .run(&["describe", "sqlite://shop.db", "--schema", "printed.toml"])
        .ok()
        .stdout;
    assert_eq!(again, described);
    let json = dir
        .run(&[
            "schema",
            "sqlite://shop.db",
            "--schema",
            "shop.toml",
            "--format",
            "json",
        ])
        .ok()
        .stdout;
    std::fs::write(dir.path("printed.json"), &json).unwrap();
    dir.run(&["describe", "sqlite://shop.db", "--schema", "printed.json"])
        .ok();
}

#[test]
fn bad_input_names_the_line_or_argument_and_writes_nothing() {
    let dir = Dir::new("badinput");
    setup(&dir, 30);
    let mut lines: Vec<String> = items(30).lines().map(str::to_string).collect();
    for (n, bad, says) in [
        (17, "{\"Item\": {\"pk\": {\"S\": \"x\"}", "line 17: not JSON"),
        (5, "{\"pk\": {\"S\": \"x\"}, \"sk\": {\"S\": \"y\"}}", "line 5: expected {\"Item\": {...}}"),
        (9, "{\"Item\": {\"pk\": {\"S\": \"x\"}}}", "line 9: One of the required keys was not given a value"),
        (12, "{\"Item\": {\"pk\": {\"S\": \"x\"}, \"sk\": {\"N\": \"1\"}}}", "line 12: "),
        (3, "{\"Item\": {\"pk\": {\"S\": \"x\"}, \"sk\": {\"S\": \"y\"}, \"n\": {\"N\": \"1e999\"}}}", "line 3: "),
    ] {
        let saved = std::mem::replace(&mut lines[n - 1], bad.to_string());
        std::fs::write(dir.path("bad.jsonl"), lines.join("\n")).unwrap();
        lines[n - 1] = saved;
        let run = dir.run(&["import", "bad.jsonl", "sqlite://bad.db", "--schema", "shop.toml", "--create-table"]);
        assert_eq!(run.code, 1, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("bad.jsonl {says}")), "{says:?} in {}", run.stderr);
        assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
        assert!(!dir.path("bad.db").exists(), "the check comes before the destination is opened");
    }
    for (args, says) in [
        (
            vec!["describe", "postgres://db"],
            "URL \"postgres://db\": unknown scheme \"postgres\"",
        ),
        (
            vec!["copy", "sqlite://a.db", "ftp://b", "--table", "shop"],
            "TO \"ftp://b\": unknown scheme \"ftp\"",
        ),
        (
            vec!["export", "shop.db", "--table", "shop"],
            "URL \"shop.db\": not a repository URL",
        ),
        (
            vec!["describe", "sqlite://missing.db", "--table", "shop"],
            "URL sqlite://missing.db: no such file",
        ),
        (
            vec!["describe", "sqlite://x.db"],
            "URL sqlite://x.db: this backend does not record its table's key schema",
        ),
        (
            vec!["describe", "sqlite://x.db", "--schema", "nope.toml"],
            "--schema nope.toml: ",
        ),
        (
            vec!["import", "nope.jsonl", "memory://", "--table", "shop"],
            "FILE nope.jsonl: ",
        ),
        (
            vec!["describe", "dynamodb://t?colour=red", "--table", "shop"],
            "unknown parameter \"colour\"",
        ),
    ] {
        let run = dir.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{says:?} in {}", run.stderr);
    }
    // A missing table in an existing file, as a source and as a destination.
    dir.run(&[
        "import",
        "items.jsonl",
        "sqlite://other.db",
        "--table",
        "other",
        "--create-table",
    ])
    .ok();
    let run = dir.run(&["describe", "sqlite://other.db", "--table", "shop"]);
    assert!(
        run.stderr
            .contains("URL sqlite://other.db: table shop does not exist"),
        "{}",
        run.stderr
    );
    let run = dir.run(&[
        "import",
        "items.jsonl",
        "sqlite://other.db",
        "--table",
        "shop",
    ]);
    assert!(
        run.stderr
            .contains("TO sqlite://other.db: table shop does not exist (pass --create-table"),
        "{}",
        run.stderr
    );
    // check is for DynamoDB.
    let run = dir.run(&["check", "sqlite://other.db", "--schema", "shop.toml"]);
    assert!(
        run.stderr
            .contains("check compares a schema with a DynamoDB table"),
        "{}",
        run.stderr
    );
}

#[test]
fn sqlite_copy_interrupted_then_resumed() {
    let dir = Dir::new("resume");
    let input = setup(&dir, 600);
    dir.run(&[
        "import",
        "items.jsonl",
        "sqlite://from.db",
        "--schema",
        "shop.toml",
        "--create-table",
    ])
    .ok();
    let copy = [
        "copy",
        "sqlite://from.db",
        "sqlite://to.db",
        "--schema",
        "shop.toml",
        "--create-table",
        "--batch-size",
        "100",
    ];
    let mut args = copy.to_vec();
    args.extend(["--interrupt-after", "250"]);
    let run = dir.run(&args);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(
        run.stderr.contains("interrupted: 300 item(s) done"),
        "{}",
        run.stderr
    );
    assert_eq!(dir.checkpoints().len(), 1);
    let partial = dir
        .run(&["export", "sqlite://to.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    assert_eq!(line_set(&partial).len(), 300, "whole batches only");
    // Without --resume the checkpoint is not ignored.
    let run = dir.run(&copy);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("pass --resume to continue it, or --restart"),
        "{}",
        run.stderr
    );
    let mut resume = copy.to_vec();
    resume.push("--resume");
    let run = dir.run(&resume).ok();
    assert!(run.stderr.contains("resuming from"), "{}", run.stderr);
    assert!(run.stderr.contains("copied 600 item(s)"), "{}", run.stderr);
    assert!(dir.checkpoints().is_empty());
    let copied = dir
        .run(&["export", "sqlite://to.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    assert_eq!(line_set(&copied), line_set(&input));
    // A rerun over a full destination is idempotent.
    dir.run(&copy).ok();
    let again = dir
        .run(&["export", "sqlite://to.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    assert_eq!(line_set(&again), line_set(&input));
}

#[test]
fn sqlite_import_and_export_interrupted_then_resumed() {
    let dir = Dir::new("resume-import");
    let input = setup(&dir, 500);
    let import = [
        "import",
        "items.jsonl",
        "sqlite://to.db",
        "--schema",
        "shop.toml",
        "--create-table",
        "--batch-size",
        "64",
    ];
    let mut args = import.to_vec();
    args.extend(["--interrupt-after", "100"]);
    let run = dir.run(&args);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(
        run.stderr.contains("interrupted: 128 item(s) imported"),
        "{}",
        run.stderr
    );
    let mut resume = import.to_vec();
    resume.push("--resume");
    let run = dir.run(&resume).ok();
    assert!(
        run.stderr.contains("imported 500 item(s)"),
        "{}",
        run.stderr
    );
    let out = dir
        .run(&["export", "sqlite://to.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    assert_eq!(line_set(&out), line_set(&input));

    // An export to a file: the resumed file has each item once.
    let export = [
        "export",
        "sqlite://to.db",
        "--schema",
        "shop.toml",
        "-o",
        "out.jsonl",
        "--batch-size",
        "70",
    ];
    let mut args = export.to_vec();
    args.extend(["--interrupt-after", "100"]);
    assert_eq!(dir.run(&args).code, 130);
    // What an interrupted run might have left after its checkpoint is cut off on resume.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path("out.jsonl"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"Item\": half a line").unwrap();
    let mut resume = export.to_vec();
    resume.push("--resume");
    dir.run(&resume).ok();
    let file = std::fs::read_to_string(dir.path("out.jsonl")).unwrap();
    assert_eq!(file.lines().count(), 500);
    assert_eq!(line_set(&file), line_set(&input));
}

#[test]
fn memory_is_a_destination_within_one_run() {
    let dir = Dir::new("memory");
    setup(&dir, 120);
    let run = dir
        .run(&["import", "items.jsonl", "memory://", "--table", "shop"])
        .ok();
    assert!(
        run.stderr.contains("imported 120 item(s)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("lives only as long as this command"),
        "{}",
        run.stderr
    );
    dir.run(&[
        "import",
        "items.jsonl",
        "sqlite://shop.db",
        "--table",
        "shop",
        "--create-table",
    ])
    .ok();
    let run = dir
        .run(&["copy", "sqlite://shop.db", "memory://", "--table", "shop"])
        .ok();
    assert!(run.stderr.contains("copied 120 item(s)"), "{}", run.stderr);
    let run = dir
        .run(&[
            "copy",
            "sqlite://shop.db",
            "sqlite::memory:",
            "--table",
            "shop",
        ])
        .ok();
    assert!(run.stderr.contains("copied 120 item(s)"), "{}", run.stderr);
    let run = dir.run(&["describe", "memory://", "--table", "shop"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("starts empty in every process"),
        "{}",
        run.stderr
    );
    // An item DynamoDB would refuse is caught by the check, with its line.
    std::fs::write(
        dir.path("empty-set.jsonl"),
        "{\"Item\": {\"pk\": {\"S\": \"a\"}, \"sk\": {\"S\": \"b\"}, \"s\": {\"SS\": []}}}\n",
    )
    .unwrap();
    let run = dir.run(&["import", "empty-set.jsonl", "memory://", "--table", "shop"]);
    assert!(
        run.stderr.contains("empty-set.jsonl line 1: "),
        "{}",
        run.stderr
    );
}

/// DynamoDB Local: a SQLite file seeds a table, which is described from DescribeTable,
/// checked against schemas, exported, copied back to SQLite, and copied into with an
/// interruption.
#[test]
fn dynamodb_local_end_to_end() {
    let local = DynamoDbLocal::shared();
    let env = local.env();
    let dir = Dir::new("dynamodb");
    let input = setup(&dir, 300);
    let run = |args: &[&str]| dir.run_env(args, &env);
    run(&[
        "import",
        "items.jsonl",
        "sqlite://seed.db",
        "--schema",
        "shop.toml",
        "--create-table",
    ])
    .ok();
    let table = local.table_name("cli");
    let url = local.url(&table);
    // A missing table is named, as a source and as a destination.
    let r = run(&["describe", &url]);
    assert!(
        r.stderr.contains(&format!("table {table} does not exist")),
        "{}",
        r.stderr
    );
    let r = run(&["copy", "sqlite://seed.db", &url, "--schema", "shop.toml"]);
    assert!(r.stderr.contains("pass --create-table"), "{}", r.stderr);
    // Seed, interrupted and resumed.
    let copy = [
        "copy",
        "sqlite://seed.db",
        url.as_str(),
        "--schema",
        "shop.toml",
        "--create-table",
        "--batch-size",
        "50",
    ];
    let mut args = copy.to_vec();
    args.extend(["--interrupt-after", "120"]);
    let r = run(&args);
    assert_eq!(r.code, 130, "{}", r.stderr);
    let mut resume = copy.to_vec();
    resume.push("--resume");
    let r = run(&resume).ok();
    assert!(r.stderr.contains("copied 300 item(s)"), "{}", r.stderr);
    // The schema from DescribeTable.
    let described = run(&["describe", &url]).ok().stdout;
    for expected in [
        format!("table    {table}"),
        "index    gsi1  global  gsi1pk (S), gsi1sk (S)  projection: all".into(),
        "items    300".into(),
        "Order  240".into(),
        "User   60".into(),
    ] {
        assert!(
            described.contains(&expected),
            "{expected:?} in\n{described}"
        );
    }
    let printed = run(&["schema", &url]).ok().stdout;
    assert!(printed.contains("name = \"gsi1\""), "{printed}");
    // check: the same schema matches; one more index and another projection are drift.
    let r = run(&["check", &url, "--schema", "shop.toml"]).ok();
    assert!(r.stdout.contains("matches"), "{}", r.stdout);
    std::fs::write(
        dir.path("drift.toml"),
        format!("{SCHEMA}projection = \"keys_only\"\n\n[[indexes]]\nname = \"gsi2\"\npartition_key = \"gsi2pk\"\n"),
    )
    .unwrap();
    let r = run(&["check", &url, "--schema", "drift.toml"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stdout.contains("index gsi2: missing from the table"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("index gsi1: projection differs"),
        "{}",
        r.stdout
    );
    // Export, and back to SQLite with no schema given (DescribeTable's).
    let exported = run(&["export", &url]).ok().stdout;
    assert_eq!(line_set(&exported), line_set(&input));
    run(&["copy", &url, "sqlite://debug.db", "--create-table"]).ok();
    let back = run(&["export", "sqlite://debug.db", "--table", &table])
        .ok()
        .stdout;
    assert_eq!(line_set(&back), line_set(&input));
    // Import straight into DynamoDB (overwrites the same items: idempotent).
    let r = run(&["import", "items.jsonl", &url, "--batch-size", "30"]).ok();
    assert!(r.stderr.contains("imported 300 item(s)"), "{}", r.stderr);
}

/// The harness a user gets: an owned DynamoDB Local answers, and is gone once dropped.
#[tokio::test]
async fn harness_starts_and_stops_dynamodb_local() {
    let local = DynamoDbLocal::start().unwrap();
    if std::env::var("MONOTABLE_DYNAMODB_LOCAL").as_deref() == Ok("docker") {
        assert!(matches!(
            local.source(),
            monotable_testkit::dynamodb_local::Source::Docker { .. }
        ));
    }
    let client = local.client();
    client.list_tables().send().await.unwrap();
    let a = local.table_name("t");
    let b = local.table_name("t");
    assert_ne!(a, b);
    let started = !matches!(
        local.source(),
        monotable_testkit::dynamodb_local::Source::Endpoint
    );
    let endpoint = local.endpoint().to_string();
    drop(local);
    if started {
        let port = endpoint.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "{endpoint} still answers after drop"
        );
    }
}

/// A real Ctrl-C (SIGINT) during a copy: the batch in flight finishes, the checkpoint is
/// written, the exit status is 130, and `--resume` completes the copy.
#[test]
fn sqlite_copy_stopped_by_sigint_then_resumed() {
    let dir = Dir::new("sigint");
    let input = setup(&dir, 5000);
    dir.run(&[
        "import",
        "items.jsonl",
        "sqlite://from.db",
        "--schema",
        "shop.toml",
        "--create-table",
    ])
    .ok();
    // Small batches, each its own SQLite transaction: slow enough to be interrupted.
    let copy = [
        "copy",
        "sqlite://from.db",
        "sqlite://to.db",
        "--schema",
        "shop.toml",
        "--create-table",
        "--batch-size",
        "5",
    ];
    let child = Command::new(env!("CARGO_BIN_EXE_monotable"))
        .args(copy)
        .current_dir(&dir.0)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while dir.checkpoints().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupt: finishing the batch in flight"),
        "{stderr}"
    );
    assert!(
        stderr.contains("run the same command with --resume"),
        "{stderr}"
    );
    let mut resume = copy.to_vec();
    resume.push("--resume");
    let run = dir.run(&resume).ok();
    assert!(
        run.stderr.contains("copied 5000 item(s) ("),
        "{}",
        run.stderr
    );
    let copied = dir
        .run(&["export", "sqlite://to.db", "--schema", "shop.toml"])
        .ok()
        .stdout;
    assert_eq!(line_set(&copied), line_set(&input));
}

/// When the destination goes away mid-import, the tool says how many items were written
/// and that the batch in flight may be partly written, and keeps the checkpoint.
#[test]
fn a_failed_write_says_what_was_written() {
    let local = DynamoDbLocal::start().unwrap();
    if matches!(
        local.source(),
        monotable_testkit::dynamodb_local::Source::Endpoint
    ) {
        eprintln!("AWS_ENDPOINT_URL_DYNAMODB names a server this test cannot stop: not run");
        return;
    }
    let env = local.env();
    let dir = Dir::new("failed-write");
    setup(&dir, 3000);
    let url = local.url(&local.table_name("failed"));
    let child = Command::new(env!("CARGO_BIN_EXE_monotable"))
        .args([
            "import",
            "items.jsonl",
            &url,
            "--schema",
            "shop.toml",
            "--create-table",
            "--batch-size",
            "25",
        ])
        .current_dir(&dir.0)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while dir.checkpoints().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The server goes away mid-import.
    drop(local);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("writing failed: "), "{stderr}");
    assert!(
        stderr.contains("item(s) were written before this batch"),
        "{stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    let checkpoint: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&dir.checkpoints()[0]).unwrap()).unwrap();
    let written = checkpoint["written"].as_u64().unwrap();
    assert!(
        stderr.contains(&format!("{written} item(s) were written before this batch")),
        "checkpoint says {written}: {stderr}"
    );
}
