//! Hot reload in the language server: a project whose `assetry.toml` sets
//! `[reload] address` is processed in the background (server/processing.rs)
//! and gets a reload server, which hears each run's changeset and failures.
//! The server's address goes to `.assetry/reload.addr` and to the client's
//! log (`window/logMessage`); an address in use is shown to the user
//! (`window/showMessage`), and the editor features go on without hot reload.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assetry_pipeline::process::RunReport;
use assetry_pipeline::reload::{ADDR_FILE, ReloadServer};
use tower_lsp_server::ls_types::MessageType;

use super::workspace::{Outgoing, Workspace};

#[derive(Default)]
pub struct Reloads {
    servers: HashMap<PathBuf, ReloadServer>,
}

impl Workspace {
    /// The profile to process for hot reload when the client did not ask for
    /// processing: `default`, if the project at `root` sets `[reload]`.
    pub(super) fn reload_profile(&self, root: &Path) -> Option<String> {
        let slot = self.projects.iter().find(|s| s.root == root)?;
        slot.project.config().reload_set.then(|| "default".to_owned())
    }

    /// Starts the reload server of the project at `root` if it sets `[reload]`.
    pub(super) fn start_reload(&mut self, root: &Path, profile: &str) {
        let Some(slot) = self.projects.iter().find(|s| s.root == root) else { return };
        if !slot.project.config().reload_set || self.reloads.servers.contains_key(root) {
            return;
        }
        let outgoing = self.outgoing.clone();
        let log = Arc::new(move |line: &str| {
            let _ = outgoing.send(Outgoing::Message { typ: MessageType::WARNING, text: format!("assetry: {line}") });
        });
        match crate::reload::start(&slot.project, profile, log) {
            Ok(server) => {
                let text = format!("assetry: hot reload on {} (written to {ADDR_FILE})", server.address());
                self.message(MessageType::INFO, text);
                self.reloads.servers.insert(root.to_owned(), server);
            }
            // Shown: the game will not hear anything until the address is changed.
            Err(e) => self.show(MessageType::ERROR, format!("assetry: {e}; hot reload is off")),
        }
    }

    /// Publishes a processing run of the project in `slot`.
    pub(super) fn reload_finished(&self, slot: usize, root: &Path, report: &RunReport) {
        if let Some(server) = self.reloads.servers.get(root) {
            crate::reload::publish(server, &self.projects[slot].project, report);
        }
    }

    /// Stops every server (the client asked the language server to shut down).
    pub(super) fn stop_all_reloads(&mut self) {
        self.reloads.servers.clear();
    }

    /// Stops the server of a project that closed.
    pub(super) fn stop_reload(&mut self, root: &Path) {
        self.reloads.servers.remove(root);
    }
}
