//! Conversions at the edge, the only place LSP types meet the engine's: LSP
//! URIs and UTF-16 positions on one side, the engine's absolute paths and
//! byte offsets on the other; and every LSP answer built from an engine
//! answer (diagnostics, hover, completion, links, hints, code actions,
//! workspace edits, symbols, the dependency tree).
//!
//! Where an answer names other files, the caller passes how to name them
//! (`uri_of`: the client's own URI for an open document), since only it
//! knows the open documents.

use std::path::{Component, Path, PathBuf};

use assetry_pipeline::ide::{self, SourceChange};
use assetry_pipeline::{LineIndex, Project, Severity, TextRange};
use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::*;

/// The absolute, normalised file path of a `file:` URI. Any other scheme
/// (`untitled:`, `git:`, `vscode-notebook-cell:`) names no file on disk and
/// yields `None`: such documents are not part of a project.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    let path = uri.to_file_path()?;
    if !path.is_absolute() {
        return None;
    }
    Some(normalize(&path))
}

pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// Removes `.` and resolves `..` lexically, so `/p/assets/../assets/a.png`
/// and `/p/assets/a.png` name the same document.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

pub fn position(index: &LineIndex, offset: u32) -> Position {
    let p = index.position(offset);
    Position::new(p.line, p.character)
}

pub fn range(index: &LineIndex, range: TextRange) -> Range {
    Range::new(position(index, range.start), position(index, range.end))
}

/// The byte offset of a client position, clamped into the text.
pub fn offset(index: &LineIndex, pos: Position) -> u32 {
    index.offset(assetry_pipeline::Position { line: pos.line, character: pos.character })
}

pub fn text_range(index: &LineIndex, range: Range) -> TextRange {
    let start = offset(index, range.start);
    let end = offset(index, range.end).max(start);
    TextRange::new(start, end)
}

/// A range, or the start of the file when the file's text is unknown.
pub fn range_or_start(index: Option<&LineIndex>, r: TextRange) -> Range {
    index.map_or_else(Range::default, |i| range(i, r))
}

/// A location in a project file; `None` when the file has no URI.
pub fn location(project: &Project, uri_of: impl Fn(&str) -> Option<Uri>, path: &str, r: TextRange) -> Option<Location> {
    Some(Location { uri: uri_of(path)?, range: range_or_start(project.line_index(path), r) })
}

// ---- diagnostics ------------------------------------------------------------

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// An engine diagnostic of a file whose line index is `index`.
pub fn diagnostic(
    project: &Project,
    uri_of: impl Fn(&str) -> Option<Uri>,
    index: Option<&LineIndex>,
    d: &assetry_pipeline::Diagnostic,
) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: location(project, &uri_of, &r.path, r.range)?,
                message: r.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range: range_or_start(index, d.range),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.as_str().to_owned())),
        source: Some("assetry".into()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The last diagnostic of a file published with only its first `shown`
/// (see `workspace::capped`): how many more there are, at the first one
/// left out, as severe as the most severe of them.
pub fn omitted_diagnostic(
    index: Option<&LineIndex>,
    shown: usize,
    omitted: &[&assetry_pipeline::Diagnostic],
) -> Option<Diagnostic> {
    let first = omitted.first()?;
    let worst = omitted.iter().map(|d| d.severity).min_by_key(|s| match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Hint => 2,
    })?;
    Some(Diagnostic {
        range: range_or_start(index, TextRange::new(first.range.start, first.range.start)),
        severity: Some(severity(worst)),
        source: Some("assetry".into()),
        message: format!(
            "and {} more in this file, not shown: the editor gets at most {shown} per file (`assetry check` lists them all)",
            omitted.len()
        ),
        ..Default::default()
    })
}

// ---- requests -----------------------------------------------------------------

