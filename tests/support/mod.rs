//! Shared test support: locating the binary, temporary project copies.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `assetry` binary Cargo built for these tests.
pub fn assetry_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_assetry"))
}

/// The repository root (the workspace folder).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("lsp/ has a parent").to_path_buf()
}
