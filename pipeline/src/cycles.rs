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
    /// All cycles of the graph given by `edges`.
    pub fn compute(nodes: &[FileId], edges: impl Fn(FileId) -> Vec<FileId>) -> Cycles {
        let mut cycles = Cycles::default();
        let mut t = Tarjan::new(&edges);
        for &n in nodes {
            t.run(n);
        }
        for comp in t.found {
            cycles.add(comp);
        }
        cycles
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
        edges: impl Fn(FileId) -> Vec<FileId>,
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
        let mut t = Tarjan::new(&edges);
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
fn reaches(from: &[FileId], goal: FileId, edges: &impl Fn(FileId) -> Vec<FileId>) -> bool {
    let mut seen: HashSet<FileId> = HashSet::default();
    let mut stack: Vec<FileId> = from.to_vec();
    while let Some(n) = stack.pop() {
        if n == goal {
            return true;
        }
        if seen.insert(n) {
            stack.extend(edges(n));
        }
    }
    false
}

struct Frame {
    node: FileId,
    edges: Vec<FileId>,
    next: usize,
}

struct Tarjan<'a, F> {
    edges: &'a F,
    index: HashMap<FileId, (u32, u32)>,
    on_stack: HashSet<FileId>,
    stack: Vec<FileId>,
    counter: u32,
    /// Components on a cycle: more than one node, or one with a self-edge.
    found: Vec<Vec<FileId>>,
}

impl<'a, F: Fn(FileId) -> Vec<FileId>> Tarjan<'a, F> {
    fn new(edges: &'a F) -> Self {
        Tarjan {
            edges,
            index: HashMap::default(),
            on_stack: HashSet::default(),
            stack: Vec::new(),
            counter: 0,
            found: Vec::new(),
        }
    }

    fn visit(&mut self, node: FileId, calls: &mut Vec<Frame>) {
        self.index.insert(node, (self.counter, self.counter));
        self.counter += 1;
        self.stack.push(node);
        self.on_stack.insert(node);
        calls.push(Frame { node, edges: (self.edges)(node), next: 0 });
    }

    fn run(&mut self, root: FileId) {
        if self.index.contains_key(&root) {
            return;
        }
        let mut calls = Vec::new();
        self.visit(root, &mut calls);
        while let Some(top) = calls.last_mut() {
            let v = top.node;
            if top.next < top.edges.len() {
                let w = top.edges[top.next];
                top.next += 1;
                match self.index.get(&w) {
                    None => self.visit(w, &mut calls),
                    Some(&(wi, _)) if self.on_stack.contains(&w) => {
                        let e = self.index.get_mut(&v).expect("visited");
                        e.1 = e.1.min(wi);
                    }
                    Some(_) => {}
                }
                continue;
            }
            let frame = calls.pop().expect("non-empty");
            let (vi, vl) = self.index[&v];
            if let Some(parent) = calls.last() {
                let p = self.index.get_mut(&parent.node).expect("visited");
                p.1 = p.1.min(vl);
            }
            if vi == vl {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(&w);
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 || frame.edges.contains(&v) {
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

    fn graph(edges: &[(u32, u32)]) -> impl Fn(FileId) -> Vec<FileId> + '_ {
        move |n| edges.iter().filter(|(a, _)| *a == n).map(|(_, b)| *b).collect()
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
        let edges = move |x: FileId| if x + 1 < n { vec![x + 1] } else { vec![0] };
        let nodes: Vec<u32> = (0..n).collect();
        let c = Cycles::compute(&nodes, edges);
        assert_eq!(c.component_of(7).map(<[u32]>::len), Some(n as usize));
    }
}
