//! End-to-end tests: each module drives the real `assetry` binary the way a
//! user or an editor would (real files on disk, real processes, real stdio).

mod bevy_demo;
mod bevy_flavor;
mod bevy_lsp;
mod bevy_moves;
mod check;
mod cli;
mod code_loads;
mod code_loads_labels;
mod graph;
mod ground_truth;
mod lsp_config;
mod lsp_features;
mod lsp_fix_cli;
mod lsp_fixes;
mod lsp_moves;
mod lsp_nvim;
mod lsp_project_config;
mod lsp_recovery;
mod lsp_robustness;
mod lsp_state;
mod lsp_transport;
mod lsp_workspaces;
mod mutation;
mod process;
mod process_crash;
mod process_lsp;
mod process_noop;
mod process_wesl;
mod process_wgsl;
mod project_rules;
mod reload;
mod reload_lsp;
mod storm;
mod support;
mod watch;
