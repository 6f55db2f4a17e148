//! `monotable`: describe, check, export, import and copy a monotable table by URL — on
//! SQLite, in memory or on DynamoDB.
//!
//! The URLs are those of `monotable::connect`: `sqlite://path/to/file.db`, `sqlite::memory:`,
//! `memory://` and `dynamodb://<table>` (region, credentials and endpoint from aws-config's
//! default chain; `?endpoint=…&region=…` override them).
//!
//! Exit status: 0 done; 1 an error (the message names the argument, file or line); 2 bad
//! usage; 3 `check` found drift; 130 interrupted (a checkpoint says where to resume).
// Doc comments here are clap's help texts, written for a terminal, not for rustdoc.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod checkpoint;
mod commands;
mod location;
mod schema_file;

/// A failure to report: the message, and the exit status.
#[derive(Debug)]
pub struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// An error (exit status 1).
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    /// A failure with its own exit status.
    pub fn with_code(message: impl Into<String>, code: u8) -> Self {
        Failure {
            message: message.into(),
            code,
        }
    }
}

/// Where a URL's table schema comes from.
#[derive(Debug, Clone, Default, Args)]
pub struct SchemaArgs {
    /// The table's schema file, TOML or JSON (see `monotable schema --help`). Without it:
    /// DynamoDB's own (DescribeTable), or the single-table layout of --table.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Without --schema, for SQLite and memory: the table's name, in the single-table layout
    /// (string keys pk and sk).
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// With --table: a global index NAME with string keys NAMEpk and NAMEsk (repeatable).
    #[arg(long, value_name = "NAME", requires = "table")]
    pub gsi: Vec<String>,
}

/// How a long run treats its checkpoint.
#[derive(Debug, Clone, Default, Args)]
pub struct ResumeArgs {
    /// Continue an interrupted run from its checkpoint (starts from the beginning if none).
    #[arg(long)]
    pub resume: bool,
    /// Discard the checkpoint of an interrupted run and start over.
    #[arg(long, conflicts_with = "resume")]
    pub restart: bool,
    /// The checkpoint file [default: .monotable-<command>-<hash>.checkpoint.json here].
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Items per batch: a scan page, or a group of input lines, written before the checkpoint
    /// moves (sent to the backend in requests of 25, four in flight, with retries).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Testing: behave as if interrupted once this many items are written.
    #[arg(long, value_name = "N", hide = true)]
    pub interrupt_after: Option<u64>,
}

/// The format `schema` prints.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    /// TOML.
    #[default]
    Toml,
    /// JSON.
    Json,
}

#[derive(Debug, Parser)]
#[command(
    name = "monotable",
    version,
    about = "Describe, check, export, import and copy a monotable table: SQLite, memory or DynamoDB, by URL",
    after_help = "URLs: sqlite://FILE, sqlite::memory:, memory://, dynamodb://TABLE[?endpoint=URL&region=NAME].\n\
                  memory:// and sqlite::memory: live only as long as this command: they can be a \
                  destination (to check items against DynamoDB's rules), never a source."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The table's keys, indexes and TTL, its item count and its items by entity type
    /// (a scan of the whole table, reading only the entity attribute).
    Describe {
        /// The repository URL.
        #[arg(value_name = "URL")]
        url: String,
        #[command(flatten)]
        schema: SchemaArgs,
        /// The attribute that holds the entity type.
        #[arg(long, value_name = "NAME", default_value = "_et")]
        entity_attribute: String,
    },
    /// Prints the table's schema as a schema file (for --schema).
    ///
    /// A schema file (TOML; JSON with the same fields):
    ///
    ///   table = "shop"
    ///   partition_key = "pk"        # "pk:N" for a number key, "pk:B" for binary
    ///   sort_key = "sk"             # optional
    ///   ttl_attribute = "expires"   # optional
    ///   [[indexes]]
    ///   name = "gsi1"
    ///   kind = "global"             # or "local" (then only sort_key)
    ///   partition_key = "gsi1pk"
    ///   sort_key = "gsi1sk"
    ///   projection = "all"          # or "keys_only", or ["attr", ...]
    #[command(verbatim_doc_comment)]
    Schema {
        /// The repository URL.
        #[arg(value_name = "URL")]
        url: String,
        #[command(flatten)]
        schema: SchemaArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Toml)]
        format: Format,
    },
    /// Lists the differences between a schema file and a DynamoDB table (exit status 3 if any).
    Check {
        /// A dynamodb:// URL.
        #[arg(value_name = "URL")]
        url: String,
        /// The schema the table should have.
        #[arg(long, value_name = "FILE")]
        schema: PathBuf,
    },
    /// Writes every item as a line of DynamoDB JSON, `{"Item": {...}}` (the lines of
    /// DynamoDB's export to S3).
    Export {
        /// The repository URL.
        #[arg(value_name = "URL")]
        url: String,
        #[command(flatten)]
        schema: SchemaArgs,
        /// The output file (resumable); standard output if not given (not resumable).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        resume: ResumeArgs,
    },
    /// Writes the items of a JSON-lines file (`{"Item": {...}}` per line, as `export` and
    /// DynamoDB's export to S3 write them) in batches, with retries. The whole file is
    /// checked first: a bad line writes nothing.
    Import {
        /// The input file, `-` for standard input (read whole first).
        #[arg(value_name = "FILE")]
        input: PathBuf,
        /// The repository URL to write to.
        #[arg(value_name = "TO")]
        url: String,
        #[command(flatten)]
        schema: SchemaArgs,
        /// Create the table from the schema if it does not exist.
        #[arg(long)]
        create_table: bool,
        #[command(flatten)]
        resume: ResumeArgs,
    },
    /// Copies every item of one table into another, in batches with retries. The
    /// destination gets the source's schema.
    Copy {
        /// The repository URL to read.
        #[arg(value_name = "FROM")]
        from: String,
        /// The repository URL to write.
        #[arg(value_name = "TO")]
        to: String,
        /// The source's schema (also the destination's).
        #[command(flatten)]
        schema: SchemaArgs,
        /// Create the destination table from the schema if it does not exist.
        #[arg(long)]
        create_table: bool,
        #[command(flatten)]
        resume: ResumeArgs,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match cli.command {
        Command::Describe {
            url,
            schema,
            entity_attribute,
        } => commands::describe(&url, &schema, &entity_attribute).await,
        Command::Schema {
            url,
            schema,
            format,
        } => commands::schema(&url, &schema, format).await,
        Command::Check { url, schema } => commands::check(&url, &schema).await,
        Command::Export {
            url,
            schema,
            output,
            resume,
        } => commands::export(&url, &schema, output.as_deref(), &resume).await,
        Command::Import {
            input,
            url,
            schema,
            create_table,
            resume,
        } => commands::import(&input, &url, &schema, create_table, &resume).await,
        Command::Copy {
            from,
            to,
            schema,
            create_table,
            resume,
        } => commands::copy(&from, &to, &schema, create_table, &resume).await,
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
