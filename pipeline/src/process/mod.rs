//! Processing: turns authored assets into what the game loads, under
//! `.assetry/out/<profile>/`, mirroring the assets' root-relative paths.
//!
//! Its values, in order:
//!
//! - **Exact**: an asset is reprocessed when, and only when, its cache key
//!   changes: BLAKE3 of its source bytes, its effective settings for the
//!   profile, its processor's name and version, what its references resolve
//!   to, and the keys of its build dependencies (so a change follows the
//!   graph's build edges, transitively, and nothing else).
//! - **Cheap when nothing changed**: a source whose size, mtime and inode
//!   match its record is not read (`RunReport::sources_read` counts reads).
//! - **Crash-safe**: outputs are written to a temporary file and renamed; a
//!   record is committed to the store only once its output is durable, and
//!   the paths about to be written are journaled first, so a run killed at
//!   any point is followed by one that ends with exactly the outputs of an
//!   uninterrupted run.
//! - **Contained**: a failing asset is a [`Failure`] for that asset (with a
//!   source position when the processor knows one); the others still run.
//!   A processor's failure is recorded with the key: the asset is not tried
//!   again until its key changes.
//! - **Bounded**: a run after a change batch looks at what the batch can
//!   reach ([`Scope`]) and nothing else.
//!
//! The runner returns what one run changed ([`Changeset`]): the value the
//! hot-reload server will send to games.

pub mod background;
pub mod lock;
pub mod manifest;
mod plan;
mod processors;
mod report;
pub mod runner;
mod schedule;
pub mod scope;
pub mod settings;
pub mod snapshot;
pub mod store;
mod write;

pub use lock::{LockError, ProcessLock};
pub use runner::{AssetChange, ChangeKind, Changeset, Failure, RunOptions, RunReport, Session, run};
pub use scope::Scope;
pub use settings::Processor;

use std::path::{Path, PathBuf};

/// `.assetry/` under the project root: everything processing writes.
pub fn state_dir(project_root: &Path) -> PathBuf {
    project_root.join(".assetry")
}

/// Where a profile's artifacts go.
pub fn out_dir(project_root: &Path, profile: &str) -> PathBuf {
    state_dir(project_root).join("out").join(profile)
}

/// Why a run could not start (an asset's own problem is a [`Failure`] instead).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("unknown profile `{0}` (assetry.toml defines: {1})")]
    UnknownProfile(String, String),
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error("the processing store {path}: {message}")]
    Store { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl ProcessError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> ProcessError {
        ProcessError::Io { path: path.to_owned(), source }
    }
}
