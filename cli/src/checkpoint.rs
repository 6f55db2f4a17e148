//! Checkpoints: how far a long `copy`, `import` or `export` got, so that an interrupted run
//! continues where it stopped.
//!
//! Work is done in batches (a page of the source's scan, or a group of input lines). A
//! batch's items are all written before the checkpoint moves past it; the checkpoint is
//! replaced atomically (written beside, then renamed). After an interruption — Ctrl-C, a
//! failed write, a killed process — everything up to the checkpoint is written, and the
//! batch after it may be partly written. `--resume` starts again with that batch: a put of
//! the same item is idempotent, so nothing is lost and nothing is duplicated.
//!
//! The checkpoint is deleted when the run completes. A run that finds one refuses to start
//! unless told `--resume` (continue) or `--restart` (start over).

use std::path::{Path, PathBuf};

use monotable::Item;
use serde::{Deserialize, Serialize};

use crate::Failure;

/// How far a run got.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// `copy`, `import` or `export`.
    pub command: String,
    /// The source (URL or input file).
    pub source: String,
    /// The destination (URL or output file).
    pub destination: String,
    /// Items written so far.
    pub written: u64,
    /// `copy`, `export`: the scan position after the last batch written (DynamoDB JSON);
    /// `None` when the run has not written a batch yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    /// `import`: input lines done (every item on lines `1..=lines` is written).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines: u64,
    /// `import`: the input file's length and modification time when the run started, so a
    /// changed input is not resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_stamp: Option<(u64, u64)>,
    /// `export`: the output's length after the last batch written.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Checkpoint {
    /// A fresh checkpoint for a run.
    pub fn new(command: &str, source: &str, destination: &str) -> Self {
        Checkpoint {
            command: command.into(),
            source: source.into(),
            destination: destination.into(),
            ..Checkpoint::default()
        }
    }

    /// The scan position to resume after.
    pub fn after_key(&self) -> Result<Option<Item>, String> {
        self.after
            .as_ref()
            .map(|j| Item::from_json(j).map_err(|e| format!("bad scan position: {e}")))
            .transpose()
    }
}

/// Where a run keeps its checkpoint, and what it does with one it finds.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

/// The default checkpoint file for a run: `.monotable-<command>-<hash>.checkpoint.json` in
/// the current folder, the hash (FNV-1a) of the command, source and destination.
pub fn default_path(command: &str, source: &str, destination: &str) -> PathBuf {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in [command, source, destination].join("\0").bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    PathBuf::from(format!(".monotable-{command}-{hash:016x}.checkpoint.json"))
}

impl Store {
    /// A store at `path`.
    pub fn new(path: PathBuf) -> Self {
        Store { path }
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What to start from: `fresh` when there is no checkpoint (or `restart`), the stored
    /// checkpoint when `resume`; a checkpoint found without either is an error.
    pub fn begin(
        &self,
        fresh: Checkpoint,
        resume: bool,
        restart: bool,
    ) -> Result<Checkpoint, Failure> {
        let found = match std::fs::read_to_string(&self.path) {
            Ok(text) => Some(serde_json::from_str::<Checkpoint>(&text).map_err(|e| {
                Failure::new(format!(
                    "checkpoint {} is unreadable ({e}): pass --restart to start over",
                    self.path.display()
                ))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(Failure::new(format!(
                    "checkpoint {}: {e}",
                    self.path.display()
                )))
            }
        };
        match found {
            None => {
                if resume {
                    eprintln!(
                        "no checkpoint at {}: starting from the beginning",
                        self.path.display()
                    );
                }
                Ok(fresh)
            }
            Some(_) if restart => Ok(fresh),
            Some(old) if resume => {
                if (&old.command, &old.source, &old.destination)
                    != (&fresh.command, &fresh.source, &fresh.destination)
                {
                    return Err(Failure::new(format!(
                        "checkpoint {} is for `{} {} {}`, not this run: pass --restart to start \
                         over, or --checkpoint to use another file",
                        self.path.display(),
                        old.command,
                        old.source,
                        old.destination
                    )));
                }
                eprintln!(
                    "resuming from {}: {} item(s) already written",
                    self.path.display(),
                    old.written
                );
                Ok(old)
            }
            Some(old) => Err(Failure::new(format!(
                "an interrupted `{} {} {}` left {} ({} item(s) written): pass --resume to \
                 continue it, or --restart to start over",
                old.command,
                old.source,
                old.destination,
                self.path.display(),
                old.written
            ))),
        }
    }

    /// Replaces the checkpoint (written beside it, then renamed).
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<(), Failure> {
        let fail = |e: std::io::Error| {
            Failure::new(format!(
                "cannot write checkpoint {}: {e}",
                self.path.display()
            ))
        };
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let text = serde_json::to_string_pretty(checkpoint)
            .map_err(|e| Failure::new(format!("checkpoint: {e}")))?;
        std::fs::write(&tmp, text).map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }

    /// Removes the checkpoint of a completed run.
    pub fn finish(&self) -> Result<(), Failure> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Failure::new(format!(
                "cannot remove checkpoint {}: {e}",
                self.path.display()
            ))),
        }
    }
}
