//! Binding `[reload] address` and publishing the bound address in
//! `.assetry/reload.addr`, where games (`assetry_client::Client::discover`)
//! find it, port 0 included.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};

use super::ServerOptions;

pub use assetry_client::ADDR_FILE;

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(
        "reload server: {address} is already in use (set by {setting}; another port, or port 0 for a free one, avoids it)"
    )]
    InUse { address: String, setting: String },
    #[error("reload server: `{address}` (set by {setting}) is not a host:port address: {message}")]
    BadAddress { address: String, setting: String, message: String },
    #[error("reload server: cannot listen on {address} (set by {setting}): {source}")]
    Bind { address: String, setting: String, source: std::io::Error },
    #[error("reload server: {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl ReloadError {
    pub(super) fn io(options: &ServerOptions, source: std::io::Error) -> ReloadError {
        ReloadError::Io { path: options.root.join(ADDR_FILE), source }
    }
}

/// Binds the configured address. A bare port (`"7420"`, `"0"`) means
/// loopback; a host name is resolved and its first address bound.
pub(super) fn bind(options: &ServerOptions) -> Result<TcpListener, ReloadError> {
    let text = options.address.trim();
    let bad = |message: String| ReloadError::BadAddress {
        address: options.address.clone(),
        setting: options.setting.clone(),
        message,
    };
    let address: SocketAddr = if let Ok(port) = text.parse::<u16>() {
        SocketAddr::from(([127, 0, 0, 1], port))
    } else {
        text.to_socket_addrs()
            .map_err(|e| bad(e.to_string()))?
            .next()
            .ok_or_else(|| bad("it resolves to no address".to_owned()))?
    };
    TcpListener::bind(address).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            ReloadError::InUse { address: address.to_string(), setting: options.setting.clone() }
        } else {
            ReloadError::Bind { address: address.to_string(), setting: options.setting.clone(), source }
        }
    })
}

/// Writes `address` to `.assetry/reload.addr` through a temporary file, so
/// a game never reads half an address.
pub(super) fn write_addr_file(root: &Path, address: SocketAddr) -> Result<(), ReloadError> {
    let file = root.join(ADDR_FILE);
    let io = |source| ReloadError::Io { path: file.clone(), source };
    let dir = file.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!("reload.addr.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(format!("{address}\n").as_bytes()).map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, &file).map_err(io)
}

/// Removes `.assetry/reload.addr` if it still names this server (another
/// server may have started since and written its own).
pub(super) fn remove_addr_file(root: &Path, address: SocketAddr) {
    let file = root.join(ADDR_FILE);
    if std::fs::read_to_string(&file).is_ok_and(|t| t.trim() == address.to_string()) {
        let _ = std::fs::remove_file(&file);
    }
}