/// Hover: the target's path (and label), id, loader, processor, dependency
/// kind, size on disk and how many dependencies and dependents it has.
pub fn hover(info: ide::HoverInfo, index: Option<&LineIndex>, size: Option<u64>) -> Hover {
    let mut lines = vec![match &info.label {
        Some(label) => format!("**{}#{label}**", info.path),
        None => format!("**{}**", info.path),
    }];
    lines.push(String::new());
    if let Some(id) = info.id {
        lines.push(format!("- id: `{id}`"));
    }
    let default = "default (by extension)";
    lines.push(format!("- loader: {}", info.loader.as_deref().unwrap_or(default)));
    lines.push(format!("- processor: {}", info.processor.as_deref().unwrap_or(default)));
    lines.push(format!("- dependency kind: {}", info.kind.as_str()));
    if let Some(bytes) = size {
        lines.push(format!("- size: {}", human_size(bytes)));
    }
    lines.push(format!("- dependencies: {} · dependents: {}", info.dependencies, info.dependents));
    Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: lines.join("\n") }),
        range: Some(range_or_start(index, info.range)),
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

pub fn completion(completion: ide::Completion, index: Option<&LineIndex>) -> CompletionResponse {
    let range = range_or_start(index, completion.replace);
    let items = completion
        .items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let (kind, new_text) = match item.kind {
                ide::CompletionKind::Folder => (CompletionItemKind::FOLDER, format!("{}/", item.label)),
                ide::CompletionKind::File => (CompletionItemKind::FILE, item.label.clone()),
                ide::CompletionKind::Label => (CompletionItemKind::ENUM_MEMBER, item.label.clone()),
            };
            CompletionItem {
                label: item.label,
                kind: Some(kind),
                detail: item.detail,
                sort_text: Some(format!("{i:05}")),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text })),
                ..Default::default()
            }
        })
        .collect();
    CompletionResponse::List(CompletionList { is_incomplete: false, items })
}

pub fn document_link(link: ide::Link, index: Option<&LineIndex>, target: Uri) -> DocumentLink {
    DocumentLink {
        range: range_or_start(index, link.range),
        target: Some(target),
        tooltip: Some(link.target),
        data: None,
    }
}

pub fn inlay_hint(hint: ide::InlayHint, index: &LineIndex) -> InlayHint {
    InlayHint {
        position: position(index, hint.offset),
        label: InlayHintLabel::String(hint.label),
        kind: None,
        text_edits: None,
        tooltip: None,
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

pub fn code_action_kind(fix: &ide::Fix) -> CodeActionKind {
    match fix.kind {
        ide::FixKind::QuickFix => CodeActionKind::QUICKFIX,
        ide::FixKind::Rewrite => CodeActionKind::REFACTOR_REWRITE,
    }
}

/// Whether the client asked for actions of `kind`: `only: ["refactor"]`
/// asks for refactor.rewrite too, kinds being dot-separated hierarchies.
pub fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|o| kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str())))
    })
}

/// A fix as a code action; `context` is the diagnostics the client sent,
/// of which those the fix repairs are attached.
pub fn code_action(fix: ide::Fix, context: &[Diagnostic], edit: WorkspaceEdit) -> CodeAction {
    let kind = code_action_kind(&fix);
    let diagnostics: Vec<Diagnostic> = context
        .iter()
        .filter(|d| fix.fixes.is_some_and(|code| d.code == Some(NumberOrString::String(code.as_str().to_owned()))))
        .cloned()
        .collect();
    CodeAction {
        title: fix.title,
        kind: Some(kind),
        diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
        edit: Some(edit),
        is_preferred: fix.preferred.then_some(true),
        ..Default::default()
    }
}

