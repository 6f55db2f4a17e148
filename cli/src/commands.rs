//! The subcommands.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use monotable::raw::validate::{check_item, WriteKind};
use monotable::{
    Error, IndexKind, Item, Path as AttrPath, Projection, Repository, RepositoryExt, Scan,
    TableSchema, Value, WriteRequest,
};

use crate::checkpoint::{self, Checkpoint, Store};
use crate::location::{Kind, Location};
use crate::schema_file::SchemaFile;
use crate::{Failure, Format, ResumeArgs, SchemaArgs};

type Result<T> = std::result::Result<T, Failure>;

/// Set by Ctrl-C (or `--interrupt-after`): the run stops after the batch in flight.
#[derive(Clone, Default)]
struct Stop(Arc<AtomicBool>);

impl Stop {
    /// Watches for Ctrl-C: the first finishes the batch in flight and stops; the second
    /// exits at once (the checkpoint still marks the last whole batch).
    fn on_ctrl_c() -> Stop {
        let stop = Stop::default();
        let flag = stop.0.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                flag.store(true, Ordering::SeqCst);
                eprintln!(
                    "\ninterrupt: finishing the batch in flight, then stopping (Ctrl-C again to stop at once)"
                );
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        stop
    }

    fn requested(&self, written: u64, args: &ResumeArgs) -> bool {
        self.0.load(Ordering::SeqCst) || args.interrupt_after.is_some_and(|n| written >= n)
    }
}

/// A progress bar on stderr (drawn only on a terminal): a bar when the total is known, a
/// counter otherwise.
fn progress(total: Option<u64>, message: &str, start: u64) -> ProgressBar {
    let bar = match total {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{wide_bar}] {pos}/{len} items, {rate}, {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", rate)
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} items, {rate}, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .with_key("rate", rate),
        ),
    };
    bar.set_message(message.to_string());
    bar.set_position(start);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Items per second, whole.
fn rate(state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{:.0}/s", state.per_sec());
}

fn key_text(k: &monotable::KeyAttribute) -> String {
    format!("{} ({})", k.name, k.key_type.value_type().name())
}

/// " (N in this run)" when a resumed run had items written before it.
fn this_run(total: u64, before: u64) -> String {
    if before == 0 {
        String::new()
    } else {
        format!(" ({} in this run)", total - before)
    }
}

