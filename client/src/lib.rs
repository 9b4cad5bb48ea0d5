//! Game-side client for Assetry hot reload: connect to the reload server of
//! `assetry watch` (or `assetry lsp` with `[reload]` set), hear about every
//! processed asset that changed, and find artifacts in `manifest.json`.
//!
//! Dependency-light on purpose (std, serde, serde_json; no async runtime):
//! a reader thread per client, a blocking iterator ([`Client::updates`]) and
//! a non-blocking poll for a game loop ([`Client::poll`]). When the server
//! restarts, the client reconnects by itself (re-reading
//! `.assetry/reload.addr` when it was found that way) and catches up from
//! the manifest on disk.
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use assetry_client::{ChangeKind, Client, Update};
//!
//! // A stand-in server speaking the protocol (a game connects to
//! // `assetry watch` instead, with `Client::discover(project_root)`).
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let address = listener.local_addr()?.to_string();
//! std::thread::spawn(move || {
//!     let (mut s, _) = listener.accept().unwrap();
//!     s.write_all(b"{\"type\":\"hello\",\"protocol\":1,\"profile\":\"default\",\"root\":\"/nonexistent\",\"seq\":0}\n").unwrap();
//!     s.write_all(b"{\"type\":\"changeset\",\"seq\":1,\"changes\":[{\"id\":null,\"path\":\"assets/hero.png\",\
//!         \"artifact\":\"hero.png\",\"hash\":\"ab12\",\"kind\":\"modified\"}]}\n").unwrap();
//!     // Hold the connection until the client is dropped.
//!     let _ = BufReader::new(s).read_line(&mut String::new());
//! });
//!
//! let client = Client::connect(&address)?;
//! for update in client.updates() {
//!     match update {
//!         Update::Connected { profile, .. } => assert_eq!(profile, "default"),
//!         Update::Changeset { changes, .. } => {
//!             // Swap these in together; resolve each artifact through the manifest.
//!             assert_eq!(changes[0].kind, ChangeKind::Modified);
//!             let file = client.manifest().resolve(&changes[0].path).unwrap();
//!             assert!(file.ends_with("hero.png"));
//!             break;
//!         }
//!         Update::Error { message, .. } => eprintln!("processing failed: {message}"),
//!         Update::Disconnected { .. } => {}
//!     }
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

mod client;
mod manifest;
pub mod protocol;

pub use client::{ADDR_FILE, Client, Options, Target, Update, read_addr_file};
pub use manifest::{Entry, Manifest, ManifestError};
pub use protocol::{Change, ChangeKind, Message};
