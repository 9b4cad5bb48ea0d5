//! The open documents' notifications: open, change (recorded now, handed
//! to the engine at the next flush), save and close.

use std::sync::Arc;

use assetry_pipeline::Change;
use tower_lsp_server::ls_types::*;

use super::convert::uri_to_path;
use super::document::Document;
use super::workspace::Workspace;

impl Workspace {
    pub fn did_open(&mut self, params: DidOpenTextDocumentParams) {
        self.flush();
        let doc = params.text_document;
        let Some(path) = uri_to_path(&doc.uri) else { return };
        let text: Arc<str> = Arc::from(doc.text.as_str());
        self.documents.insert(path.clone(), Document::new(doc.uri, doc.version, &doc.text));
        if let Some(slot) = self.owner(&path) {
            self.apply(slot, vec![Change::Overlay { path, text }]);
        }
    }

    pub fn did_change(&mut self, params: DidChangeTextDocumentParams) {
        let Some(path) = uri_to_path(&params.text_document.uri) else { return };
        // A change for a document never opened has no base text to apply to.
        let Some(doc) = self.documents.get_mut(&path) else { return };
        for change in &params.content_changes {
            doc.apply(change);
        }
        doc.version = params.text_document.version;
        self.edited.insert(path);
    }

    pub fn did_save(&mut self, params: DidSaveTextDocumentParams) {
        self.flush();
        let Some(path) = uri_to_path(&params.text_document.uri) else { return };
        if let Some(i) = self.unloaded_config(&path) {
            self.retry_unloaded(i);
        }
        // The buffer stays in charge while open; the disk event matters for
        // files the engine reads only from disk (assetry.toml).
        if let Some(slot) = self.owner(&path) {
            self.apply(slot, vec![Change::Disk(path)]);
        }
    }

    pub fn did_close(&mut self, params: DidCloseTextDocumentParams) {
        self.flush();
        let Some(path) = uri_to_path(&params.text_document.uri) else { return };
        if self.documents.remove(&path).is_none() {
            return;
        }
        if let Some(slot) = self.owner(&path) {
            self.apply(slot, vec![Change::CloseOverlay(path)]);
        }
        crate::return_free_memory();
    }
}
