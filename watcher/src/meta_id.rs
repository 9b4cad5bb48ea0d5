//! The one thing the watcher reads from a `.meta`: its `id`, so a delete plus
//! a create carrying the same UUID is recognised as a move.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `.meta` files are small; reading more than this for an id means the file
/// is not a sidecar the engine would accept either.
const MAX_META_BYTES: u64 = 64 * 1024;

pub fn is_meta(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "meta")
}

/// The asset a `.meta` describes, or the `.meta` of an asset.
pub fn sidecar(path: &Path) -> PathBuf {
    if is_meta(path) {
        path.with_extension("")
    } else {
        let mut s = path.as_os_str().to_owned();
        s.push(".meta");
        PathBuf::from(s)
    }
}

/// Reads the top-level `id = "..."` of a `.meta`. Anything unreadable or
/// malformed yields `None`: the engine reports it, the watcher only loses the
/// chance to call a delete plus create a move.
pub fn read_id(path: &Path) -> Option<u128> {
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(MAX_META_BYTES).read_to_string(&mut text).ok()?;
    parse_id(&text)
}

fn parse_id(text: &str) -> Option<u128> {
    for line in text.lines() {
        let line = line.trim();
        // Keys after the first table header belong to that table.
        if line.starts_with('[') {
            return None;
        }
        let Some(rest) = line.strip_prefix("id") else { continue };
        let Some(value) = rest.trim_start().strip_prefix('=') else { continue };
        let value = value.trim();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        let inner = &value[1..];
        let end = inner.find(quote)?;
        return parse_uuid(inner[..end].trim());
    }
    None
}

/// A UUID in its text form (any case, with or without dashes) as a number,
/// the form `uuid::Uuid::as_u128` gives.
pub fn parse_uuid(text: &str) -> Option<u128> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// Last known id of every `.meta` under watch, keyed by absolute path.
///
/// Keys are raw path bytes: their order keeps a folder's contents contiguous
/// (`a/` sorts as one block), and comparing bytes is several times cheaper
/// than comparing `Path`s component by component, which matters when a
/// 100,000-asset project hands its ids over at start-up.
#[derive(Default)]
pub struct IdIndex {
    ids: BTreeMap<OsString, u128>,
}

impl IdIndex {
    pub fn new(known: impl IntoIterator<Item = (PathBuf, u128)>) -> IdIndex {
        IdIndex { ids: known.into_iter().map(|(p, id)| (p.into_os_string(), id)).collect() }
    }

    pub fn get(&self, path: &Path) -> Option<u128> {
        self.ids.get(path.as_os_str()).copied()
    }

    pub fn refresh(&mut self, path: &Path) {
        match read_id(path) {
            Some(id) => {
                self.ids.insert(path.as_os_str().to_owned(), id);
            }
            None => {
                self.ids.remove(path.as_os_str());
            }
        }
    }

    /// Forgets `path` and, if it was a folder, everything under it.
    pub fn remove_tree(&mut self, path: &Path) {
        self.ids.remove(path.as_os_str());
        for key in self.under(path) {
            self.ids.remove(&key);
        }
    }

    /// Re-keys `from` (and everything under it) to `to`.
    pub fn move_tree(&mut self, from: &Path, to: &Path) {
        if let Some(id) = self.ids.remove(from.as_os_str()) {
            self.ids.insert(to.as_os_str().to_owned(), id);
        }
        for key in self.under(from) {
            if let Some(id) = self.ids.remove(&key)
                && let Ok(rest) = Path::new(&key).strip_prefix(from)
            {
                self.ids.insert(to.join(rest).into_os_string(), id);
            }
        }
    }

    /// Keys strictly under folder `dir`.
    fn under(&self, dir: &Path) -> Vec<OsString> {
        let mut prefix = dir.as_os_str().to_owned();
        prefix.push(std::path::MAIN_SEPARATOR_STR);
        let bytes = prefix.as_encoded_bytes().to_vec();
        self.ids
            .range(prefix..)
            .take_while(|(k, _)| k.as_encoded_bytes().starts_with(&bytes))
            .map(|(k, _)| k.clone())
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_top_level_id_only() {
        assert_eq!(
            parse_id("# c\nid = \"0B6D3F6E-3c1f-4f54-9f0e-2d8a3c6b9e11\"\nloader = \"image\"\n"),
            Some(0x0b6d3f6e_3c1f_4f54_9f0e_2d8a3c6b9e11)
        );
        assert_eq!(parse_id("[[labels]]\nid = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n"), None);
        assert_eq!(parse_id("identity = \"x\"\n"), None);
        assert_eq!(parse_id("id = 5\n"), None);
        assert_eq!(parse_id("id='0B6D3F6E3C1F4F549F0E2D8A3C6B9E11'"), Some(0x0b6d3f6e_3c1f_4f54_9f0e_2d8a3c6b9e11));
        assert_eq!(parse_id("id = \"not-a-uuid\""), None);
    }

    #[test]
    fn moves_and_removes_whole_folders() {
        let mut index = IdIndex::new([
            (PathBuf::from("/p/a/x.png.meta"), 1),
            (PathBuf::from("/p/a/y/z.png.meta"), 2),
            (PathBuf::from("/p/ab.png.meta"), 3),
        ]);
        index.move_tree(Path::new("/p/a"), Path::new("/p/b"));
        assert_eq!(index.get(Path::new("/p/b/y/z.png.meta")), Some(2));
        assert_eq!(index.get(Path::new("/p/ab.png.meta")), Some(3));
        index.remove_tree(Path::new("/p/b"));
        assert_eq!(index.len(), 1);
    }
}