/// `describe`: schema, item count, items by entity type.
pub async fn describe(url: &str, args: &SchemaArgs, entity_attribute: &str) -> Result<()> {
    let loc = Location::parse("URL", url)?;
    let schema = loc.schema(args).await?;
    let repo = loc.open_source(schema.clone()).await?;
    let bar = progress(None, "counting", 0);
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = 0u64;
    let mut start = None;
    loop {
        let page = repo
            .scan(Scan {
                projection: Some(vec![AttrPath::attr(entity_attribute)]),
                exclusive_start_key: start,
                ..Scan::default()
            })
            .await
            .map_err(|e| loc.fail(e))?;
        for item in &page.items {
            let t = match item.get(entity_attribute) {
                Some(Value::S(s)) => s.clone(),
                Some(other) => format!("{other:?}"),
                None => "(none)".to_string(),
            };
            *by_type.entry(t).or_default() += 1;
        }
        total += page.items.len() as u64;
        bar.inc(page.items.len() as u64);
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    bar.finish_and_clear();
    let mut out = String::new();
    out.push_str(&format!(
        "table    {}  ({})\n",
        schema.name,
        backend_name(&loc)
    ));
    out.push_str(&format!(
        "key      {}\n",
        schema.keys().map(key_text).collect::<Vec<_>>().join(", ")
    ));
    for index in &schema.indexes {
        let projection = match &index.projection {
            Projection::All => "all".to_string(),
            Projection::KeysOnly => "keys only".to_string(),
            Projection::Include(a) => format!("keys and {}", a.join(", ")),
        };
        out.push_str(&format!(
            "index    {}  {}  {}  projection: {projection}\n",
            index.name,
            match index.kind {
                IndexKind::Global => "global",
                IndexKind::Local => "local",
            },
            index.keys().map(key_text).collect::<Vec<_>>().join(", ")
        ));
    }
    if schema.indexes.is_empty() {
        out.push_str("index    (none)\n");
    }
    if let Some(ttl) = &schema.ttl_attribute {
        out.push_str(&format!("ttl      {ttl}\n"));
    }
    out.push_str(&format!("items    {total}\n"));
    if !by_type.is_empty() {
        let width = by_type
            .keys()
            .map(String::len)
            .chain([entity_attribute.len()])
            .max()
            .unwrap_or(0);
        out.push_str(&format!("\n{entity_attribute:<width$}  items\n"));
        for (t, n) in &by_type {
            out.push_str(&format!("{t:<width$}  {n}\n"));
        }
    }
    print!("{out}");
    Ok(())
}

fn backend_name(loc: &Location) -> String {
    match &loc.kind {
        Kind::SqliteFile(p) => format!("SQLite, {}", p.display()),
        Kind::SqliteMemory => "SQLite in memory".into(),
        Kind::Memory => "memory".into(),
        Kind::DynamoDb { endpoint, .. } => match endpoint {
            Some(e) => format!("DynamoDB at {e}"),
            None => "DynamoDB".into(),
        },
    }
}

/// `schema`: the table's schema as a schema file.
pub async fn schema(url: &str, args: &SchemaArgs, format: Format) -> Result<()> {
    let loc = Location::parse("URL", url)?;
    let schema = loc.schema(args).await?;
    let file = SchemaFile::from_schema(&schema);
    let text = match format {
        Format::Toml => toml::to_string(&file).map_err(|e| Failure::new(e.to_string()))?,
        Format::Json => {
            serde_json::to_string_pretty(&file).map_err(|e| Failure::new(e.to_string()))? + "\n"
        }
    };
    print!("{text}");
    Ok(())
}

/// `check`: a schema file against a DynamoDB table.
pub async fn check(url: &str, schema_path: &Path) -> Result<()> {
    let loc = Location::parse("URL", url)?;
    let Some(client) = loc.dynamodb_client().await else {
        return Err(loc.fail(
            "check compares a schema with a DynamoDB table; SQLite and memory tables are \
             created from the schema they are opened with, so they cannot drift",
        ));
    };
    let mut schema = SchemaFile::load(schema_path)?;
    if let Kind::DynamoDb { table, .. } = &loc.kind {
        schema.name = table.clone();
    }
    let repo = monotable::DynamoDbRepository::with_client(client, schema.clone())
        .map_err(|e| loc.fail(e))?;
    let diffs = repo.check_table().await.map_err(|e| match e {
        Error::TableNotFound { table } => loc.fail(format!("table {table} does not exist")),
        e => loc.fail(e),
    })?;
    if diffs.is_empty() {
        println!("table {} matches {}", schema.name, schema_path.display());
        return Ok(());
    }
    for d in &diffs {
        println!("{d}");
    }
    Err(Failure::with_code(
        format!(
            "table {} differs from {} in {} way(s)",
            schema.name,
            schema_path.display(),
            diffs.len()
        ),
        3,
    ))
}

/// The number of items, for a progress bar: counted for the local backends, unknown on
/// DynamoDB (a count would read the whole table once more).
async fn count(loc: &Location, repo: &dyn Repository) -> Result<Option<u64>> {
    if matches!(loc.kind, Kind::DynamoDb { .. }) {
        return Ok(None);
    }
    let mut total = 0u64;
    let mut start = None;
    loop {
        let page = repo
            .scan(Scan {
                count_only: true,
                exclusive_start_key: start,
                ..Scan::default()
            })
            .await
            .map_err(|e| loc.fail(e))?;
        total += page.count as u64;
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(Some(total));
        }
    }
}

fn store_for(args: &ResumeArgs, command: &str, source: &str, destination: &str) -> Store {
    Store::new(
        args.checkpoint
            .clone()
            .unwrap_or_else(|| checkpoint::default_path(command, source, destination)),
    )
}

fn interrupted(what: &str, written: u64, store: &Store) -> Failure {
    Failure::with_code(
        format!(
            "interrupted: {written} item(s) {what}; checkpoint {}: run the same command with \
             --resume to continue",
            store.path().display()
        ),
        130,
    )
}

