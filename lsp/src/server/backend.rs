//! The LSP face: every handler hands its message to the engine thread before
//! its first `.await` (see [`super::engine`]) and converts nothing itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, mpsc};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::convert::{DependenciesParams, DependencyTree, uri_to_path};
use super::engine::Engine;
use super::workspace::Outgoing;

pub struct Backend {
    engine: Engine,
    /// Set by `shutdown`: the exit status tells an orderly exit from a crash.
    shut_down: Arc<AtomicBool>,
    /// Released by `initialized`: no notification may reach the client before.
    ready: Arc<Notify>,
}

impl Backend {
    pub fn new(
        client: Client,
        engine: Engine,
        published: mpsc::UnboundedReceiver<Outgoing>,
        shut_down: Arc<AtomicBool>,
    ) -> Self {
        let ready = Arc::new(Notify::new());
        tokio::spawn(publish_in_order(client.clone(), published, ready.clone()));
        Backend { engine, shut_down, ready }
    }

    /// `assetry/dependencies`: the dependencies and dependents of one file,
    /// as trees with dependency kinds (README.md, "Custom LSP requests").
    pub async fn dependencies(&self, params: DependenciesParams) -> Result<Option<DependencyTree>> {
        self.engine.query(move |ws| ws.dependencies(&params)).await
    }
}

/// Sends diagnostics to the client one at a time, in the order the engine
/// produced them, so an older set can never overwrite a newer one.
async fn publish_in_order(client: Client, mut outgoing: mpsc::UnboundedReceiver<Outgoing>, ready: Arc<Notify>) {
    ready.notified().await;
    while let Some(message) = outgoing.recv().await {
        match message {
            Outgoing::Diagnostics { uri, diagnostics, version } => {
                client.publish_diagnostics(uri, diagnostics, version).await;
            }
            Outgoing::Message { typ, text } => client.log_message(typ, text).await,
            Outgoing::Show { typ, text } => client.show_message(typ, text).await,
            Outgoing::ProgressBegin { token, title, message } => {
                let token = NumberOrString::String(token);
                let create = WorkDoneProgressCreateParams { token: token.clone() };
                if client.send_request::<request::WorkDoneProgressCreate>(create).await.is_ok() {
                    let begin = WorkDoneProgressBegin { title, message: Some(message), ..Default::default() };
                    let value = ProgressParamsValue::WorkDone(WorkDoneProgress::Begin(begin));
                    client.send_notification::<notification::Progress>(ProgressParams { token, value }).await;
                }
            }
            Outgoing::ProgressEnd { token, message } => {
                let end = WorkDoneProgressEnd { message: Some(message) };
                let value = ProgressParamsValue::WorkDone(WorkDoneProgress::End(end));
                let token = NumberOrString::String(token);
                client.send_notification::<notification::Progress>(ProgressParams { token, value }).await;
            }
        }
    }
}

fn workspace_folders(params: &InitializeParams) -> Vec<std::path::PathBuf> {
    if let Some(folders) = &params.workspace_folders
        && !folders.is_empty()
    {
        return folders.iter().filter_map(|f| uri_to_path(&f.uri)).collect();
    }
    #[allow(deprecated)]
    let root = params
        .root_uri
        .as_ref()
        .and_then(uri_to_path)
        .or_else(|| params.root_path.as_ref().map(std::path::PathBuf::from).filter(|p| p.is_absolute()));
    root.into_iter().collect()
}

fn server_capabilities() -> ServerCapabilities {
    let every_file = FileOperationRegistrationOptions {
        filters: vec![FileOperationFilter {
            scheme: Some("file".into()),
            pattern: FileOperationPattern { glob: "**/*".into(), matches: None, options: None },
        }],
    };
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), "/".into(), "#".into()]),
            ..Default::default()
        }),
        document_link_provider: Some(DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: Default::default(),
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR_REWRITE]),
            ..Default::default()
        })),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: Some(WorkspaceFileOperationsServerCapabilities {
                will_rename: Some(every_file),
                ..Default::default()
            }),
        }),
        ..Default::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let folders = workspace_folders(&params);
        let processing = super::processing::Processing::from_initialize(&params);
        self.engine.notify(move |ws| ws.set_processing(processing));
        // Scanning starts now, overlapping the rest of the handshake; every
        // later message queues behind it on the engine thread.
        self.engine.notify(move |ws| ws.open_folders(folders));
        Ok(InitializeResult {
            capabilities: server_capabilities(),
            server_info: Some(ServerInfo { name: "assetry".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.ready.notify_one();
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        // Games stop hearing now, and `.assetry/reload.addr` goes away
        // before the answer: nothing stale is left behind once we exit.
        self.engine.query(|ws| ws.stop_all_reloads()).await
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.engine.notify(move |ws| ws.did_open(params));
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.engine.notify(move |ws| ws.did_change(params));
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.engine.notify(move |ws| ws.did_save(params));
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.engine.notify(move |ws| ws.did_close(params));
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.engine.notify(move |ws| ws.did_change_watched_files(params));
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        self.engine.notify(move |ws| ws.did_change_workspace_folders(params));
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        self.engine.query(move |ws| ws.definition(params)).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.engine.query(move |ws| ws.references(params)).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.engine.query(move |ws| ws.hover(params)).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.engine.query(move |ws| ws.completion(params)).await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.engine.query(move |ws| ws.document_links(params)).await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.engine.query(move |ws| ws.inlay_hints(params)).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.engine.query(move |ws| ws.code_actions(params)).await
    }

    async fn will_rename_files(&self, params: RenameFilesParams) -> Result<Option<WorkspaceEdit>> {
        self.engine.query(move |ws| ws.will_rename_files(params)).await
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.engine.query(move |ws| ws.workspace_symbols(params)).await
    }
}
