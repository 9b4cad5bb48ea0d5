//! The indexes beside the files: the reverse index of references (what
//! invalidation follows), id owners and the extensions that have a `.meta`.

use rustc_hash::FxHashMap as HashMap;
use uuid::Uuid;

use super::parallel::parallel_map;
use super::{Dirty, File, FileId, IdOwner, Project};
use crate::meta::META_SUFFIX;
use crate::resolve::{self, RefKey};
use crate::scan::FileKind;

/// The entries under one index key (files referring to a target, owners of
/// an id): almost always one, so no allocation for it (200,000 files and
/// 280,000 references would otherwise allocate a vector each while the index
/// is built on a single thread).
#[derive(Debug, Clone)]
pub(super) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Copy> OneOrMany<T> {
    pub(super) fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(x) => std::slice::from_ref(x),
            OneOrMany::Many(v) => v,
        }
    }

    pub(super) fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            OneOrMany::One(x) => std::slice::from_mut(x),
            OneOrMany::Many(v) => v,
        }
    }

    pub(super) fn push(&mut self, x: T) {
        match self {
            OneOrMany::One(first) => *self = OneOrMany::Many(vec![*first, x]),
            OneOrMany::Many(v) => v.push(x),
        }
    }

    /// Keeps the entries `keep` accepts; `true` when none is left.
    pub(super) fn retain(&mut self, keep: impl Fn(&T) -> bool) -> bool {
        match self {
            OneOrMany::One(x) => !keep(x),
            OneOrMany::Many(v) => {
                v.retain(|x| keep(x));
                match v.as_slice() {
                    [] => true,
                    [one] => {
                        *self = OneOrMany::One(*one);
                        false
                    }
                    _ => false,
                }
            }
        }
    }
}

pub(super) fn push_id<K: std::hash::Hash + Eq>(map: &mut HashMap<K, OneOrMany<FileId>>, key: K, id: FileId) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().push(id),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(OneOrMany::One(id));
        }
    }
}

pub(super) fn remove_id<K: std::hash::Hash + Eq>(map: &mut HashMap<K, OneOrMany<FileId>>, key: &K, id: FileId) {
    if map.get_mut(key).is_some_and(|l| l.retain(|x| *x != id)) {
        map.remove(key);
    }
}

impl Project {
    /// Adds a file's references, id and extension to the indexes.
    pub(super) fn register(&mut self, id: FileId, dirty: &mut Dirty) {
        self.register_consts(id, dirty);
        let Some(file) = self.files[id as usize].as_ref() else { return };
        let path = file.path.clone();
        let keys = self.referrers.get().is_some().then(|| self.keys_of(file));
        if let (Some(keys), Some(referrers)) = (keys, self.referrers.get_mut()) {
            for k in keys {
                push_id(referrers, k, id);
            }
        }
        let Some(file) = self.files[id as usize].as_ref() else { return };
        let meta_id = file.meta().and_then(|m| m.id.map(|(u, _)| u));
        let label_ids: Vec<(u32, Uuid)> = file
            .meta()
            .map(|m| m.labels.iter().enumerate().filter_map(|(i, l)| Some((i as u32, l.id?))).collect())
            .unwrap_or_default();
        let kind = file.kind;
        if let Some(u) = meta_id {
            self.add_owner(u, IdOwner { meta: id, label: None });
            if !dirty.bulk {
                dirty.keys.insert(RefKey::Id(u));
            }
        }
        for (i, u) in label_ids {
            self.add_owner(u, IdOwner { meta: id, label: Some(i) });
            if !dirty.bulk {
                dirty.keys.insert(RefKey::Id(u));
            }
        }
        let bevy = self.files[id as usize].as_ref().and_then(|f| f.loaded.bevy());
        let (embedded, defines) = bevy.map(|b| (b.embedded.clone(), b.defines.clone())).unwrap_or_default();
        for e in embedded {
            dirty.keys.insert(RefKey::path(&format!("embedded://{e}")));
            *self.embedded.entry(e).or_insert(0) += 1;
        }
        if let Some(module) = defines {
            module_keys(&module, dirty);
            let first: Box<str> = module.split("::").next().unwrap_or_default().into();
            *self.module_roots.entry(first).or_insert(0) += 1;
            let files = self.modules.entry(module).or_default();
            files.push(id);
            // By path, so which of two declarations wins does not depend
            // on the order files were seen in.
            let all = &self.files;
            files.sort_by(|a, b| {
                let path = |f: &FileId| all[*f as usize].as_ref().map(|f| f.path.clone());
                path(a).cmp(&path(b))
            });
            // Each declarer gains a `duplicate-id` finding, or a new peer in it.
            if !dirty.bulk && files.len() > 1 {
                dirty.files.extend(files.iter().copied());
            }
        }
        if matches!(kind, FileKind::Meta { .. })
            && let Some(ext) = meta_asset_extension(&path)
        {
            match self.meta_extensions.get_mut(ext.as_ref()) {
                Some(count) => *count += 1,
                None => {
                    self.meta_extensions.insert(ext.into_owned(), 1);
                    if !dirty.bulk {
                        dirty.everything = true;
                    }
                }
            }
        }
        if !dirty.bulk {
            dirty.files.insert(id);
            if let Some(node) = self.node_of(id) {
                dirty.nodes.insert(node);
            }
        }
    }

