//! `assetry check [DIR] [--format human|json]`: the headless check for CI.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use assetry_pipeline::diagnostic::Code;
use assetry_pipeline::flavor::Flavor;
use assetry_pipeline::scan::read_text;
use assetry_pipeline::{Diagnostic, LineIndex, Project, Severity, TextRange};
use serde::Serialize;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// `--select CODE,…` / `--ignore CODE,…`: which codes one run reports.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these codes (`None`: every code).
    pub select: Option<Vec<Code>>,
    pub ignore: Vec<Code>,
}

impl Filter {
    /// The codes of a comma-separated list; an unknown name is an error
    /// that lists the known ones.
    pub fn codes(option: &str, list: &str) -> Result<Vec<Code>> {
        list.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                Code::parse(c).ok_or_else(|| {
                    let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                    anyhow::anyhow!("{option} `{c}`: not a diagnostic code (known: {})", known.join(", "))
                })
            })
            .collect()
    }

    fn keeps(&self, code: Code) -> bool {
        self.select.as_ref().is_none_or(|s| s.contains(&code)) && !self.ignore.contains(&code)
    }
}

pub fn run(dir: Option<PathBuf>, format: Format, filter: Filter) -> Result<ExitCode> {
    let project = open_project(dir)?;
    for err in project.scan_errors() {
        eprintln!("warning: {err}");
    }
    let files = project.all_diagnostics();
    let diagnostics: Vec<&Diagnostic> =
        files.iter().flat_map(|f| &f.diagnostics).filter(|d| filter.keeps(d.code)).collect();
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => {
            let report = Report {
                diagnostics: diagnostics.iter().map(|d| diagnostic_json(&project, d)).collect(),
                summary: Summary {
                    assets: project.asset_count(),
                    errors,
                    flavor: project.config().flavor.as_str(),
                    flavor_reason: &project.config().flavor_reason,
                    references: project.reference_count(),
                    warnings,
                },
            };
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            // Diagnostics come sorted by file: each file's text is read once
            // for its source lines, not once per finding.
            let mut text: Option<(&str, Option<String>)> = None;
            for d in &diagnostics {
                if text.as_ref().is_none_or(|(path, _)| *path != d.path) {
                    let read = project.file_id(&d.path).and_then(|_| read_text(&project.abs_path(&d.path)));
                    text = Some((&d.path, read));
                }
                let source = text.as_ref().and_then(|(_, t)| t.as_deref());
                write!(out, "{}", human(&project, d, source, color))?;
            }
            write!(
                out,
                "{}, {} in {} ({})",
                counted(errors, "error"),
                counted(warnings, "warning"),
                counted(project.asset_count(), "asset"),
                counted(project.reference_count(), "reference")
            )?;
            // The assetry flavour is the default and goes unsaid.
            let config = project.config();
            if config.flavor != Flavor::Assetry {
                write!(out, "; {} project: {}", config.flavor.as_str(), config.flavor_reason)?;
            }
            writeln!(out)?;
        }
    }
    out.flush()?;
    drop(files);
    // Freeing a 100,000-asset graph one allocation at a time takes longer
    // than the check's own indexing; the process is about to exit anyway.
    std::mem::forget(project);
    Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Opens the project at DIR, failing (exit 2) when it has no asset root at all.
pub fn open_project(dir: Option<PathBuf>) -> Result<Project> {
    let root = super::project_dir(dir)?;
    let project = Project::open(&root)?;
    let roots = &project.config().roots;
    if !roots.iter().any(|r| root.join(r).is_dir()) {
        bail!(
            "no asset root in `{}`: {} does not exist (create it, or set project.roots in assetry.toml)",
            root.display(),
            roots.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(project)
}

/// The JSON report (DESIGN.md, CLI), serialized straight from borrowed
/// data. Fields are declared in alphabetical order, the order the report
/// has always had.
#[derive(Serialize)]
struct Report<'a> {
    diagnostics: Vec<DiagnosticJson<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Summary<'a> {
    assets: usize,
    errors: usize,
    flavor: &'a str,
    flavor_reason: &'a str,
    references: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct DiagnosticJson<'a> {
    code: &'a str,
    message: &'a str,
    path: &'a str,
    range: RangeJson,
    related: Vec<RelatedJson<'a>>,
    severity: &'a str,
}

#[derive(Serialize)]
struct RelatedJson<'a> {
    message: &'a str,
    path: &'a str,
    range: RangeJson,
}

