//! The hot-reload server's hooks for `assetry watch` and `assetry lsp`:
//! start it on the project's `[reload] address`, and publish each
//! processing run's changeset and failures. The server itself is the
//! engine's (`assetry_pipeline::reload`).

use std::sync::Arc;

use assetry_pipeline::Project;
use assetry_pipeline::process::RunReport;
use assetry_pipeline::reload::{QUEUE, ReloadError, ReloadServer, ServerOptions};

/// Where the address comes from, for error messages.
const SETTING: &str = "`[reload] address` in assetry.toml";

/// Starts the server of `project` for `profile`; `log` gets its log lines.
pub fn start(
    project: &Project,
    profile: &str,
    log: Arc<dyn Fn(&str) + Send + Sync>,
) -> Result<ReloadServer, ReloadError> {
    ReloadServer::start(ServerOptions {
        address: project.config().reload_address.clone(),
        setting: SETTING.to_owned(),
        root: project.root().to_owned(),
        profile: profile.to_owned(),
        queue: QUEUE,
        log,
    })
}

/// Sends what a run changed, then an `error` per asset whose failure is new
/// or changed in this run (ids from `project`, the caller's view of the same
/// files): an asset still failing as before is not tried again, nor told again.
pub fn publish(server: &ReloadServer, project: &Project, report: &RunReport) {
    server.publish(&report.changeset);
    for f in report.failed.iter().filter(|f| report.new_failures.binary_search(&f.path).is_ok()) {
        let id = project.file_id(&f.path).and_then(|file| project.asset_id(file));
        server.failed(id, &f.path, &f.message);
    }
}
