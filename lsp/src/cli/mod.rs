//! Argument parsing and dispatch to one module per subcommand.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use lexopt::prelude::*;

use help::USAGE;

mod check;
mod fix;
mod graph;
mod help;
mod process;
mod watch;

/// Parses `args` (without the program name) and runs the subcommand.
pub fn run(args: Vec<OsString>) -> Result<ExitCode> {
    let mut parser = lexopt::Parser::from_args(args);
    let sub = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help") | Short('h')) | None => return print_help(USAGE),
        Some(Long("version") | Short('V')) => {
            println!("assetry {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => bail!("{}\n\n{USAGE}", other.unexpected()),
    };
    let Some(help) = help::of(&sub) else { bail!("unknown command `{sub}`\n\n{USAGE}") };
    // Every command's own `--help` comes first, so `assetry fix --help`
    // does not complain that nothing was asked to be fixed.
    let unexpected = |arg: lexopt::Arg<'_>| anyhow::anyhow!("{sub}: {} (see `assetry {sub} --help`)", arg.unexpected());
    match sub.as_str() {
        "help" => match parser.next()? {
            None => print_help(USAGE),
            Some(Value(v)) => {
                let command = v.string()?;
                match help::of(&command) {
                    Some(text) => print_help(text),
                    None => bail!("unknown command `{command}`\n\n{USAGE}"),
                }
            }
            Some(other) => Err(unexpected(other)),
        },
        "lsp" => {
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("help") | Short('h') => return print_help(help),
                    // What editors' clients pass when they start a server on stdio.
                    Long("stdio") => {}
                    other => return Err(unexpected(other)),
                }
            }
            crate::server::run()
        }
        "check" => {
            let (mut dir, mut format, mut filter) = (None, check::Format::Human, check::Filter::default());
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("help") | Short('h') => return print_help(help),
                    Long("format") => {
                        format = match parser.value()?.string()?.as_str() {
                            "human" => check::Format::Human,
                            "json" => check::Format::Json,
                            other => bail!("--format `{other}`: expected `human` or `json`"),
                        }
                    }
                    Long("select") => {
                        let codes = check::Filter::codes("--select", &parser.value()?.string()?)?;
                        filter.select.get_or_insert_with(Vec::new).extend(codes);
                    }
                    Long("ignore") => {
                        filter.ignore.extend(check::Filter::codes("--ignore", &parser.value()?.string()?)?)
                    }
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => return Err(unexpected(other)),
                }
            }
            check::run(dir, format, filter)
        }
        "graph" => {
            let (mut dir, mut format, mut from) = (None, graph::Format::Dot, None);
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("help") | Short('h') => return print_help(help),
                    Long("format") => {
                        format = match parser.value()?.string()?.as_str() {
                            "dot" => graph::Format::Dot,
                            "json" => graph::Format::Json,
                            other => bail!("--format `{other}`: expected `dot` or `json`"),
                        }
                    }
                    Long("from") => from = Some(parser.value()?.string()?),
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => return Err(unexpected(other)),
                }
            }
            graph::run(dir, format, from)
        }
        "watch" => {
            let (mut dir, mut profile) = (None, None);
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("help") | Short('h') => return print_help(help),
                    Long("profile") => profile = Some(parser.value()?.string()?),
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => return Err(unexpected(other)),
                }
            }
            watch::run(dir, profile)
        }
        "process" => {
            let (mut dir, mut profile, mut jobs) = (None, None, None);
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("help") | Short('h') => return print_help(help),
                    Long("profile") => profile = Some(parser.value()?.string()?),
                    Long("jobs") | Short('j') => {
                        let v = parser.value()?.string()?;
                        match v.parse::<usize>() {
                            Ok(n) if n > 0 => jobs = Some(n),
                            _ => bail!("--jobs `{v}`: expected a positive number"),
                        }
                    }
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => return Err(unexpected(other)),
                }
            }
            process::run(dir, profile, jobs)
        }
        "fix" => {
            let (mut dir, mut what) = (None, assetry_pipeline::ide::ProjectFixes::default());
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("help") | Short('h') => return print_help(help),
                    Long("to-ids") => what.to_ids = true,
                    Long("repair") => what.repair = true,
                    Value(v) if dir.is_none() => dir = Some(PathBuf::from(v)),
                    other => return Err(unexpected(other)),
                }
            }
            fix::run(dir, what)
        }
        _ => bail!("unknown command `{sub}`\n\n{USAGE}"),
    }
}

fn print_help(text: &str) -> Result<ExitCode> {
    print!("{text}");
    Ok(ExitCode::SUCCESS)
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
