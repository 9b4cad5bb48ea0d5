//! Argument parsing and dispatch to one module per subcommand.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lexopt::prelude::*;

mod check;
mod fix;
mod graph;
mod watch;

const USAGE: &str = "\
assetry: an asset pipeline that lives in the editor

usage:
  assetry lsp                      language server on stdio
  assetry check [DIR] [--format human|json]
  assetry graph [DIR] [--format dot|json] [--from PATH]
  assetry fix [DIR] --to-ids | --repair
  assetry watch [DIR] [--profile P]
";

/// Parses `args` (without the program name) and runs the subcommand.
pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    let mut parser = lexopt::Parser::from_args(args);
    let sub = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help") | Short('h')) | None => {
            print!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(Long("version") | Short('V')) => {
            println!("assetry {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => bail!("{}\n\n{USAGE}", other.unexpected()),
    };
    match sub.as_str() {
        "lsp" => crate::server::run(),
        "check" => {
            let (mut dir, mut format) = (None, check::Format::Human);
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("format") => {
                        format = match parser.value()?.string()?.as_str() {
                            "human" => check::Format::Human,
                            "json" => check::Format::Json,
                            other => bail!("--format `{other}`: expected `human` or `json`"),
                        }
                    }
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => bail!("check: {}", other.unexpected()),
                }
            }
            check::run(dir, format)
        }
        "graph" => {
            let (mut dir, mut format, mut from) = (None, graph::Format::Dot, None);
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("format") => {
                        format = match parser.value()?.string()?.as_str() {
                            "dot" => graph::Format::Dot,
                            "json" => graph::Format::Json,
                            other => bail!("--format `{other}`: expected `dot` or `json`"),
                        }
                    }
                    Long("from") => from = Some(parser.value()?.string()?),
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => bail!("graph: {}", other.unexpected()),
                }
            }
            graph::run(dir, format, from)
        }
        "watch" => {
            let (mut dir, mut profile) = (None, None);
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("profile") => profile = Some(parser.value()?.string()?),
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => bail!("watch: {}", other.unexpected()),
                }
            }
            watch::run(dir, profile)
        }
        "fix" => {
            let (mut dir, mut what) = (None, assetry_pipeline::ide::ProjectFixes::default());
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("to-ids") => what.to_ids = true,
                    Long("repair") => what.repair = true,
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => bail!("fix: {}", other.unexpected()),
                }
            }
            fix::run(dir, what)
        }
        _ => bail!("unknown command `{sub}`\n\n{USAGE}"),
    }
}

/// Common shape of `[DIR]` arguments: the project root, default `.`.
pub fn project_dir(dir: Option<PathBuf>) -> Result<PathBuf> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    let meta = std::fs::metadata(&dir).with_context(|| format!("cannot read project directory `{}`", dir.display()))?;
    if !meta.is_dir() {
        bail!("`{}` is not a directory", dir.display());
    }
    dir.canonicalize().with_context(|| format!("cannot resolve project directory `{}`", dir.display()))
}