/// An engine [`SourceChange`] as a `WorkspaceEdit`: text edits first
/// (against the current texts, versioned by `version_of` for open
/// documents), then creations and moves.
pub fn workspace_edit(
    project: &Project,
    uri_of: impl Fn(&str) -> Option<Uri>,
    version_of: impl Fn(&str) -> Option<i32>,
    change: &SourceChange,
) -> Option<WorkspaceEdit> {
    let mut ops = Vec::new();
    for (path, edits) in &change.edits {
        if edits.is_empty() {
            continue;
        }
        let uri = uri_of(path)?;
        let index = project.line_index(path);
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: version_of(path) },
            edits: edits
                .iter()
                .map(|e| OneOf::Left(TextEdit { range: range_or_start(index, e.range), new_text: e.new_text.clone() }))
                .collect(),
        }));
    }
    for op in &change.file_ops {
        match op {
            ide::FileOp::Create { path, text } => {
                let uri = path_to_uri(&project.abs_path(path))?;
                ops.push(DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                    uri: uri.clone(),
                    options: Some(CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(true) }),
                    annotation_id: None,
                })));
                ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                    text_document: OptionalVersionedTextDocumentIdentifier { uri, version: None },
                    edits: vec![OneOf::Left(TextEdit { range: Range::default(), new_text: text.clone() })],
                }));
            }
            ide::FileOp::Rename { from, to } => {
                ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile {
                    old_uri: uri_of(from)?,
                    new_uri: path_to_uri(&project.abs_path(to))?,
                    options: Some(RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
                    annotation_id: None,
                })));
            }
        }
    }
    Some(WorkspaceEdit {
        changes: None,
        document_changes: Some(DocumentChanges::Operations(ops)),
        change_annotations: None,
    })
}

/// Appends the operations of `next` to `acc` (edits of several projects).
pub fn extend_workspace_edit(acc: &mut WorkspaceEdit, next: WorkspaceEdit) {
    if let (Some(DocumentChanges::Operations(a)), Some(DocumentChanges::Operations(b))) =
        (&mut acc.document_changes, next.document_changes)
    {
        a.extend(b);
    }
}

pub fn workspace_symbol(symbol: ide::Symbol, uri: Uri) -> WorkspaceSymbol {
    WorkspaceSymbol {
        name: symbol.name,
        kind: SymbolKind::FILE,
        tags: None,
        container_name: Some(match symbol.id {
            Some(id) => format!("{} · {id}", symbol.path),
            None => symbol.path,
        }),
        location: OneOf::Left(Location { uri, range: Range::default() }),
        data: None,
    }
}

// ---- `assetry/dependencies` ---------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct DependenciesParams {
    pub uri: Uri,
}

/// The result of `assetry/dependencies` (README.md, "Custom LSP requests").
#[derive(Debug, Serialize)]
pub struct DependencyTree {
    pub uri: Uri,
    pub path: String,
    pub id: Option<String>,
    pub dependencies: Vec<DependencyNode>,
    pub dependents: Vec<DependencyNode>,
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct DependencyNode {
    pub uri: Uri,
    pub path: String,
    pub id: Option<String>,
    pub kind: &'static str,
    pub cycle: bool,
    pub children: Vec<DependencyNode>,
}

pub fn dependency_tree(tree: ide::DependencyTree, uri_of: impl Fn(&str) -> Option<Uri>) -> Option<DependencyTree> {
    Some(DependencyTree {
        uri: uri_of(&tree.path)?,
        path: tree.path,
        id: tree.id.map(|u| u.to_string()),
        dependencies: dependency_nodes(tree.dependencies, &uri_of),
        dependents: dependency_nodes(tree.dependents, &uri_of),
        truncated: tree.truncated,
    })
}

fn dependency_nodes(nodes: Vec<ide::DependencyNode>, uri_of: &impl Fn(&str) -> Option<Uri>) -> Vec<DependencyNode> {
    nodes
        .into_iter()
        .filter_map(|n| {
            Some(DependencyNode {
                uri: uri_of(&n.path)?,
                path: n.path,
                id: n.id.map(|u| u.to_string()),
                kind: n.kind.as_str(),
                cycle: n.cycle,
                children: dependency_nodes(n.children, uri_of),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_file_uris_name_files() {
        let file: Uri = "file:///p/assets/../assets/a%20b.png".parse().unwrap();
        assert_eq!(uri_to_path(&file), Some(PathBuf::from("/p/assets/a b.png")));
        let untitled: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(uri_to_path(&untitled), None);
        let http: Uri = "https://example.com/a.png".parse().unwrap();
        assert_eq!(uri_to_path(&http), None);
    }
}
