//! End-to-end tests: each module drives the real `assetry` binary the way a
//! user or an editor would (real files on disk, real processes, real stdio).

mod support;
mod lsp_robustness;
mod check;
mod lsp_nvim;
mod ground_truth;
mod lsp_features;
mod lsp_fixes;
mod watch;
mod graph;
mod lsp_fix_cli;
mod lsp_workspaces;
