//! The dependency graph as data for tools: JSON and Graphviz dot, whole or
//! the part reachable from one asset.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write;

use serde::Serialize;

use crate::extract::DepKind;
use crate::project::{FileId, Project};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct GraphExport {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct GraphNode {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    pub kind: DepKind,
}

/// The graph of every asset, or of those reachable from `from` (over every
/// edge kind, weak included: it is what loading `from` can pull in).
pub fn export(p: &Project, from: Option<FileId>) -> GraphExport {
    let nodes: BTreeSet<FileId> = match from {
        Some(start) => {
            let mut seen = BTreeSet::from([start]);
            let mut queue = VecDeque::from([start]);
            while let Some(n) = queue.pop_front() {
                for (_, _, _, t) in p.dependencies(n) {
                    if seen.insert(t) {
                        queue.push_back(t);
                    }
                }
            }
            seen
        }
        None => p.files_by_path().map(|(_, id)| id).filter(|id| p.file(*id).is_some_and(|f| f.is_asset())).collect(),
    };
    let mut edges = BTreeSet::new();
    for &n in &nodes {
        for (_, _, kind, t) in p.dependencies(n) {
            edges.insert(GraphEdge { from: p.path(n).to_owned(), to: p.path(t).to_owned(), kind });
        }
    }
    let mut nodes: Vec<GraphNode> = nodes
        .into_iter()
        .map(|n| GraphNode { path: p.path(n).to_owned(), id: p.asset_id(n).map(|u| u.to_string()) })
        .collect();
    nodes.sort();
    GraphExport { nodes, edges: edges.into_iter().collect() }
}

impl GraphExport {
    /// Graphviz: build edges bold, weak edges dashed, each labelled with its kind.
    pub fn to_dot(&self) -> String {
        let mut s = String::from("digraph assets {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
        for n in &self.nodes {
            let _ = writeln!(s, "  {};", quote(&n.path));
        }
        for e in &self.edges {
            let style = match e.kind {
                DepKind::Build => "bold",
                DepKind::Load => "solid",
                DepKind::Weak => "dashed",
            };
            let _ = writeln!(s, "  {} -> {} [label={}, style={style}];", quote(&e.from), quote(&e.to), e.kind.as_str());
        }
        s.push_str("}\n");
        s
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
