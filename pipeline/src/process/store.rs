//! The processing store, `.assetry/store.redb`: one record per (profile,
//! asset), the journal of outputs being written, the failures of
//! processors by cache key, and a commit counter. redb commits are
//! crash-safe (copy-on-write pages, a checksummed commit slot), so the store
//! is either before or after a commit, never between.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::ProcessError;

/// `profile \0 asset path` → a JSON [`Record`].
const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
/// `profile \0 asset path` → (): outputs a run is about to write. A record
/// named here is not trusted: the run that journaled it may have died
/// between replacing the output and committing the new record.
const PENDING: TableDefinition<&str, ()> = TableDefinition::new("pending");
/// profile → what a clean run saw of the project and left in its outputs
/// ([`super::snapshot`]). Any change to the records forgets it.
const SNAPSHOTS: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshots");
/// `profile \0 asset path` → a JSON [`FailRecord`]: an asset whose processor
/// failed, kept so it is not run again while its cache key is the same.
const FAILED: TableDefinition<&str, &[u8]> = TableDefinition::new("failed");
/// `"generation"` → a counter bumped by every commit, so a process that keeps
/// the records in memory between runs knows when another one changed them.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const GENERATION: &str = "generation";

/// Size, modification time and inode of a file: when all three match, the
/// file is taken as unchanged and not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i128,
    pub inode: u64,
}

impl Stat {
    pub fn of(meta: &std::fs::Metadata) -> Stat {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        Stat { size: meta.len(), mtime_ns, inode }
    }
}

/// What the last successful processing of an asset left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub source: Stat,
    /// BLAKE3 of the source bytes, hex.
    pub source_hash: String,
    /// The `.meta`'s stat and its settings part (JSON), so an unchanged
    /// `.meta` is not re-read either.
    pub meta: Option<Stat>,
    pub meta_settings: String,
    /// The cache key and the inputs it was made of (to say why an asset
    /// was reprocessed).
    pub key: String,
    pub processor: String,
    pub settings: String,
    pub references: String,
    /// Build dependencies: (path, key).
    pub build: Vec<(String, String)>,
    /// The artifact, relative to `.assetry/out/<profile>/`, its size and BLAKE3.
    pub artifact: String,
    pub artifact_size: u64,
    pub artifact_hash: String,
    /// Seconds since the Unix epoch, and why it was processed.
    pub processed_at: u64,
    pub reason: String,
}

/// An asset whose processor failed with this cache key: it is not run
/// again until the key changes; the failure is reported from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailRecord {
    /// The source's stat and hash, so planning does not read it again either.
    pub source: Stat,
    pub source_hash: String,
    pub key: String,
    pub message: String,
    /// Byte offsets in the source, when the processor knew where.
    pub range: Option<(u32, u32)>,
}

/// What one store commit writes, in one transaction.
#[derive(Default)]
pub struct Commit<'a> {
    /// Records whose outputs are durable.
    pub done: &'a [(String, Record)],
    /// Assets that are gone: their record and failure go.
    pub removed: &'a [String],
    /// Failures of this run's processors.
    pub failed: &'a [(String, FailRecord)],
    /// Assets that no longer have a processor failure (a failure record
    /// named here goes; their journal entry too, for those that were tried).
    pub cleared: &'a [String],
}

impl Commit<'_> {
    fn is_empty(&self) -> bool {
        self.done.is_empty() && self.removed.is_empty() && self.failed.is_empty() && self.cleared.is_empty()
    }
}

pub struct Store {
    db: Database,
    path: PathBuf,
}

fn key(profile: &str, path: &str) -> String {
    format!("{profile}\0{path}")
}

