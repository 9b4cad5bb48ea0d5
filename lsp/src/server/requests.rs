//! Requests: each finds the project and position the client means, asks
//! the engine's IDE query and has [`super::convert`] build the answer.

use std::collections::HashMap;

use assetry_pipeline::TextRange;
use assetry_pipeline::ide::{self, SourceChange};
use tower_lsp_server::ls_types::*;

use super::convert::{self, DependenciesParams, DependencyTree, normalize, uri_to_path};
use super::workspace::Workspace;

impl Workspace {
    /// The project, path and byte offset of a client position.
    fn position(&mut self, doc: &TextDocumentPositionParams) -> Option<(usize, String, u32)> {
        self.flush();
        let (slot, rel) = self.locate(&doc.text_document.uri)?;
        let offset = self.projects[slot].project.line_index(&rel).map_or(0, |i| convert::offset(i, doc.position));
        Some((slot, rel, offset))
    }

    fn location(&self, slot: usize, target: &ide::NavTarget) -> Option<Location> {
        convert::location(&self.projects[slot].project, |p| self.uri_of(slot, p), &target.path, target.range)
    }

    pub fn definition(&mut self, params: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let (slot, rel, offset) = self.position(&params.text_document_position_params)?;
        let target = ide::definition(&self.projects[slot].project, &rel, offset)?;
        Some(GotoDefinitionResponse::Scalar(self.location(slot, &target)?))
    }

    pub fn references(&mut self, params: ReferenceParams) -> Option<Vec<Location>> {
        let (slot, rel, offset) = self.position(&params.text_document_position)?;
        let sites = ide::references(&self.projects[slot].project, &rel, offset);
        Some(sites.iter().filter_map(|t| self.location(slot, t)).collect())
    }

    pub fn hover(&mut self, params: HoverParams) -> Option<Hover> {
        let (slot, rel, offset) = self.position(&params.text_document_position_params)?;
        let project = &self.projects[slot].project;
        let info = ide::hover(project, &rel, offset)?;
        let size = std::fs::metadata(project.abs_path(&info.path)).ok().map(|m| m.len());
        let note = self.processing_note(slot, &info.path);
        let mut hover = convert::hover(info, project.line_index(&rel), size);
        if let (Some(note), HoverContents::Markup(m)) = (note, &mut hover.contents) {
            m.value.push('\n');
            m.value.push_str(&note);
        }
        Some(hover)
    }

    pub fn completion(&mut self, params: CompletionParams) -> Option<CompletionResponse> {
        let (slot, rel, offset) = self.position(&params.text_document_position)?;
        let project = &self.projects[slot].project;
        let completion = ide::completion(project, &rel, offset)?;
        Some(convert::completion(completion, project.line_index(&rel)))
    }

    pub fn document_links(&mut self, params: DocumentLinkParams) -> Option<Vec<DocumentLink>> {
        self.flush();
        let (slot, rel) = self.locate(&params.text_document.uri)?;
        let project = &self.projects[slot].project;
        let index = project.line_index(&rel);
        Some(
            ide::document_links(project, &rel)
                .into_iter()
                .filter_map(|l| {
                    let target = self.uri_of(slot, &l.target)?;
                    Some(convert::document_link(l, index, target))
                })
                .collect(),
        )
    }

    pub fn inlay_hints(&mut self, params: InlayHintParams) -> Option<Vec<InlayHint>> {
        self.flush();
        let (slot, rel) = self.locate(&params.text_document.uri)?;
        let project = &self.projects[slot].project;
        let index = project.line_index(&rel)?;
        let visible = convert::text_range(index, params.range);
        Some(
            ide::inlay_hints(project, &rel)
                .into_iter()
                .filter(|h| visible.contains_inclusive(h.offset))
                .map(|h| convert::inlay_hint(h, index))
                .collect(),
        )
    }

    pub fn code_actions(&mut self, params: CodeActionParams) -> Option<CodeActionResponse> {
        self.flush();
        let (slot, rel) = self.locate(&params.text_document.uri)?;
        let project = &self.projects[slot].project;
        let range = project.line_index(&rel).map_or(TextRange::EMPTY, |i| convert::text_range(i, params.range));
        let only = params.context.only.as_deref();
        Some(
            ide::code_actions(project, &rel, range)
                .into_iter()
                .filter(|fix| convert::wanted(only, &convert::code_action_kind(fix)))
                .filter_map(|fix| {
                    let edit = self.workspace_edit(slot, &fix.change)?;
                    Some(CodeActionOrCommand::CodeAction(convert::code_action(fix, &params.context.diagnostics, edit)))
                })
                .collect(),
        )
    }

    pub fn will_rename_files(&mut self, params: RenameFilesParams) -> Option<WorkspaceEdit> {
        self.flush();
        let mut by_slot: HashMap<usize, Vec<(String, String)>> = HashMap::new();
        for file in &params.files {
            let (Ok(old), Ok(new)) = (file.old_uri.parse::<Uri>(), file.new_uri.parse::<Uri>()) else { continue };
            let (Some(old), Some(new)) = (uri_to_path(&old), uri_to_path(&new)) else { continue };
            let Some(slot) = self.owner(&old) else { continue };
            let project = &self.projects[slot].project;
            let (Some(old_rel), Some(new_rel)) = (project.rel_path(&old), project.rel_path(&normalize(&new))) else {
                continue;
            };
            by_slot.entry(slot).or_default().push((old_rel, new_rel));
        }
        let mut edit: Option<WorkspaceEdit> = None;
        for (slot, renames) in by_slot {
            let change = ide::rename(&self.projects[slot].project, &renames);
            if change.is_empty() {
                continue;
            }
            let Some(next) = self.workspace_edit(slot, &change) else { continue };
            match &mut edit {
                None => edit = Some(next),
                Some(acc) => convert::extend_workspace_edit(acc, next),
            }
        }
        edit
    }

    pub fn workspace_symbols(&mut self, params: WorkspaceSymbolParams) -> Option<WorkspaceSymbolResponse> {
        self.flush();
        let mut out = Vec::new();
        for slot in 0..self.projects.len() {
            for s in ide::workspace_symbols(&self.projects[slot].project, &params.query) {
                let Some(uri) = self.uri_of(slot, &s.path) else { continue };
                out.push(convert::workspace_symbol(s, uri));
            }
        }
        Some(WorkspaceSymbolResponse::Nested(out))
    }

    pub fn dependencies(&mut self, params: &DependenciesParams) -> Option<DependencyTree> {
        self.flush();
        let (slot, rel) = self.locate(&params.uri)?;
        let tree = ide::dependency_tree(&self.projects[slot].project, &rel)?;
        convert::dependency_tree(tree, |p| self.uri_of(slot, p))
    }

    /// An engine change as a `WorkspaceEdit` against the current texts.
    fn workspace_edit(&self, slot: usize, change: &SourceChange) -> Option<WorkspaceEdit> {
        let project = &self.projects[slot].project;
        convert::workspace_edit(
            project,
            |p| self.uri_of(slot, p),
            |p| self.documents.get(&project.abs_path(p)).map(|d| d.version),
            change,
        )
    }
}