/// A batch that could not be written: what is written, what may be, how to go on.
fn write_failure(e: Error, before: u64, batch: usize, store: &Store) -> Failure {
    let partly = match &e {
        Error::Unprocessed { done, count, .. } => {
            format!("of the batch in flight ({batch} items), {done} were written and {count} not")
        }
        _ => format!("the batch in flight ({batch} items) may be partly written"),
    };
    Failure::new(format!(
        "writing failed: {e}. {before} item(s) were written before this batch; {partly}. \
         Checkpoint {}: fix the cause and run the same command with --resume (writing a \
         batch again is idempotent)",
        store.path().display()
    ))
}

async fn write_items(repo: &dyn Repository, items: Vec<Item>) -> std::result::Result<(), Error> {
    repo.batch_write(items.into_iter().map(WriteRequest::Put).collect())
        .await
}

/// Scans `source` from the checkpoint on, a page of `batch_size` items at a time, giving
/// each page to `sink`; the checkpoint moves after each page `sink` has written whole.
async fn scan_batches<F, Fut>(
    source: &Location,
    repo: &dyn Repository,
    mut ckpt: Checkpoint,
    store: Option<&Store>,
    args: &ResumeArgs,
    bar: &ProgressBar,
    mut sink: F,
) -> Result<Checkpoint>
where
    F: FnMut(Vec<Item>, Checkpoint) -> Fut,
    Fut: std::future::Future<Output = Result<Checkpoint>>,
{
    let stop = Stop::on_ctrl_c();
    let mut start = ckpt.after_key().map_err(Failure::new)?;
    loop {
        let page = repo
            .scan(Scan {
                limit: Some(args.batch_size),
                exclusive_start_key: start,
                ..Scan::default()
            })
            .await
            .map_err(|e| source.fail(e))?;
        let n = page.items.len() as u64;
        ckpt = sink(page.items, ckpt).await?;
        ckpt.written += n;
        ckpt.after = page.last_evaluated_key.as_ref().map(Item::to_json);
        bar.inc(n);
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(ckpt);
        }
        if let Some(store) = store {
            store.save(&ckpt)?;
            if stop.requested(ckpt.written, args) {
                bar.finish_and_clear();
                return Err(interrupted("done", ckpt.written, store));
            }
        }
    }
}

/// `export`: every item as a line of DynamoDB JSON.
pub async fn export(
    url: &str,
    args: &SchemaArgs,
    output: Option<&Path>,
    resume: &ResumeArgs,
) -> Result<()> {
    let loc = Location::parse("URL", url)?;
    let schema = loc.schema(args).await?;
    let repo = loc.open_source(schema).await?;
    let started = Instant::now();
    let Some(path) = output else {
        if resume.resume {
            return Err(Failure::new(
                "--resume needs --output FILE: standard output cannot be resumed",
            ));
        }
        let bar = progress(count(&loc, repo.as_ref()).await?, "exporting", 0);
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let fresh = Checkpoint::new("export", url, "-");
        let done = scan_batches(
            &loc,
            repo.as_ref(),
            fresh,
            None,
            resume,
            &bar,
            |items, c| {
                let written = write_lines(&mut out, &items).map(|_| c);
                async move { written }
            },
        )
        .await?;
        bar.finish_and_clear();
        eprintln!(
            "exported {} item(s) from {url} in {:.1?}",
            done.written,
            started.elapsed()
        );
        return Ok(());
    };
    let dest = path.display().to_string();
    let store = store_for(resume, "export", url, &dest);
    let ckpt = store.begin(
        Checkpoint::new("export", url, &dest),
        resume.resume,
        resume.restart,
    )?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Failure::new(format!("--output {dest}: {e}")))?;
    // Drop whatever an interrupted run wrote after its last whole batch.
    file.set_len(ckpt.bytes)
        .and_then(|()| file.seek(std::io::SeekFrom::End(0)))
        .map_err(|e| Failure::new(format!("--output {dest}: {e}")))?;
    let bar = progress(count(&loc, repo.as_ref()).await?, "exporting", ckpt.written);
    let before = ckpt.written;
    let mut out = std::io::BufWriter::new(file);
    let done = scan_batches(
        &loc,
        repo.as_ref(),
        ckpt,
        Some(&store),
        resume,
        &bar,
        |items, mut c| {
            let written = write_lines(&mut out, &items).and_then(|n| {
                out.flush()
                    .map_err(|e| Failure::new(format!("--output {dest}: {e}")))?;
                c.bytes += n;
                Ok(c)
            });
            async move { written }
        },
    )
    .await?;
    bar.finish_and_clear();
    store.finish()?;
    eprintln!(
        "exported {} item(s){} from {url} to {dest} in {:.1?}",
        done.written,
        this_run(done.written, before),
        started.elapsed()
    );
    Ok(())
}