#[derive(Serialize)]
struct RangeJson {
    end: PositionJson,
    start: PositionJson,
}

#[derive(Serialize)]
struct PositionJson {
    character: u32,
    line: u32,
}

fn range_json(index: Option<&LineIndex>, r: assetry_pipeline::TextRange) -> RangeJson {
    let (s, e) = match index {
        Some(ix) => (ix.position(r.start), ix.position(r.end)),
        None => Default::default(),
    };
    RangeJson {
        end: PositionJson { character: e.character, line: e.line },
        start: PositionJson { character: s.character, line: s.line },
    }
}

fn diagnostic_json<'a>(p: &Project, d: &'a Diagnostic) -> DiagnosticJson<'a> {
    DiagnosticJson {
        code: d.code.as_str(),
        message: &d.message,
        path: &d.path,
        range: range_json(p.line_index(&d.path), d.range),
        related: d
            .related
            .iter()
            .map(|r| RelatedJson {
                message: &r.message,
                path: &r.path,
                range: range_json(p.line_index(&r.path), r.range),
            })
            .collect(),
        severity: d.severity.as_str(),
    }
}

/// `1 error`, `2 errors`: a count with its noun in agreement.
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A compiler-style report: `severity[code]: message`, `--> file:line:col`
/// (1-based), the source line (from `source`, the file's text) and a caret
/// under the range. A finding about a whole file (an empty range at its
/// start, see `Diagnostic::range`) names just the file: its first line is
/// not what the finding is about.
fn human(p: &Project, d: &Diagnostic, source: Option<&str>, color: bool) -> String {
    let paint = |code: &str, s: &str| if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() };
    let sev = match d.severity {
        Severity::Error => paint("1;31", "error"),
        Severity::Warning => paint("1;33", "warning"),
        Severity::Hint => paint("1;36", "hint"),
    };
    let mut s = format!("{sev}[{}]: {}\n", d.code, paint("1", &d.message));
    let index = p.line_index(&d.path);
    let whole_file = d.range == TextRange::EMPTY;
    let start = index.map(|ix| ix.position(d.range.start)).unwrap_or_default();
    if whole_file {
        s.push_str(&format!("  {} {}\n", paint("1;34", "-->"), d.path));
    } else {
        s.push_str(&format!("  {} {}:{}:{}\n", paint("1;34", "-->"), d.path, start.line + 1, start.character + 1));
    }
    if let Some(line) =
        source.filter(|_| !whole_file).zip(index).and_then(|(text, ix)| source_line(text, ix, start.line))
    {
        let gutter = (start.line + 1).to_string();
        let pad = " ".repeat(gutter.len());
        let end = index.map(|ix| ix.position(d.range.end)).unwrap_or(start);
        let width = if end.line == start.line { end.character.saturating_sub(start.character).max(1) } else { 1 };
        let before: String = line.encode_utf16().take(start.character as usize).map(|_| ' ').collect();
        s.push_str(&format!("  {pad} {}\n", paint("1;34", "|")));
        s.push_str(&format!("  {} {} {}\n", paint("1;34", &gutter), paint("1;34", "|"), line));
        s.push_str(&format!("  {pad} {} {before}{}\n", paint("1;34", "|"), paint("1;31", &"^".repeat(width as usize))));
    }
    for r in &d.related {
        let pos = p.line_index(&r.path).map(|ix| ix.position(r.range.start)).unwrap_or_default();
        s.push_str(&format!("  = note: {}:{}:{}: {}\n", r.path, pos.line + 1, pos.character + 1, r.message));
    }
    s.push('\n');
    s
}

fn source_line(text: &str, index: &LineIndex, line: u32) -> Option<String> {
    // From the line's start, found in the index: a file with thousands of
    // findings is not scanned again for each (lines as LSP counts them).
    let rest = text.get(index.line_start(line)? as usize..)?;
    // Long lines (minified JSON) are cut: the caret still lines up with the start.
    Some(rest.chars().take_while(|c| *c != '\n' && *c != '\r').take(400).collect())
}
