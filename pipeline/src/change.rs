//! Change batches: the only way the ground state changes.
//!
//! The watcher and the language server both describe what happened as a
//! [`ChangeBatch`]; [`crate::Project::apply`] turns it into new state and
//! reports exactly the files whose diagnostics changed.

use std::path::PathBuf;
use std::sync::Arc;

/// One thing that happened to one path. Paths are absolute; paths outside the
/// project's asset roots and code folders are ignored by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The file (or folder) was created or modified on disk: re-read it.
    /// A path that no longer exists is treated as [`Change::Removed`], so an
    /// event for a file that vanished before it was read is harmless. A folder
    /// is walked again, and what it no longer holds is removed. While an
    /// editor overlay is open, disk content is recorded but the overlay keeps
    /// precedence.
    Disk(PathBuf),
    /// The file or folder was removed from disk (a folder removes everything under it).
    Removed(PathBuf),
    /// A file or folder moved on disk. Same as `Removed(from)` + `Disk(to)`,
    /// plus the knowledge of where things went (used to repair broken paths).
    Moved { from: PathBuf, to: PathBuf },
    /// The editor holds this text for the file; it takes precedence over disk.
    Overlay { path: PathBuf, text: Arc<str> },
    /// The editor closed the file: fall back to the disk content.
    CloseOverlay(PathBuf),
}

/// Changes applied together: diagnostics are computed once, after all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
}

impl ChangeBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }
}

impl From<Vec<Change>> for ChangeBatch {
    fn from(changes: Vec<Change>) -> Self {
        Self { changes }
    }
}
