//! Workspace symbols (assets by file name or id prefix) and the dependency
//! tree of one asset.

use std::collections::HashSet;

use serde::Serialize;
use uuid::Uuid;

use super::all_files;
use super::paths::file_name;
use crate::extract::DepKind;
use crate::project::{FileId, Project};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// The file name.
    pub name: String,
    /// Project-relative path of the asset.
    pub path: String,
    pub id: Option<Uuid>,
}

/// The most symbols one query returns.
const MAX_SYMBOLS: usize = 256;

/// Assets whose file name contains `query` (ignoring case), or whose id
/// starts with it, sorted by path. An empty query lists the first assets.
pub fn workspace_symbols(project: &Project, query: &str) -> Vec<Symbol> {
    let query = query.trim().to_lowercase();
    let id_query = !query.is_empty() && query.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let mut found: Vec<(&str, FileId)> = Vec::new();
    for (path, id) in all_files(project) {
        let Some(f) = project.file(id) else { continue };
        if f.is_asset() && contains_ignoring_case(file_name(path), &query) {
            found.push((path, id));
        } else if id_query
            && let Some(meta) = f.meta()
            && let Some((uuid, _)) = meta.id
            && uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer()).starts_with(&query)
            && let Some(asset) = project.asset_of_meta(id)
        {
            found.push((project.path(asset), asset));
        }
    }
    found.sort_unstable();
    found.dedup();
    found
        .into_iter()
        .take(MAX_SYMBOLS)
        .map(|(path, id)| Symbol { name: file_name(path).to_owned(), path: path.to_owned(), id: project.asset_id(id) })
        .collect()
}

/// Whether `haystack` contains `needle` (already lowercase), ignoring ASCII
/// case, without allocating: this runs once per file of the project.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// One asset in a dependency tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyNode {
    /// Project-relative path.
    pub path: String,
    pub id: Option<Uuid>,
    /// How the parent node depends on this one (dependencies), or how this
    /// one depends on the parent (dependents).
    pub kind: DepKind,
    /// Already shown higher up this branch: its children are left out.
    pub cycle: bool,
    pub children: Vec<DependencyNode>,
}

/// An asset's dependencies and dependents, each as a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyTree {
    pub path: String,
    pub id: Option<Uuid>,
    pub dependencies: Vec<DependencyNode>,
    pub dependents: Vec<DependencyNode>,
    /// Set when the trees were cut at [`MAX_NODES`] nodes.
    pub truncated: bool,
}

/// The most nodes a tree holds, so one request on a hub asset of a huge
/// project stays small.
const MAX_NODES: usize = 2_000;

/// The trees of the asset at `path` (or of the asset whose `.meta` it is).
pub fn dependency_tree(project: &Project, path: &str) -> Option<DependencyTree> {
    let file = project.file_id(path)?;
    let node = project.node_of(file)?;
    let mut budget = MAX_NODES;
    let mut on_branch = HashSet::from([node]);
    let dependencies = expand(project, node, &mut on_branch, &mut budget, &|n| {
        let mut v: Vec<(FileId, DepKind)> =
            project.dependencies(n).into_iter().map(|(_, _, kind, target)| (target, kind)).collect();
        v.sort_unstable();
        v.dedup();
        v
    });
    let deps_budget_left = budget;
    budget = MAX_NODES;
    let mut on_branch = HashSet::from([node]);
    let dependents = expand(project, node, &mut on_branch, &mut budget, &|n| project.dependents(n));
    Some(DependencyTree {
        path: project.path(node).to_owned(),
        id: project.asset_id(node),
        dependencies,
        dependents,
        truncated: deps_budget_left == 0 || budget == 0,
    })
}

fn expand(
    project: &Project,
    node: FileId,
    on_branch: &mut HashSet<FileId>,
    budget: &mut usize,
    next: &dyn Fn(FileId) -> Vec<(FileId, DepKind)>,
) -> Vec<DependencyNode> {
    let mut out = Vec::new();
    let mut edges = next(node);
    edges.sort_by(|a, b| project.path(a.0).cmp(project.path(b.0)).then(a.1.cmp(&b.1)));
    for (child, kind) in edges {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let cycle = on_branch.contains(&child);
        let children = if cycle {
            Vec::new()
        } else {
            on_branch.insert(child);
            let c = expand(project, child, on_branch, budget, next);
            on_branch.remove(&child);
            c
        };
        out.push(DependencyNode {
            path: project.path(child).to_owned(),
            id: project.asset_id(child),
            kind,
            cycle,
            children,
        });
    }
    out
}
