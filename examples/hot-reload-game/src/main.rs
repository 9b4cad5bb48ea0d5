//! A tiny game loop that hot-reloads its assets: it loads every artifact of
//! a project's manifest, shows the version of each asset it holds, and
//! swaps assets in as changesets arrive from `assetry watch`.
//!
//! ```text
//! cargo run -p assetry -- watch examples/demo        # terminal 1
//! cargo run -p hot-reload-game -- examples/demo      # terminal 2
//! ```
//!
//! Then save any asset of `examples/demo/assets/`: its line shows a new
//! version. Stop the watch and start it again: the game reconnects by
//! itself and catches up with what changed meanwhile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assetry_client::{Change, ChangeKind, Client, Manifest, Update};

/// A frame: the loop polls the client once per frame, as a game would.
const FRAME: Duration = Duration::from_millis(16);

/// An asset the game holds: its bytes (what a real game would decode and
/// upload) and how many times it was loaded.
struct Held {
    bytes: Vec<u8>,
    hash: String,
    version: u32,
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "examples/demo".to_owned()));
    let profile = std::env::args().nth(2).unwrap_or_else(|| "default".to_owned());
    let mut assets: BTreeMap<String, Held> = BTreeMap::new();
    match Manifest::load(&root, &profile) {
        Ok(m) => {
            for e in m.entries() {
                load(
                    &mut assets,
                    &m,
                    &Change {
                        id: e.id.clone(),
                        path: e.path.clone(),
                        artifact: e.artifact.clone(),
                        hash: e.hash.clone(),
                        kind: ChangeKind::Added,
                    },
                );
            }
        }
        Err(e) => println!("no manifest yet ({e}); waiting for `assetry watch`"),
    }
    show(&assets);

    let mut client: Option<Client> = None;
    let mut last_try = None::<Instant>;
    loop {
        let frame = Instant::now();
        if client.is_none() && last_try.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
            last_try = Some(Instant::now());
            client = Client::discover(&root).ok();
        }
        if let Some(c) = &client {
            while let Some(update) = c.poll() {
                match update {
                    Update::Connected { seq, .. } => println!("connected (manifest version {seq})"),
                    Update::Changeset { seq, changes, resync } => {
                        // One changeset is swapped in as a whole, between two frames.
                        let manifest = c.manifest().clone();
                        for change in &changes {
                            load(&mut assets, &manifest, change);
                        }
                        let how = if resync { " (caught up from the manifest)" } else { "" };
                        println!("changeset {seq}: {} asset(s){how}", changes.len());
                        show(&assets);
                    }
                    Update::Error { path, message, .. } => {
                        println!("not reloaded {}: {message} (keeping the last good version)", path.unwrap_or_default())
                    }
                    Update::Disconnected { reason } => println!("disconnected ({reason}); reconnecting"),
                }
            }
        }
        std::thread::sleep(FRAME.saturating_sub(frame.elapsed()));
    }
}

/// Loads (or drops) one asset from its artifact on disk.
fn load(assets: &mut BTreeMap<String, Held>, manifest: &Manifest, change: &Change) {
    if change.kind == ChangeKind::Removed {
        assets.remove(&change.path);
        return;
    }
    let file = manifest.artifact_path(&change.artifact);
    match std::fs::read(&file) {
        Ok(bytes) => {
            let version = assets.get(&change.path).map_or(1, |h| h.version + 1);
            assets.insert(change.path.clone(), Held { bytes, hash: change.hash.clone(), version });
        }
        Err(e) => println!("cannot load {}: {e}", display(&file)),
    }
}

fn show(assets: &BTreeMap<String, Held>) {
    for (path, held) in assets {
        let short = held.hash.get(..12).unwrap_or(&held.hash);
        println!("  v{:<3} {path}  ({} bytes, {short})", held.version, held.bytes.len());
    }
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