impl Store {
    pub fn open(state_dir: &Path) -> Result<Store, ProcessError> {
        let path = state_dir.join("store.redb");
        std::fs::create_dir_all(state_dir).map_err(|e| ProcessError::io(state_dir, e))?;
        let db =
            Database::create(&path).map_err(|e| ProcessError::Store { path: path.clone(), message: e.to_string() })?;
        let store = Store { db, path };
        // Both tables exist from the first open, so reads never meet a missing table.
        store.write(|tx| {
            tx.open_table(RECORDS)?;
            tx.open_table(PENDING)?;
            tx.open_table(SNAPSHOTS)?;
            tx.open_table(FAILED)?;
            tx.open_table(META)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> ProcessError {
        ProcessError::Store { path: self.path.clone(), message: e.to_string() }
    }

    fn write(&self, f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>) -> Result<(), ProcessError> {
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        f(&tx).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Every record of a profile, by asset path. Records journaled as
    /// pending are dropped (their outputs may be half-replaced), and the
    /// journal is cleared.
    /// Whether a run of `profile` was killed with outputs journaled as
    /// being written ([`Store::load`] clears them).
    pub fn has_pending(&self, profile: &str) -> Result<bool, ProcessError> {
        let prefix = key(profile, "");
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(PENDING).map_err(|e| self.err(e))?;
        let first = table.range(prefix.as_str()..).map_err(|e| self.err(e))?.next();
        Ok(match first {
            Some(row) => row.map_err(|e| self.err(e))?.0.value().starts_with(&prefix),
            None => false,
        })
    }

    pub fn load(&self, profile: &str) -> Result<HashMap<String, Record>, ProcessError> {
        let prefix = key(profile, "");
        let pending: Vec<String> = {
            let tx = self.db.begin_read().map_err(|e| self.err(e))?;
            let table = tx.open_table(PENDING).map_err(|e| self.err(e))?;
            let mut out = Vec::new();
            for row in table.range(prefix.as_str()..).map_err(|e| self.err(e))? {
                let (k, _) = row.map_err(|e| self.err(e))?;
                if !k.value().starts_with(&prefix) {
                    break;
                }
                out.push(k.value().to_owned());
            }
            out
        };
        if !pending.is_empty() {
            self.write(|tx| {
                let mut records = tx.open_table(RECORDS)?;
                let mut journal = tx.open_table(PENDING)?;
                for k in &pending {
                    records.remove(k.as_str())?;
                    journal.remove(k.as_str())?;
                }
                let mut meta = tx.open_table(META)?;
                let generation = meta.get(GENERATION)?.map_or(0, |g| g.value()) + 1;
                meta.insert(GENERATION, generation)?;
                Ok(())
            })?;
        }
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(RECORDS).map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for row in table.range(prefix.as_str()..).map_err(|e| self.err(e))? {
            let (k, v) = row.map_err(|e| self.err(e))?;
            let Some(path) = k.value().strip_prefix(&prefix) else { break };
            // A record this version cannot read is as good as none: the asset is reprocessed.
            if let Ok(r) = serde_json::from_slice::<Record>(v.value()) {
                out.insert(path.to_owned(), r);
            }
        }
        Ok(out)
    }

    /// Journals the outputs about to be written (committed before any is).
    pub fn begin(&self, profile: &str, paths: &[&str]) -> Result<(), ProcessError> {
        if paths.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            tx.open_table(SNAPSHOTS)?.remove(profile)?;
            let mut journal = tx.open_table(PENDING)?;
            for p in paths {
                journal.insert(key(profile, p).as_str(), ())?;
            }
            Ok(())
        })
    }

    /// Commits records whose outputs are durable, failures, and forgets
    /// removed assets; their journal entries go in the same commit.
    pub fn commit(&self, profile: &str, c: &Commit<'_>) -> Result<u64, ProcessError> {
        if c.is_empty() {
            return self.generation();
        }
        let mut generation = 0;
        self.write(|tx| {
            tx.open_table(SNAPSHOTS)?.remove(profile)?;
            let mut records = tx.open_table(RECORDS)?;
            let mut journal = tx.open_table(PENDING)?;
            let mut failed = tx.open_table(FAILED)?;
            for (path, record) in c.done {
                let k = key(profile, path);
                let v = serde_json::to_vec(record).unwrap_or_default();
                records.insert(k.as_str(), v.as_slice())?;
                journal.remove(k.as_str())?;
                failed.remove(k.as_str())?;
            }
            for path in c.removed {
                let k = key(profile, path);
                records.remove(k.as_str())?;
                journal.remove(k.as_str())?;
                failed.remove(k.as_str())?;
            }
            for (path, f) in c.failed {
                let k = key(profile, path);
                let v = serde_json::to_vec(f).unwrap_or_default();
                failed.insert(k.as_str(), v.as_slice())?;
                journal.remove(k.as_str())?;
            }
            for path in c.cleared {
                let k = key(profile, path);
                failed.remove(k.as_str())?;
                journal.remove(k.as_str())?;
            }
            let mut meta = tx.open_table(META)?;
            generation = meta.get(GENERATION)?.map_or(0, |g| g.value()) + 1;
            meta.insert(GENERATION, generation)?;
            Ok(())
        })?;
        Ok(generation)
    }

    /// The commit counter (0 for a store never committed to).
    pub fn generation(&self) -> Result<u64, ProcessError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let meta = tx.open_table(META).map_err(|e| self.err(e))?;
        Ok(meta.get(GENERATION).map_err(|e| self.err(e))?.map_or(0, |g| g.value()))
    }

    /// Every failure record of a profile, by asset path.
    pub fn load_failures(&self, profile: &str) -> Result<HashMap<String, FailRecord>, ProcessError> {
        let prefix = key(profile, "");
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(FAILED).map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for row in table.range(prefix.as_str()..).map_err(|e| self.err(e))? {
            let (k, v) = row.map_err(|e| self.err(e))?;
            let Some(path) = k.value().strip_prefix(&prefix) else { break };
            // One this version cannot read is as good as none: the asset is tried again.
            if let Ok(f) = serde_json::from_slice::<FailRecord>(v.value()) {
                out.insert(path.to_owned(), f);
            }
        }
        Ok(out)
    }

    /// The snapshot a clean run recorded for `profile`, if no record has
    /// changed since.
    pub(crate) fn snapshot(&self, profile: &str) -> Result<Option<Vec<u8>>, ProcessError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = tx.open_table(SNAPSHOTS).map_err(|e| self.err(e))?;
        Ok(table.get(profile).map_err(|e| self.err(e))?.map(|v| v.value().to_vec()))
    }

    pub(crate) fn set_snapshot(&self, profile: &str, value: &[u8]) -> Result<(), ProcessError> {
        self.write(|tx| {
            tx.open_table(SNAPSHOTS)?.insert(profile, value)?;
            Ok(())
        })
    }
}