/// Writes items as `{"Item": {...}}` lines; returns the bytes written.
fn write_lines(out: &mut impl Write, items: &[Item]) -> Result<u64> {
    let mut bytes = 0u64;
    for item in items {
        let line = serde_json::json!({ "Item": item.to_json() }).to_string();
        if let Err(e) = writeln!(out, "{line}") {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                // `monotable export … | head`: the reader has what it wanted.
                std::process::exit(0);
            }
            return Err(Failure::new(format!("cannot write: {e}")));
        }
        bytes += line.len() as u64 + 1;
    }
    Ok(bytes)
}

/// `copy`: every item of one table into another.
pub async fn copy(
    from: &str,
    to: &str,
    args: &SchemaArgs,
    create_table: bool,
    resume: &ResumeArgs,
) -> Result<()> {
    let source = Location::parse("FROM", from)?;
    let dest = Location::parse("TO", to)?;
    let schema = source.schema(args).await?;
    let from_repo = source.open_source(schema.clone()).await?;
    let to_repo = dest.open_destination(schema, create_table).await?;
    let store = store_for(resume, "copy", from, to);
    let ckpt = store.begin(
        Checkpoint::new("copy", from, to),
        resume.resume,
        resume.restart,
    )?;
    let started = Instant::now();
    let bar = progress(
        count(&source, from_repo.as_ref()).await?,
        "copying",
        ckpt.written,
    );
    let before = ckpt.written;
    let to_ref = to_repo.as_ref();
    let store_ref = &store;
    let done = scan_batches(
        &source,
        from_repo.as_ref(),
        ckpt,
        Some(&store),
        resume,
        &bar,
        |items, c| async move {
            let n = items.len();
            write_items(to_ref, items)
                .await
                .map_err(|e| write_failure(e, c.written, n, store_ref))?;
            Ok(c)
        },
    )
    .await?;
    bar.finish_and_clear();
    store.finish()?;
    eprintln!(
        "copied {} item(s){} from {from} to {to} in {:.1?}",
        done.written,
        this_run(done.written, before),
        started.elapsed()
    );
    if dest.is_ephemeral() {
        eprintln!("({to} lives only as long as this command: the items were written and checked, then discarded)");
    }
    Ok(())
}

/// The input of `import`: a file read twice (check, then write), or standard input held.
enum Input {
    File(std::path::PathBuf),
    Held(Vec<String>),
}

impl Input {
    fn open(path: &Path) -> Result<Input> {
        if path == Path::new("-") {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::new(format!("standard input: {e}")))?;
            return Ok(Input::Held(text.lines().map(str::to_string).collect()));
        }
        std::fs::metadata(path)
            .map_err(|e| Failure::new(format!("FILE {}: {e}", path.display())))?;
        Ok(Input::File(path.to_path_buf()))
    }

    fn lines(&self) -> Result<Box<dyn Iterator<Item = std::io::Result<String>> + '_>> {
        match self {
            Input::File(p) => {
                let f = std::fs::File::open(p)
                    .map_err(|e| Failure::new(format!("FILE {}: {e}", p.display())))?;
                Ok(Box::new(BufReader::new(f).lines()))
            }
            Input::Held(lines) => Ok(Box::new(lines.iter().cloned().map(Ok))),
        }
    }

    /// Length and modification time (seconds), to refuse resuming a changed file.
    fn stamp(&self) -> Option<(u64, u64)> {
        let Input::File(p) = self else { return None };
        let m = std::fs::metadata(p).ok()?;
        let t = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some((m.len(), t.as_secs()))
    }
}

/// One line of an import: blank (skipped) or an item, checked against the schema.
fn parse_line(line: &str, schema: &TableSchema) -> std::result::Result<Option<Item>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let json: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let shape = "expected {\"Item\": {...}} with the item in DynamoDB JSON (as `monotable export` and DynamoDB's export to S3 write it)";
    let inner = match json.as_object() {
        Some(o) if o.len() == 1 && o.contains_key("Item") => &o["Item"],
        _ => return Err(shape.to_string()),
    };
    if !inner.is_object() {
        return Err(shape.to_string());
    }
    let item = Item::from_json(inner)?;
    check_item(schema, &item, WriteKind::Put).map_err(|e| {
        let keys: Vec<String> = schema
            .keys()
            .map(|k| format!("{} ({})", k.name, k.key_type.value_type().name()))
            .collect();
        format!("{e} (the table's keys: {})", keys.join(", "))
    })?;
    Ok(Some(item))
}

