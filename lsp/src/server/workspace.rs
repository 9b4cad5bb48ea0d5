//! The server's state, owned by the engine thread: the projects of every
//! workspace folder and the documents the client has open.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::*;

use super::convert::uri_to_path;
use super::document::Document;

/// One `textDocument/publishDiagnostics`, ready to send.
pub struct Publish {
    pub uri: Uri,
    pub diagnostics: Vec<Diagnostic>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize)]
pub struct DependenciesParams {
    pub uri: Uri,
}

#[derive(Debug, Serialize)]
pub struct DependencyTree {}

pub struct Workspace {
    publisher: mpsc::UnboundedSender<Publish>,
    folders: Vec<PathBuf>,
    documents: HashMap<PathBuf, Document>,
}

impl Workspace {
    pub fn new(publisher: mpsc::UnboundedSender<Publish>) -> Self {
        Workspace {
            publisher,
            folders: Vec::new(),
            documents: HashMap::new(),
        }
    }

    pub fn open_folders(&mut self, folders: Vec<PathBuf>) {
        self.folders = folders;
    }

    pub fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let Some(path) = uri_to_path(&doc.uri) else {
            return;
        };
        self.documents
            .insert(path, Document::new(doc.uri, doc.version, &doc.text));
    }

    pub fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let Some(path) = uri_to_path(&params.text_document.uri) else {
            return;
        };
        // A change for a document never opened has no base text to apply to.
        let Some(doc) = self.documents.get_mut(&path) else {
            return;
        };
        for change in &params.content_changes {
            doc.apply(change);
        }
        doc.version = params.text_document.version;
    }

    pub fn did_save(&mut self, _params: DidSaveTextDocumentParams) {}

    pub fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        let Some(path) = uri_to_path(&params.text_document.uri) else {
            return;
        };
        self.documents.remove(&path);
    }

    pub fn did_change_watched_files(&mut self, _params: DidChangeWatchedFilesParams) {}

    pub fn did_change_workspace_folders(&mut self, _params: DidChangeWorkspaceFoldersParams) {}

    pub fn definition(&mut self, _params: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        None
    }

    pub fn references(&mut self, _params: ReferenceParams) -> Option<Vec<Location>> {
        None
    }

    pub fn hover(&mut self, _params: HoverParams) -> Option<Hover> {
        None
    }

    pub fn completion(&mut self, _params: CompletionParams) -> Option<CompletionResponse> {
        None
    }

    pub fn document_links(&mut self, _params: DocumentLinkParams) -> Option<Vec<DocumentLink>> {
        None
    }

    pub fn inlay_hints(&mut self, _params: InlayHintParams) -> Option<Vec<InlayHint>> {
        None
    }

    pub fn code_actions(&mut self, _params: CodeActionParams) -> Option<CodeActionResponse> {
        None
    }

    pub fn will_rename_files(&mut self, _params: RenameFilesParams) -> Option<WorkspaceEdit> {
        None
    }

    pub fn workspace_symbols(
        &mut self,
        _params: WorkspaceSymbolParams,
    ) -> Option<WorkspaceSymbolResponse> {
        None
    }

    pub fn dependencies(&mut self, _params: &DependenciesParams) -> Option<DependencyTree> {
        let _ = &self.publisher;
        None
    }
}
