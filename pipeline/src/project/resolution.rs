//! How references resolve against the current state, and the queries that
//! follow resolutions (ids, `.meta` pairs, references to an asset).

use rustc_hash::FxHashSet as HashSet;
use uuid::Uuid;

use super::index::OneOrMany;
use super::parallel::parallel_map;
use super::{FileId, IdOwner, LinkKind, PathMove, Project, Resolution};
use crate::config::{BUILTIN_ASSET_EXTENSIONS, Config};
use crate::extract::{RawRef, path_extension};
use crate::flavor::Flavor;
use crate::meta::Meta;
use crate::resolve::{self, RefKey, TargetRef, lower_hash};
use crate::scan::FileKind;

impl Project {
    /// The `.meta` of an asset.
    pub fn meta_of(&self, asset: FileId) -> Option<(FileId, &Meta)> {
        let id = self.links.get(asset as usize).filter(|l| l.kind == LinkKind::Asset)?.pair?;
        Some((id, self.file(id)?.meta()?))
    }

    /// Whether an asset has its `.meta`, or a `.meta` its asset (from the
    /// dense kinds: no visit to either file).
    pub(crate) fn has_pair(&self, id: FileId) -> bool {
        self.links.get(id as usize).is_some_and(|l| l.pair.is_some())
    }

    /// The asset a `.meta` describes.
    pub fn asset_of_meta(&self, meta: FileId) -> Option<FileId> {
        self.links.get(meta as usize).filter(|l| l.kind == LinkKind::Meta)?.pair
    }

    /// The id of an asset, from its `.meta`.
    pub fn asset_id(&self, asset: FileId) -> Option<Uuid> {
        self.meta_of(asset)?.1.id.map(|(id, _)| id)
    }

    /// The shaders declaring `module` with `#define_import_path`, by path
    /// (imports of it resolve to the first).
    pub fn module_declarers(&self, module: &str) -> &[FileId] {
        self.modules.get(module).map_or(&[], Vec::as_slice)
    }

    /// Who declares `id`.
    pub fn id_owners(&self, id: &Uuid) -> &[IdOwner] {
        self.ids.get(id).map_or(&[], OneOrMany::as_slice)
    }

    /// The asset `id` names (the first owner, by path, when duplicated).
    pub fn asset_by_id(&self, id: &Uuid) -> Option<(FileId, Option<u32>)> {
        let owner = self.id_owners(id).first()?;
        Some((self.asset_of_meta(owner.meta)?, owner.label))
    }

    /// Whether `ext` (any case) is an asset extension in this project.
    pub fn is_asset_extension(&self, ext: &str) -> bool {
        // Lowercased on the stack (extensions are at most 16 bytes): this
        // runs for every data-file string that looks like a path.
        let mut buf = [0u8; 16];
        let owned;
        let lower = match buf.get_mut(..ext.len()) {
            Some(b) => {
                b.copy_from_slice(ext.as_bytes());
                b.make_ascii_lowercase();
                // ASCII lowercasing keeps UTF-8 valid.
                std::str::from_utf8(b).unwrap_or(ext)
            }
            None => {
                owned = ext.to_ascii_lowercase();
                &owned
            }
        };
        BUILTIN_ASSET_EXTENSIONS.contains(&lower) || self.meta_extensions.contains_key(lower)
    }

    /// Every reference that resolves to `asset`: (referencing file, index
    /// into its references).
    pub fn references_to(&self, asset: FileId) -> Vec<(FileId, usize)> {
        self.references_where(asset, |r| r.target() == Some(asset))
    }

    /// [`Self::references_to`], and those whose path names `asset` but
    /// whose label it lacks: a rename of the file must carry them along too
    /// (the label is as wrong after it as before, the path still right).
    pub fn references_naming(&self, asset: FileId) -> Vec<(FileId, usize)> {
        self.references_where(asset, |r| match r {
            Resolution::UnknownLabel { target, .. } => *target == asset,
            _ => r.target() == Some(asset),
        })
    }

    fn references_where(&self, asset: FileId, names: impl Fn(&Resolution) -> bool) -> Vec<(FileId, usize)> {
        let Some(f) = self.file(asset) else { return Vec::new() };
        let mut keys = vec![RefKey::path(&f.path)];
        if let Some((_, meta)) = self.meta_of(asset) {
            keys.extend(meta.id.map(|(id, _)| RefKey::Id(id)));
            keys.extend(meta.labels.iter().filter_map(|l| l.id.map(RefKey::Id)));
        }
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        for key in keys {
            for &src in self.referrers().get(&key).map_or(&[][..], OneOrMany::as_slice) {
                if !seen.insert(src) {
                    continue;
                }
                if let Some(file) = self.file(src) {
                    for (i, r) in file.resolved.iter().enumerate() {
                        if names(r) {
                            out.push((src, i));
                        }
                    }
                }
            }
        }
        out.sort_unstable_by(|a, b| self.path(a.0).cmp(self.path(b.0)).then(a.1.cmp(&b.1)));
        out
    }

