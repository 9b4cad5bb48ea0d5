//! The Assetry engine: an IDE-agnostic model of a game project's assets.
//!
//! It holds the ground state in memory (config, `.meta` sidecars, the
//! references each file makes) and derives the asset graph and its
//! diagnostics from it. Its values, in order:
//!
//! - **Exact**: every finding names a file and a byte range, and nothing that
//!   is correct is reported.
//! - **Incremental**: a change to one file re-reads and re-parses that file
//!   only, and reports exactly the files whose diagnostics changed.
//! - **Robust**: hostile input (binary files, invalid UTF-8, deep nesting,
//!   unreadable or vanishing files) yields a diagnostic, never a panic.
//! - **Editor-agnostic**: no LSP type crosses this crate's boundary;
//!   positions are byte offsets, converted at the edge by [`text::LineIndex`].

pub mod change;
pub mod diagnostic;
pub mod text;

pub use change::{Change, ChangeBatch};
pub use diagnostic::{Code, Diagnostic, FileDiagnostics, Related, Severity};
pub use text::{LineIndex, Position, TextRange};

pub mod asset_plugin;
pub mod config;
pub mod embedded;
pub mod extract;
pub mod flavor;
pub mod gltf_labels;
pub mod graph;
pub mod ide;
pub mod meta;
pub mod meta_ron;
pub mod process;
pub mod project;
pub mod reload;
pub mod resolve;
pub mod rules;
pub mod scan;

mod checks;
mod cycles;
mod meta_fast;
pub mod walk;

pub use config::Config;
pub use extract::DepKind;
pub use project::{DirListing, FileId, Project, ProjectError, Resolution};
