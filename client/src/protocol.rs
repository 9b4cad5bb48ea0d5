//! The hot-reload protocol's messages: newline-delimited JSON, one object
//! per line, each with a `type` (docs/REFERENCE.md, "Hot-reload protocol").
//! The server (`assetry watch`, `assetry lsp`) serialises these same types,
//! so the two sides cannot drift apart.

use serde::{Deserialize, Serialize};

/// The protocol version a server announces in [`Message::Hello`].
pub const PROTOCOL: u32 = 1;

/// The longest line either side accepts, newline excluded. A server line is
/// a changeset (a few hundred bytes an asset); a client line is a
/// `subscribe` (a few dozen bytes).
pub const MAX_CLIENT_LINE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Message {
    /// Server → client, first on every connection.
    Hello {
        protocol: u32,
        /// The profile whose artifacts the server processes.
        profile: String,
        /// The project root, absolute: the manifest is
        /// `<root>/.assetry/out/<profile>/manifest.json`.
        root: String,
        /// The manifest's version: the `seq` of the last changeset sent (0
        /// before the first). The next changeset has `seq + 1`.
        seq: u64,
    },
    /// Server → client: everything one batch of file changes produced, sent
    /// once the artifacts and the manifest are on disk.
    Changeset { seq: u64, changes: Vec<Change> },
    /// Server → client: an asset failed to process (its last good artifact
    /// stays), or a request could not be honoured (no `id`/`path` then).
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        message: String,
    },
    /// Client → server (optional): receive the changesets of this profile.
    Subscribe { profile: String },
}

/// One artifact a changeset added, replaced or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The asset's UUID, when it has one (a `.meta` id).
    pub id: Option<String>,
    /// The asset's source path, relative to the project root.
    pub path: String,
    /// Relative to `.assetry/out/<profile>/`.
    pub artifact: String,
    /// BLAKE3 of the artifact, hex (of the last one, for `removed`).
    pub hash: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

impl Message {
    /// The message as one protocol line, newline included.
    pub fn to_line(&self) -> String {
        // Serialising these plain types cannot fail.
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }
}
