//! `.assetry/out/<profile>/manifest.json`, as `assetry process` and
//! `assetry watch` write it: for each processed asset its source path, UUID,
//! artifact (relative to the manifest's folder), the artifact's hash and its
//! load dependencies.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::protocol::{Change, ChangeKind};

/// One processed asset of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entry {
    /// The source path, relative to the project root.
    pub path: String,
    pub id: Option<String>,
    /// Relative to the manifest's folder (`.assetry/out/<profile>/`).
    pub artifact: String,
    /// BLAKE3 of the artifact, hex.
    pub hash: String,
    /// What the asset loads, by UUID where the target has one, else by path.
    #[serde(default)]
    pub load: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    assets: Vec<Entry>,
}

/// A manifest read from disk, indexed by path and by UUID.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// `.assetry/out/<profile>/`: artifacts are relative to it.
    dir: PathBuf,
    entries: Vec<Entry>,
    by_path: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
}

/// A manifest that could not be read.
#[derive(Debug)]
pub enum ManifestError {
    Io(PathBuf, std::io::Error),
    Parse(PathBuf, serde_json::Error),
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ManifestError::Parse(p, e) => write!(f, "{}: not a manifest: {e}", p.display()),
        }
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// The manifest of `profile` under the project at `root`.
    pub fn path_for(root: &Path, profile: &str) -> PathBuf {
        root.join(".assetry").join("out").join(profile).join("manifest.json")
    }

    /// Reads the manifest of `profile` under the project at `root`.
    pub fn load(root: &Path, profile: &str) -> Result<Manifest, ManifestError> {
        Manifest::read(&Manifest::path_for(root, profile))
    }

    /// An empty manifest for `profile` under `root` (none written yet).
    pub fn empty(root: &Path, profile: &str) -> Manifest {
        let dir = Manifest::path_for(root, profile).parent().map(Path::to_owned).unwrap_or_default();
        Manifest::from_entries(dir, Vec::new())
    }

    /// Reads a `manifest.json` file.
    pub fn read(file: &Path) -> Result<Manifest, ManifestError> {
        let bytes = std::fs::read(file).map_err(|e| ManifestError::Io(file.to_owned(), e))?;
        let parsed: File = serde_json::from_slice(&bytes).map_err(|e| ManifestError::Parse(file.to_owned(), e))?;
        let dir = file.parent().map(Path::to_owned).unwrap_or_default();
        Ok(Manifest::from_entries(dir, parsed.assets))
    }

    fn from_entries(dir: PathBuf, entries: Vec<Entry>) -> Manifest {
        let mut m = Manifest { dir, entries, ..Manifest::default() };
        m.reindex();
        m
    }

    fn reindex(&mut self) {
        self.by_path = self.entries.iter().enumerate().map(|(i, e)| (e.path.clone(), i)).collect();
        // UUIDs are matched in any case: `.meta` files may spell them in capitals.
        self.by_id = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.id.as_ref()?.to_ascii_lowercase(), i)))
            .collect();
    }

    /// The folder artifacts are relative to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every asset, sorted by path.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The asset with this UUID (any case, hyphenated) or source path.
    pub fn get(&self, uuid_or_path: &str) -> Option<&Entry> {
        let i = match self.by_path.get(uuid_or_path) {
            Some(&i) => i,
            None => *self.by_id.get(&uuid_or_path.to_ascii_lowercase())?,
        };
        self.entries.get(i)
    }

    /// The artifact file of the asset with this UUID or source path.
    pub fn resolve(&self, uuid_or_path: &str) -> Option<PathBuf> {
        self.get(uuid_or_path).map(|e| self.artifact_path(&e.artifact))
    }

    /// An artifact path of a manifest entry or a [`Change`], made absolute.
    pub fn artifact_path(&self, artifact: &str) -> PathBuf {
        self.dir.join(artifact)
    }

    /// What turns `self` into `newer`, as changeset entries in path order.
    pub fn diff(&self, newer: &Manifest) -> Vec<Change> {
        let mut changes = Vec::new();
        for e in &newer.entries {
            let kind = match self.by_path.get(&e.path).map(|&i| &self.entries[i]) {
                None => ChangeKind::Added,
                Some(old) if old.hash != e.hash || old.artifact != e.artifact || old.id != e.id => ChangeKind::Modified,
                Some(_) => continue,
            };
            changes.push(change(e, kind));
        }
        for e in &self.entries {
            if !newer.by_path.contains_key(&e.path) {
                changes.push(change(e, ChangeKind::Removed));
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        changes
    }

    /// Applies a changeset's entries, as the server's next manifest has them.
    pub fn apply(&mut self, changes: &[Change]) {
        // A changed artifact or hash leaves every position and id as it was:
        // the indexes are rebuilt only when an entry comes, goes or changes
        // id, and then once before they are next read, so a changeset of
        // saved files costs one lookup each however big the manifest is.
        let mut stale = false;
        for c in changes {
            if stale {
                self.reindex();
                stale = false;
            }
            let at = self.by_path.get(&c.path).copied();
            match (c.kind, at) {
                (ChangeKind::Removed, Some(i)) => {
                    self.entries.remove(i);
                    stale = true;
                }
                (ChangeKind::Removed, None) => {}
                (_, Some(i)) => {
                    let e = &mut self.entries[i];
                    stale = e.id != c.id;
                    e.id = c.id.clone();
                    e.artifact = c.artifact.clone();
                    e.hash = c.hash.clone();
                }
                (_, None) => {
                    let e = Entry {
                        path: c.path.clone(),
                        id: c.id.clone(),
                        artifact: c.artifact.clone(),
                        hash: c.hash.clone(),
                        load: Vec::new(),
                    };
                    let i = self.entries.partition_point(|x| x.path < e.path);
                    self.entries.insert(i, e);
                    stale = true;
                }
            }
        }
        if stale {
            self.reindex();
        }
    }
}

fn change(e: &Entry, kind: ChangeKind) -> Change {
    Change { id: e.id.clone(), path: e.path.clone(), artifact: e.artifact.clone(), hash: e.hash.clone(), kind }
}
