//! What a run is asked to do and what it reports: the options, the
//! failures, the changeset a game is sent, and the progress a caller sees.

use std::time::Duration;

use uuid::Uuid;

use crate::text::TextRange;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub profile: String,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Report when and why every processed asset was last processed (not
    /// only those of this run): a background processor's first run.
    pub history: bool,
}

/// An asset that could not be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Project-relative path of the asset.
    pub path: String,
    pub message: String,
    /// Where in the source, when the processor knows (byte offsets).
    pub range: Option<TextRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One artifact that a run added, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetChange {
    pub id: Option<Uuid>,
    /// Project-relative path of the asset.
    pub path: String,
    /// Relative to `.assetry/out/<profile>/`.
    pub artifact: String,
    /// BLAKE3 of the artifact, hex (of the removed one for `Removed`).
    pub hash: String,
    pub kind: ChangeKind,
}

/// Everything one run changed, in path order: what a hot-reload server sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changeset {
    pub profile: String,
    pub changes: Vec<AssetChange>,
}

#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Assets processed successfully, sorted.
    pub processed: Vec<String>,
    /// Assets whose record matched: nothing to do.
    pub skipped: usize,
    /// Sorted by path.
    pub failed: Vec<Failure>,
    /// (path, when (seconds since the Unix epoch), why) of the assets this
    /// run processed, or of every processed asset with `RunOptions::history`.
    pub history: Vec<(String, u64, String)>,
    /// Assets this run looked at: every asset on a full run, those its batch
    /// reached on a bounded one.
    pub planned: usize,
    /// Asset sources read (hashing or processing); 0 on a no-op run.
    pub sources_read: usize,
    pub changeset: Changeset,
    /// Paths of the failures that are new or changed since the previous run
    /// of the same [`Session`] (every failure on its first): what a
    /// hot-reload server sends an `error` for.
    pub new_failures: Vec<String>,
    pub elapsed: Duration,
}

/// What a run reports as it goes (from its calling thread).
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    Planned { assets: usize, to_process: usize },
    Done { path: &'a str, ok: bool },
}
