//! `assetry`: the language server and the command-line interface.
//!
//! This crate is the edge: it parses arguments, talks LSP over stdio and
//! prints results. Everything it knows about assets it asks the engine
//! (`assetry-pipeline`).

mod cli;
mod server;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(std::env::args_os().skip(1).collect()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            // Exit status 2: the command itself could not run (DESIGN.md, CLI).
            ExitCode::from(2)
        }
    }
}
