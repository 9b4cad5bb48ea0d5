//! Dependency cycles: strongly connected components over build and load
//! edges (Tarjan, iterative so a deep chain cannot overflow the stack),
//! kept up to date incrementally: a change re-examines only the components
//! of the nodes whose edges changed and what those nodes reach.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::project::FileId;

#[derive(Debug, Default)]
pub struct Cycles {
    component: HashMap<FileId, u32>,
    members: HashMap<u32, Vec<FileId>>,
    next: u32,
}

impl Cycles {
    /// All cycles of the graph given by `edges` (which appends a node's
    /// out-edges to a buffer: the walk allocates nothing per node).
    pub fn compute(nodes: &[FileId], edges: impl Fn(FileId, &mut Vec<FileId>)) -> Cycles {
        let mut cycles = Cycles::default();
        let len = nodes.iter().max().map_or(0, |m| *m as usize + 1);
        let mut t = Tarjan::new(&edges, DenseMarks { index: vec![UNVISITED; len], on_stack: vec![false; len] });
        for &n in nodes {
            t.run(n);
        }
        for comp in t.found {
            cycles.add(comp);
        }
        cycles
    }

    /// Every node on a cycle.
    pub fn nodes(&self) -> impl Iterator<Item = FileId> + '_ {
        self.component.keys().copied()
    }

    /// The component of `node` if it lies on a cycle.
    pub fn component_of(&self, node: FileId) -> Option<&[FileId]> {
        let c = self.component.get(&node)?;
        self.members.get(c).map(Vec::as_slice)
    }

    /// Updates after nodes' out-edges changed from `old` to `new` (a node
    /// added or removed has no old or no new edges). Returns every node
    /// whose cycle membership may have changed.
    ///
    /// Only two things can change the cycles: an edge removed from (or any
    /// change to) a node already on a cycle, which re-examines that cycle,
    /// and an added edge whose target reaches back to its source. The
    /// second is a search from the added targets that stops at the source;
    /// removing edges from a node on no cycle changes nothing, so the common
    /// edit costs no graph search at all.
    pub fn update(
        &mut self,
        changed: &[(FileId, Vec<FileId>, Vec<FileId>)],
        edges: impl Fn(FileId, &mut Vec<FileId>),
    ) -> Vec<FileId> {
        let mut affected: HashSet<FileId> = HashSet::default();
        for (n, old, new) in changed {
            if let Some(c) = self.component.get(n).copied() {
                affected.extend(self.remove(c));
                affected.insert(*n);
                continue;
            }
            let added: Vec<FileId> = new.iter().copied().filter(|t| !old.contains(t)).collect();
            if !added.is_empty() && reaches(&added, *n, &edges) {
                affected.insert(*n);
            }
        }
        if affected.is_empty() {
            return Vec::new();
        }
        // A few nodes: marks in hash maps, not arrays the size of the project.
        let mut t = Tarjan::new(&edges, SparseMarks::default());
        for &n in &affected {
            t.run(n);
        }
        let mut touched: HashSet<FileId> = affected.clone();
        for comp in t.found {
            if !comp.iter().any(|n| affected.contains(n)) {
                // An untouched cycle the search passed through: unchanged.
                continue;
            }
            // A new cycle may swallow an existing one.
            let old: HashSet<u32> = comp.iter().filter_map(|n| self.component.get(n).copied()).collect();
            for c in old {
                touched.extend(self.remove(c));
            }
            touched.extend(comp.iter().copied());
            self.add(comp);
        }
        touched.into_iter().collect()
    }

    fn add(&mut self, comp: Vec<FileId>) {
        let c = self.next;
        self.next += 1;
        for &n in &comp {
            self.component.insert(n, c);
        }
        self.members.insert(c, comp);
    }

    fn remove(&mut self, c: u32) -> Vec<FileId> {
        let members = self.members.remove(&c).unwrap_or_default();
        for n in &members {
            self.component.remove(n);
        }
        members
    }
}

/// Whether `goal` is reachable from any of `from` (iterative DFS).
fn reaches(from: &[FileId], goal: FileId, edges: &impl Fn(FileId, &mut Vec<FileId>)) -> bool {
    let mut seen: HashSet<FileId> = HashSet::default();
    let mut stack: Vec<FileId> = from.to_vec();
    while let Some(n) = stack.pop() {
        if n == goal {
            return true;
        }
        if seen.insert(n) {
            edges(n, &mut stack);
        }
    }
    false
}

const UNVISITED: (u32, u32) = (u32::MAX, u32::MAX);

/// Tarjan's per-node state: (index, lowlink) and whether it is on the stack.
trait Marks {
    fn get(&self, n: FileId) -> Option<(u32, u32)>;
    fn set(&mut self, n: FileId, marks: (u32, u32));
    fn on_stack(&self, n: FileId) -> bool;
    fn set_on_stack(&mut self, n: FileId, on: bool);
}

/// For the whole graph: arrays indexed by node.
struct DenseMarks {
    index: Vec<(u32, u32)>,
    on_stack: Vec<bool>,
}

impl Marks for DenseMarks {
    fn get(&self, n: FileId) -> Option<(u32, u32)> {
        self.index.get(n as usize).copied().filter(|m| *m != UNVISITED)
    }

    fn set(&mut self, n: FileId, marks: (u32, u32)) {
        let i = n as usize;
        if i >= self.index.len() {
            self.index.resize(i + 1, UNVISITED);
            self.on_stack.resize(i + 1, false);
        }
        self.index[i] = marks;
    }

    fn on_stack(&self, n: FileId) -> bool {
        self.on_stack.get(n as usize).copied().unwrap_or(false)
    }