/// `import`: JSON lines into a table.
pub async fn import(
    input_path: &Path,
    url: &str,
    args: &SchemaArgs,
    create_table: bool,
    resume: &ResumeArgs,
) -> Result<()> {
    let dest = Location::parse("TO", url)?;
    let input = Input::open(input_path)?;
    let name = if input_path == Path::new("-") {
        "standard input".to_string()
    } else {
        input_path.display().to_string()
    };
    // The schema before the check: it says which attributes are keys. For a DynamoDB table
    // that does not exist yet, --schema is needed.
    let schema = dest.schema(args).await?;
    // Check every line before writing any.
    let mut total = 0u64;
    for (n, line) in input.lines()?.enumerate() {
        let line = line.map_err(|e| Failure::new(format!("{name} line {}: {e}", n + 1)))?;
        if parse_line(&line, &schema)
            .map_err(|e| Failure::new(format!("{name} line {}: {e}; nothing was written", n + 1)))?
            .is_some()
        {
            total += 1;
        }
    }
    let repo = dest.open_destination(schema.clone(), create_table).await?;
    let store = store_for(resume, "import", &name, url);
    let mut fresh = Checkpoint::new("import", &name, url);
    fresh.input_stamp = input.stamp();
    let mut ckpt = store.begin(fresh.clone(), resume.resume, resume.restart)?;
    let before = ckpt.written;
    if ckpt.input_stamp != fresh.input_stamp {
        return Err(Failure::new(format!(
            "{name} changed since the interrupted import (checkpoint {}): pass --restart to import it from the beginning",
            store.path().display()
        )));
    }
    let started = Instant::now();
    let bar = progress(Some(total), "importing", ckpt.written);
    let stop = Stop::on_ctrl_c();
    let mut batch: Vec<Item> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut last_line = ckpt.lines;
    let flush = |batch: Vec<Item>, ckpt: &mut Checkpoint, through: u64| {
        let repo = repo.clone();
        let store = store.clone();
        let mut c = ckpt.clone();
        async move {
            let n = batch.len();
            if n > 0 {
                write_items(repo.as_ref(), batch)
                    .await
                    .map_err(|e| write_failure(e, c.written, n, &store))?;
            }
            c.written += n as u64;
            c.lines = through;
            store.save(&c)?;
            Ok::<_, Failure>(c)
        }
    };
    for (n, line) in input.lines()?.enumerate() {
        let number = n as u64 + 1;
        if number <= ckpt.lines {
            continue;
        }
        let line = line.map_err(|e| Failure::new(format!("{name} line {number}: {e}")))?;
        let Some(item) = parse_line(&line, &schema).map_err(|e| {
            Failure::new(format!(
                "{name} line {number}: {e} (it changed while importing)"
            ))
        })?
        else {
            continue;
        };
        let key = format!("{:?}", schema.key_of(&item));
        // A key twice in one batch is refused by DynamoDB: write the first one's batch first,
        // so the later line wins as it would line by line.
        if keys.contains(&key) || batch.len() >= resume.batch_size as usize {
            let len = batch.len() as u64;
            ckpt = flush(std::mem::take(&mut batch), &mut ckpt, last_line).await?;
            keys.clear();
            bar.inc(len);
            if stop.requested(ckpt.written, resume) {
                bar.finish_and_clear();
                return Err(interrupted("imported", ckpt.written, &store));
            }
        }
        keys.insert(key);
        batch.push(item);
        last_line = number;
    }
    let len = batch.len() as u64;
    ckpt = flush(batch, &mut ckpt, last_line).await?;
    bar.inc(len);
    bar.finish_and_clear();
    store.finish()?;
    eprintln!(
        "imported {} item(s){} from {name} into {url} in {:.1?}",
        ckpt.written,
        this_run(ckpt.written, before),
        started.elapsed()
    );
    if dest.is_ephemeral() {
        eprintln!("({url} lives only as long as this command: the items were written and checked, then discarded)");
    }
    Ok(())
}
