//! The asset graph: nodes (assets, with their `.meta`'s dependencies),
//! build and load edges from the dense arrays, and cycles.

use super::{FileId, LinkKind, Project};
use crate::extract::DepKind;

impl Project {
    /// Where a file's references go: (index of the reference, its kind, target).
    pub fn dependencies(&self, node: FileId) -> Vec<(FileId, usize, DepKind, FileId)> {
        let mut out = Vec::new();
        for src in self.edge_sources(node) {
            if let Some(f) = self.file(src) {
                for (i, (r, res)) in f.loaded.refs.iter().zip(&f.resolved).enumerate() {
                    if let Some(t) = res.target() {
                        out.push((src, i, r.kind, t));
                    }
                }
            }
        }
        out
    }

    /// Assets that depend on `asset`: (the dependent graph node, kind).
    pub fn dependents(&self, asset: FileId) -> Vec<(FileId, DepKind)> {
        let mut out: Vec<(FileId, DepKind)> = self
            .references_to(asset)
            .into_iter()
            .filter_map(|(src, i)| {
                let kind = self.file(src)?.loaded.refs.get(i)?.kind;
                Some((self.node_of(src)?, kind))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The graph node a file's references belong to: an asset is its own
    /// node, a `.meta`'s `[dependencies]` belong to its asset, game code is
    /// not a node.
    pub fn node_of(&self, id: FileId) -> Option<FileId> {
        match self.links.get(id as usize)?.kind {
            LinkKind::Asset => Some(id),
            LinkKind::Meta => self.asset_of_meta(id),
            LinkKind::Code | LinkKind::Gone => None,
        }
    }

    /// Files whose references are the out-edges of `node`: the asset itself and its `.meta`.
    pub(super) fn edge_sources(&self, node: FileId) -> impl Iterator<Item = FileId> + use<> {
        let meta = self.links.get(node as usize).filter(|l| l.kind == LinkKind::Asset).and_then(|l| l.pair);
        std::iter::once(node).chain(meta)
    }

    pub(super) fn nodes(&self) -> Vec<FileId> {
        self.links.iter().enumerate().filter(|(_, l)| l.kind == LinkKind::Asset).map(|(i, _)| i as FileId).collect()
    }

    /// Build and load edges out of `node` (weak edges never form cycles).
    pub(crate) fn out_edges(&self, node: FileId) -> Vec<FileId> {
        let mut out = Vec::new();
        self.extend_out_edges(node, &mut out);
        out
    }

    /// Appends the build and load edges out of `node` to `out`.
    pub(super) fn extend_out_edges(&self, node: FileId, out: &mut Vec<FileId>) {
        if !self.is_asset(node) {
            return;
        }
        for src in self.edge_sources(node) {
            out.extend_from_slice(self.edges.get(src as usize).map_or(&[][..], |e| e));
        }
    }

    /// The strongly connected component `node` is in, if it is on a cycle.
    pub fn cycle_of(&self, node: FileId) -> Option<&[FileId]> {
        self.cycles.component_of(node)
    }
}