    fn add_owner(&mut self, u: Uuid, owner: IdOwner) {
        let Some(owners) = self.ids.get_mut(&u) else {
            self.ids.insert(u, OneOrMany::One(owner));
            return;
        };
        owners.push(owner);
        // The first owner (by path) is the one references by id resolve to.
        let files = &self.files;
        let path = |o: &IdOwner| files[o.meta as usize].as_ref().map(|f| f.path.clone());
        owners.as_mut_slice().sort_by(|a, b| path(a).cmp(&path(b)).then(a.label.cmp(&b.label)));
    }

    /// Removes a file's references, id and extension from the indexes.
    pub(super) fn unregister(&mut self, id: FileId, dirty: &mut Dirty) {
        self.unregister_consts(id, dirty);
        let Some(file) = self.files[id as usize].as_ref() else { return };
        let keys = self.referrers.get().is_some().then(|| self.keys_of(file));
        let path = file.path.clone();
        let is_meta = matches!(file.kind, FileKind::Meta { .. });
        let owned: Vec<Uuid> = file
            .meta()
            .map(|m| m.id.map(|(u, _)| u).into_iter().chain(m.labels.iter().filter_map(|l| l.id)).collect())
            .unwrap_or_default();
        if let (Some(keys), Some(referrers)) = (keys, self.referrers.get_mut()) {
            for k in &keys {
                remove_id(referrers, k, id);
            }
        }
        if let Some(module) = file.loaded.bevy().and_then(|b| b.defines.clone()) {
            module_keys(&module, dirty);
            let first = module.split("::").next().unwrap_or_default();
            if let Some(c) = self.module_roots.get_mut(first) {
                *c -= 1;
                if *c == 0 {
                    self.module_roots.remove(first);
                }
            }
            if let Some(files) = self.modules.get_mut(&module) {
                files.retain(|f| *f != id);
                // The others may lose their `duplicate-id` finding.
                dirty.files.extend(files.iter().copied());
                if files.is_empty() {
                    self.modules.remove(&module);
                }
            }
        }
        let embedded = file.loaded.bevy().map(|b| b.embedded.clone());
        for e in embedded.into_iter().flatten() {
            dirty.keys.insert(RefKey::path(&format!("embedded://{e}")));
            if let Some(c) = self.embedded.get_mut(&e) {
                *c -= 1;
                if *c == 0 {
                    self.embedded.remove(&e);
                }
            }
        }
        for u in owned {
            if self.ids.get_mut(&u).is_some_and(|owners| owners.retain(|o| o.meta != id)) {
                self.ids.remove(&u);
            }
            dirty.keys.insert(RefKey::Id(u));
        }
        if is_meta
            && let Some(ext) = meta_asset_extension(&path)
            && let Some(c) = self.meta_extensions.get_mut(ext.as_ref())
        {
            *c -= 1;
            if *c == 0 {
                self.meta_extensions.remove(ext.as_ref());
                dirty.everything = true;
            }
        }
        if let Some(node) = self.node_of(id) {
            dirty.nodes.insert(node);
        }
        dirty.files.insert(id);
    }

    /// The reverse index, built now if it does not exist yet.
    pub(super) fn referrers(&self) -> &HashMap<RefKey, OneOrMany<FileId>> {
        self.referrers.get_or_init(|| {
            let ids: Vec<FileId> = self.file_ids().collect();
            let keys = parallel_map(&ids, |id| self.file(id).map(|f| self.keys_of(f)).unwrap_or_default());
            let mut map = HashMap::default();
            map.reserve(keys.iter().map(Vec::len).sum());
            for (id, keys) in ids.into_iter().zip(keys) {
                for k in keys {
                    push_id(&mut map, k, id);
                }
            }
            map
        })
    }

    /// Builds what applying changes needs and a one-shot check does not
    /// (the reverse index), so the first edit does not pay for it. Long-lived
    /// users (the language server, `watch`) call it once the first
    /// diagnostics are out.
    pub fn prepare_for_changes(&self) {
        self.referrers();
    }

    /// The reverse-index keys of a file's references: pure path arithmetic
    /// on its references, so the same before and after any other change.
    fn keys_of(&self, file: &File) -> Vec<RefKey> {
        let from_root = file.root().map(|r| self.config.roots[r as usize].as_str());
        let mut scratch = resolve::Scratch::default();
        let mut keys = Vec::new();
        let id = if file.kind == FileKind::Code { self.file_id(&file.path) } else { None };
        for (i, r) in file.loaded.refs.iter().enumerate() {
            if let Some(key) = id.and_then(|id| self.embed_key(id, i)) {
                keys.push(key);
                continue;
            }
            let t = resolve::target_in(&r.value, r.file_relative, &file.path, from_root, &self.config, &mut scratch);
            resolve::push_keys(t, &mut keys);
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// A declared shader module changes how imports of it resolve, and whether
/// imports under its first segment are the project's (then judged) at all.
fn module_keys(module: &str, dirty: &mut Dirty) {
    dirty.keys.insert(RefKey::path(&format!("module://{module}")));
    let first = module.split("::").next().unwrap_or_default();
    dirty.keys.insert(RefKey::path(&format!("module://{first}")));
}

/// The extension (lowercase) of the asset a `.meta` path describes.
fn meta_asset_extension(meta_path: &str) -> Option<std::borrow::Cow<'_, str>> {
    let asset = meta_path.strip_suffix(META_SUFFIX)?.as_bytes();
    let dot = memchr::memrchr(b'.', asset)?;
    if memchr::memchr(b'/', &asset[dot..]).is_some() {
        return None;
    }
    let ext = &meta_path[dot + 1..asset.len()];
    Some(if ext.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(ext.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(ext)
    })
}