    fn set_on_stack(&mut self, n: FileId, on: bool) {
        // `set` ran first for every node pushed.
        if let Some(slot) = self.on_stack.get_mut(n as usize) {
            *slot = on;
        }
    }
}

#[derive(Default)]
struct SparseMarks {
    index: HashMap<FileId, (u32, u32)>,
    on_stack: HashSet<FileId>,
}

impl Marks for SparseMarks {
    fn get(&self, n: FileId) -> Option<(u32, u32)> {
        self.index.get(&n).copied()
    }

    fn set(&mut self, n: FileId, marks: (u32, u32)) {
        self.index.insert(n, marks);
    }

    fn on_stack(&self, n: FileId) -> bool {
        self.on_stack.contains(&n)
    }

    fn set_on_stack(&mut self, n: FileId, on: bool) {
        if on {
            self.on_stack.insert(n);
        } else {
            self.on_stack.remove(&n);
        }
    }
}

/// A node being visited: its out-edges are `edges[start..end]` of the
/// shared edge buffer, `next` the one to follow next.
struct Frame {
    node: FileId,
    start: usize,
    end: usize,
    next: usize,
}

struct Tarjan<'a, F, M> {
    edges: &'a F,
    marks: M,
    stack: Vec<FileId>,
    /// Out-edges of the frames being visited, stacked.
    edge_buf: Vec<FileId>,
    counter: u32,
    /// Components on a cycle: more than one node, or one with a self-edge.
    found: Vec<Vec<FileId>>,
}

impl<'a, F: Fn(FileId, &mut Vec<FileId>), M: Marks> Tarjan<'a, F, M> {
    fn new(edges: &'a F, marks: M) -> Self {
        Tarjan { edges, marks, stack: Vec::new(), edge_buf: Vec::new(), counter: 0, found: Vec::new() }
    }

    fn visit(&mut self, node: FileId, calls: &mut Vec<Frame>) {
        self.marks.set(node, (self.counter, self.counter));
        self.counter += 1;
        self.stack.push(node);
        self.marks.set_on_stack(node, true);
        let start = self.edge_buf.len();
        (self.edges)(node, &mut self.edge_buf);
        calls.push(Frame { node, start, end: self.edge_buf.len(), next: start });
    }

    fn run(&mut self, root: FileId) {
        if self.marks.get(root).is_some() {
            return;
        }
        let mut calls = Vec::new();
        self.visit(root, &mut calls);
        while let Some(top) = calls.last_mut() {
            let v = top.node;
            if top.next < top.end {
                let w = self.edge_buf[top.next];
                top.next += 1;
                match self.marks.get(w) {
                    None => self.visit(w, &mut calls),
                    Some((wi, _)) if self.marks.on_stack(w) => {
                        if let Some((vi, vl)) = self.marks.get(v) {
                            self.marks.set(v, (vi, vl.min(wi)));
                        }
                    }
                    Some(_) => {}
                }
                continue;
            }
            let Some(frame) = calls.pop() else { break };
            let Some((vi, vl)) = self.marks.get(v) else { continue };
            if let Some(parent) = calls.last()
                && let Some((pi, pl)) = self.marks.get(parent.node)
            {
                self.marks.set(parent.node, (pi, pl.min(vl)));
            }
            let self_edge = self.edge_buf[frame.start..frame.end].contains(&v);
            self.edge_buf.truncate(frame.start);
            if vi == vl {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.marks.set_on_stack(w, false);
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 || self_edge {
                    comp.sort_unstable();
                    self.found.push(comp);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(u32, u32)]) -> impl Fn(FileId, &mut Vec<FileId>) + '_ {
        move |n, out| out.extend(edges.iter().filter(|(a, _)| *a == n).map(|(_, b)| *b))
    }

    #[test]
    fn finds_cycles_and_self_loops() {
        let e = [(0, 1), (1, 2), (2, 0), (3, 3), (4, 0), (5, 6)];
        let c = Cycles::compute(&[0, 1, 2, 3, 4, 5, 6], graph(&e));
        assert_eq!(c.component_of(1), Some(&[0, 1, 2][..]));
        assert_eq!(c.component_of(3), Some(&[3][..]));
        assert_eq!(c.component_of(4), None);
        assert_eq!(c.component_of(5), None);
    }

    #[test]
    fn incremental_matches_full() {
        let before = [(0, 1), (1, 2), (5, 6)];
        let mut c = Cycles::compute(&[0, 1, 2, 5, 6], graph(&before));
        assert_eq!(c.component_of(0), None);
        // 2 -> 0 closes a cycle.
        let after = [(0, 1), (1, 2), (2, 0), (5, 6)];
        let touched = c.update(&[(2, vec![], vec![0])], graph(&after));
        assert_eq!(c.component_of(0), Some(&[0, 1, 2][..]));
        assert!(touched.contains(&0) && touched.contains(&1));
        // An edge that closes nothing touches nothing.
        assert!(c.update(&[(5, vec![6], vec![6, 1])], graph(&after)).is_empty());
        // Removing the edge breaks it.
        let touched = c.update(&[(2, vec![0], vec![])], graph(&before));
        assert_eq!(c.component_of(1), None);
        assert!(touched.contains(&1));
    }

    #[test]
    fn deep_chain_does_not_overflow() {
        let n = 200_000u32;
        let edges = move |x: FileId, out: &mut Vec<FileId>| out.push(if x + 1 < n { x + 1 } else { 0 });
        let nodes: Vec<u32> = (0..n).collect();
        let c = Cycles::compute(&nodes, edges);
        assert_eq!(c.component_of(7).map(<[u32]>::len), Some(n as usize));
    }
}