    /// Where the asset that used to live at `old_path` is now, when that is
    /// certain: see [`Project::move_candidates`].
    pub fn moved_to(&self, old_path: &str) -> Option<FileId> {
        match self.move_candidates(old_path).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Where the asset that used to live at `old_path` may be now, sorted by
    /// path. In a Bevy project (no ids): where it was seen to move (by a
    /// rename, its file name, or its content: several for copies of that
    /// content), while an asset is there. Else only while a `.meta` that left that path with an id has not
    /// come back: then the place the watcher saw it move to, if the asset
    /// there carries that id; else every asset whose `.meta` carries it.
    /// Several when the id is duplicated (a copied `.meta`) and the move was
    /// not seen: the id alone cannot tell which copy is the moved one. The
    /// answer depends only on the id's owners, so re-checking the broken
    /// paths of a departed id when its owners change keeps it current.
    pub fn move_candidates(&self, old_path: &str) -> Vec<FileId> {
        match self.path_moves.get(old_path) {
            Some(PathMove::To(to)) => {
                if let Some(id) = self.file_id(to).filter(|id| self.is_asset(*id)) {
                    return vec![id];
                }
            }
            Some(PathMove::Content(f)) => {
                let found = self.created_with(*f);
                if !found.is_empty() {
                    return found;
                }
            }
            None => {}
        }
        let Some(left) = self.tombstones.get(old_path) else { return Vec::new() };
        if let Some(to) = left.to.as_deref()
            && let Some(seen) = self.file_id(to).filter(|a| self.asset_id(*a) == Some(left.id))
        {
            return vec![seen];
        }
        let mut found: Vec<FileId> = self
            .id_owners(&left.id)
            .iter()
            .filter(|o| o.label.is_none())
            .filter_map(|o| self.asset_of_meta(o.meta))
            .collect();
        found.sort_by(|a, b| self.path(*a).cmp(self.path(*b)));
        found.dedup();
        found
    }

    /// Whether the asset that left `old_path` (a Bevy project's) is now in
    /// several places with its content: copies, any of which may be it.
    pub fn moved_to_copies(&self, old_path: &str) -> bool {
        matches!(self.path_moves.get(old_path), Some(PathMove::Content(_))) && self.move_candidates(old_path).len() > 1
    }

    /// The assets created lately with content `f` that are still there with
    /// it, sorted by path.
    pub(super) fn created_with(&self, f: u64) -> Vec<FileId> {
        let Some(contents) = &self.contents else { return Vec::new() };
        let mut found: Vec<FileId> = contents.created_with(f).iter().copied().filter(|id| self.is_asset(*id)).collect();
        found.sort_by(|a, b| self.path(*a).cmp(self.path(*b)));
        found
    }

    pub(super) fn resolve_all(&mut self) {
        let ids: Vec<FileId> = self.file_ids().collect();
        let resolved = parallel_map(&ids, |id| {
            let r = self.resolutions_of(id);
            let edges = self.file(id).map(|f| blocking_targets(&self.config, &f.loaded.refs, &r)).unwrap_or_default();
            (r, edges)
        });
        for (id, (r, edges)) in ids.into_iter().zip(resolved) {
            if let Some(f) = self.files[id as usize].as_mut() {
                let (old, new) = (count_references(&f.resolved), count_references(&r));
                self.references = self.references + new - old;
                f.resolved = r;
                self.edges[id as usize] = edges;
            }
        }
    }

    pub(super) fn resolve_file(&mut self, id: FileId) {
        let resolved = self.resolutions_of(id);
        if let Some(f) = self.files[id as usize].as_mut() {
            self.edges[id as usize] = blocking_targets(&self.config, &f.loaded.refs, &resolved);
            self.references = self.references + count_references(&resolved) - count_references(&f.resolved);
            f.resolved = resolved;
        }
    }

    fn resolutions_of(&self, id: FileId) -> Vec<Resolution> {
        let Some(file) = self.file(id) else { return Vec::new() };
        let from_root = file.root().map(|r| self.config.roots[r as usize].as_str());
        let mut scratch = resolve::Scratch::default();
        let resolved: Vec<Resolution> = file
            .loaded
            .refs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                // Game code only (data files pay one comparison): consts,
                // embedded files and folders.
                if file.kind == FileKind::Code {
                    if !self.const_in_use(id, i) {
                        return Resolution::NotReference;
                    }
                    if let Some(res) = self.resolve_code_ref(id, i) {
                        return res;
                    }
                }
                let mut t =
                    resolve::target_in(&r.value, r.file_relative, &file.path, from_root, &self.config, &mut scratch);
                // `GltfAssetLabel::Scene(0).from_asset("x.gltf")`: the label
                // is given in code, and replaces any in the literal (as
                // Bevy's `with_label` does).
                if let (TargetRef::Path { label, .. }, Some(l)) =
                    (&mut t, file.loaded.code().and_then(|links| links.label(i)))
                {
                    *label = Some(&l.name);
                }
                self.resolve(r, t)
            })
            .collect();
        resolved
    }

    /// How one reference, pointing at `target`, resolves against the current state.
    pub(crate) fn resolve(&self, r: &RawRef, target: TargetRef<'_>) -> Resolution {
        if self.config.flavor == Flavor::Bevy && resolve::is_template(&r.value) {
            // Filled in at run time (`${name}.png`, `{}.png`).
            return Resolution::NotReference;
        }
        if !r.explicit
            && let TargetRef::Path { .. } | TargetRef::Escapes = target
        {
            match path_extension(&r.value) {
                Some(ext) if self.is_asset_extension(ext) => {}
                _ => return Resolution::NotReference,
            }
        }
        match target {
            TargetRef::Escapes => Resolution::EscapesRoot,
            TargetRef::Id(u) => match self.id_owners(&u).first() {
                Some(owner) => match self.asset_of_meta(owner.meta) {
                    Some(asset) => Resolution::Asset { target: asset, label: owner.label },
                    None => Resolution::UnknownId,
                },
                None => Resolution::UnknownId,
            },
            TargetRef::Path { candidates, label } => {
                if candidates.first().is_some_and(|c| c.starts_with("module://")) {
                    return self.resolve_module(candidates);
                }
                if let Some(embedded) = candidates.first().and_then(|c| c.strip_prefix("embedded://")) {
                    // Compiled into the game: no file of the project to
                    // point at, only the registration to check.
                    return match self.embedded.contains_key(embedded) {
                        true => Resolution::NotReference,
                        false => Resolution::Broken { path: format!("embedded://{embedded}") },
                    };
                }
                let found = candidates.iter().find_map(|c| self.by_path.get(c).filter(|e| e.1).map(|e| e.0));
                let Some(target) = found else {
                    for c in candidates.iter() {
                        let lower = c.to_lowercase();
                        let same = self.by_lower.get(&lower_hash(c)).map_or(&[][..], OneOrMany::as_slice);
                        if let Some(t) = same.iter().copied().find(|t| self.path(*t).to_lowercase() == lower) {
                            return Resolution::CaseMismatch { target: t };
                        }
                    }
                    let path = candidates.first().unwrap_or_default().to_owned();
                    return Resolution::Broken { path };
                };
                match label {
                    None => Resolution::Asset { target, label: None },
                    Some(name) => {
                        let idx = self.meta_of(target).and_then(|(_, m)| m.labels.iter().position(|l| l.name == name));
                        match idx {
                            Some(i) => Resolution::Asset { target, label: Some(i as u32) },
                            None if self.config.flavor == Flavor::Bevy => self.bevy_label(target, name),
                            None => Resolution::UnknownLabel { target, label: name.to_owned() },
                        }
                    }
                }
            }
        }
    }

    /// A naga_oil module import: the file declaring the longest module the
    /// import names. Under a first segment no shader of the project
    /// declares (`bevy_pbr::…`, a dependency's), it is not the project's
    /// to judge.
    fn resolve_module(&self, candidates: resolve::Candidates<'_>) -> Resolution {
        for c in candidates.iter() {
            if let Some(&file) = c.strip_prefix("module://").and_then(|m| self.modules.get(m)).and_then(|f| f.first()) {
                return Resolution::Asset { target: file, label: None };
            }
        }
        let first = candidates.first().unwrap_or_default();
        let root = first.trim_start_matches("module://").split("::").next().unwrap_or_default();
        match self.module_roots.contains_key(root) {
            true => Resolution::Broken { path: first.to_owned() },
            false => Resolution::NotReference,
        }
    }

    /// A label in a Bevy project: the loader makes labels, so only a glTF
    /// file, whose labels Assetry reads, can lack one; on any other file
    /// (a loader Assetry does not know) it is not judged.
    fn bevy_label(&self, target: FileId, name: &str) -> Resolution {
        let labels = self.file(target).and_then(|f| f.loaded.bevy()).and_then(|b| b.gltf.as_ref());
        match labels {
            Some(l) if !l.has(name) => Resolution::UnknownLabel { target, label: name.to_owned() },
            _ => Resolution::Asset { target, label: None },
        }
    }

    /// The labels a glTF file has, read from it (Bevy projects).
    pub fn gltf_labels(&self, asset: FileId) -> Option<&crate::gltf_labels::GltfLabels> {
        self.file(asset)?.loaded.bevy()?.gltf.as_ref()
    }

    pub(super) fn is_asset(&self, id: FileId) -> bool {
        self.links.get(id as usize).is_some_and(|l| l.kind == LinkKind::Asset)
    }
}

/// How many of a file's strings are references (resolved or not).
pub(super) fn count_references(resolved: &[Resolution]) -> usize {
    resolved.iter().filter(|r| **r != Resolution::NotReference).count()
}

/// Targets of the build and load references among `refs`, resolved as `resolved`.
pub(super) fn blocking_targets(config: &Config, refs: &[RawRef], resolved: &[Resolution]) -> Box<[FileId]> {
    refs.iter().zip(resolved).filter(|(r, _)| config.blocks(r.kind)).filter_map(|(_, res)| res.target()).collect()
}
