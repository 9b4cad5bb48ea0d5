//! The diagnostics of one file, computed from the current state. This is
//! the only place findings are made, so `assetry check`, the watcher and
//! the language server can never disagree.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::diagnostic::{Code, Diagnostic, Related};
use crate::extract::RawRef;
use crate::project::{FileId, Project, Resolution};
use crate::scan::FileKind;
use crate::text::TextRange;

pub(crate) fn file_diagnostics(p: &Project, id: FileId) -> Vec<Diagnostic> {
    let Some(f) = p.file(id) else { return Vec::new() };
    let path: &str = &f.path;
    let mut out = Vec::new();
    if let Some(why) = f.loaded.unreadable() {
        out.push(Diagnostic::new(Code::UnreadableFile, path, TextRange::EMPTY, why.to_string()));
    }
    if let Some(e) = f.loaded.syntax_error() {
        let message = format!("{}; the references after it were not checked", e.message);
        out.push(Diagnostic::new(Code::InvalidSyntax, path, e.range, message));
    }
    match f.kind {
        FileKind::Meta { .. } => meta_findings(p, id, &mut out),
        FileKind::Asset { .. } => {
            module_findings(p, id, &mut out);
            if p.config().meta_required && !p.has_pair(id) && p.file_id(&format!("{path}.meta")).is_none() {
                let name = path.rsplit('/').next().unwrap_or(path);
                out.push(Diagnostic::new(
                    Code::MissingMeta,
                    path,
                    TextRange::EMPTY,
                    format!("`{name}` has no `.meta`, so it has no stable id; create `{name}.meta` (a quick fix can)"),
                ));
            }
        }
        FileKind::Code => {}
    }
    let cycle = p.node_of(id).and_then(|n| p.cycle_of(n).map(|c| (n, c)));
    for (i, (r, res)) in f.refs().iter().zip(f.resolutions()).enumerate() {
        if let Some(mut d) = reference_finding(p, path, r, res) {
            // A label given in code is wrong where it is written.
            if let (Code::UnknownLabel, Some(l)) = (d.code, f.loaded.code().and_then(|c| c.label(i))) {
                d.range = l.range;
            }
            // A const's string: where the const is used, so the load that
            // fails can be found from the diagnostic.
            let uses = if f.loaded.code().is_some() { p.const_uses(id, i) } else { Vec::new() };
            out.push(if uses.is_empty() { d } else { d.with_related(uses) });
        }
        if let (Some((node, comp)), Some(target)) = (cycle, res.target())
            && p.config().blocks(r.kind)
            && comp.binary_search(&target).is_ok()
        {
            out.push(cycle_finding(p, path, r, node, target, comp));
        }
    }
    if !p.config().severities.is_empty() {
        // `[diagnostics]`: each code at the severity the project chose, or not at all.
        out.retain_mut(|d| match p.config().severity_of(d.code) {
            Some(s) => {
                d.severity = s;
                true
            }
            None => false,
        });
    }
    out.sort_by(|a, b| a.range.cmp(&b.range).then(a.code.cmp(&b.code)));
    out
}

fn meta_findings(p: &Project, id: FileId, out: &mut Vec<Diagnostic>) {
    let Some(f) = p.file(id) else { return };
    let path: &str = &f.path;
    let Some(meta) = f.meta() else { return };
    for problem in &meta.problems {
        out.push(Diagnostic::new(problem.code, path, problem.range, problem.message.clone()));
    }
    let owned = meta
        .id
        .map(|(u, r)| (u, r, None))
        .into_iter()
        .chain(meta.labels.iter().enumerate().filter_map(|(i, l)| Some((l.id?, l.range, Some(i as u32)))));
    for (u, range, label) in owned {
        let owners = p.id_owners(&u);
        if owners.len() < 2 {
            continue;
        }
        let related: Vec<Related> = owners
            .iter()
            .filter(|o| !(o.meta == id && o.label == label))
            .filter_map(|o| {
                let other = p.file(o.meta)?;
                let m = other.meta()?;
                let range = match o.label {
                    None => m.id?.1,
                    Some(i) => m.labels.get(i as usize)?.range,
                };
                Some(Related { path: other.path.to_string(), range, message: format!("`{u}` is also declared here") })
            })
            .collect();
        let others: Vec<&str> = related.iter().map(|r| r.path.as_str()).collect();
        out.push(
            Diagnostic::new(
                Code::DuplicateId,
                path,
                range,
                format!(
                    "id `{u}` is also declared by {}; every asset needs its own id (was a .meta copied?)",
                    others.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_related(related),
        );
    }
    let asset = path.strip_suffix(".meta").unwrap_or(path);
    // A folder's .meta (Unity writes one per folder) describes the folder.
    if p.asset_of_meta(id).is_none() && !p.is_folder(asset) {
        out.push(Diagnostic::new(
            Code::OrphanMeta,
            path,
            TextRange::EMPTY,
            format!(
                "`{asset}` does not exist: this .meta describes nothing (was the asset moved or deleted without it?)"
            ),
        ));
    }
}

/// A shader module declared by several shaders: which one Bevy uses
/// depends on the order it loads them; imports resolve to the first by path.
fn module_findings(p: &Project, id: FileId, out: &mut Vec<Diagnostic>) {
    let Some(f) = p.file(id) else { return };
    let Some((module, range)) = f.shader_module_at() else { return };
    let declarers = p.module_declarers(module);
    if declarers.len() < 2 {
        return;
    }
    let related: Vec<Related> = declarers
        .iter()
        .filter(|&&d| d != id)
        .filter_map(|&d| {
            let (_, range) = p.file(d)?.shader_module_at()?;
            Some(Related { path: p.path(d).to_owned(), range, message: format!("`{module}` is also declared here") })
        })
        .collect();
    let others: Vec<String> = related.iter().map(|r| format!("`{}`", r.path)).collect();
    let first = p.path(declarers[0]);
    out.push(
        Diagnostic::new(
            Code::DuplicateId,
            &f.path,
            range,
            format!(
                "shader module `{module}` is also declared by {}; imports of it resolve to `{first}` here, \
                 and to whichever Bevy loads last in the game",
                others.join(", ")
            ),
        )
        .with_related(related),
    );
}

fn reference_finding(p: &Project, path: &str, r: &RawRef, res: &Resolution) -> Option<Diagnostic> {
    let v = &r.value;
    let (code, message) = match res {
        Resolution::NotReference => return None,
        Resolution::Asset { target, label } => {
            if p.config().prefer_id && label.is_none() && !crate::extract::is_uuid(v) && p.asset_id(*target).is_some() {
                (Code::PreferId, format!("`{v}` could be referenced by its id, which survives renames and moves"))
            } else {
                return None;
            }
        }
        Resolution::Broken { path: looked } => {
            let moved = p.move_candidates(looked);
            match moved.as_slice() {
                [] if looked.starts_with("embedded://") => (
                    Code::BrokenPath,
                    format!("`{v}` is not embedded: no `embedded_asset!` call in the code registers `{looked}`"),
                ),
                [] if looked.starts_with("module://") => (
                    Code::BrokenPath,
                    format!(
                        "no shader in the project declares `#define_import_path {}` (nor a module `{v}` is inside)",
                        &looked["module://".len()..]
                    ),
                ),
                [] => (Code::BrokenPath, format!("`{v}` does not exist (no asset at `{looked}`)")),
                [new] => (Code::BrokenPath, format!("`{v}` does not exist: the asset moved to `{}`", p.path(*new))),
                // A duplicated id, or copies of the content: naming one copy
                // would be a guess.
                several => {
                    let places: Vec<String> = several.iter().map(|c| format!("`{}`", p.path(*c))).collect();
                    let holder = match p.moved_to_copies(looked) {
                        true => "its content is now in {} (copies)",
                        false => "its id is now in {} (a copied .meta)",
                    };
                    (
                        Code::BrokenPath,
                        format!(
                            "`{v}` does not exist: the asset moved, and {}; which one is it?",
                            holder.replace("{}", &places.join(" and "))
                        ),
                    )
                }
            }
        }
        Resolution::CaseMismatch { target } => (
            Code::CaseMismatch,
            format!(
                "`{v}` matches `{}` only if case is ignored: it works on Windows and macOS but breaks on Linux",
                p.path(*target)
            ),
        ),
        Resolution::UnknownId => (Code::UnknownId, format!("no asset has the id `{v}`")),
        Resolution::UnknownLabel { target, label } => {
            // Labels are declared in the `.meta`: say so when there is none
            // rather than blame a file that does not exist.
            let names: Option<Vec<String>> =
                p.meta_of(*target).map(|(_, m)| m.labels.iter().map(|l| format!("`{}`", l.name)).collect());
            if let Some(labels) = p.gltf_labels(*target) {
                let has = labels.examples();
                let has = if has.is_empty() { "none".to_owned() } else { has.join(", ") };
                return Some(Diagnostic::new(
                    Code::UnknownLabel,
                    path,
                    r.range,
                    format!("`{}` has no label `{label}`: Bevy's glTF loader gives it {has}", p.path(*target)),
                ));
            }
            let known = match names {
                None if !p.has_pair(*target) => {
                    format!("it has no .meta, where labels are declared (create `{}.meta`)", p.path(*target))
                }
                None => "its .meta could not be read".to_owned(),
                Some(names) if names.is_empty() => "its .meta declares no labels".to_owned(),
                Some(names) => format!("its labels are {}", names.join(", ")),
            };
            (Code::UnknownLabel, format!("`{}` has no label `{label}`: {known}", p.path(*target)))
        }
        Resolution::EscapesRoot => {
            (Code::PathEscapesRoot, format!("`{v}` leaves the asset roots; references must stay inside them"))
        }
    };
    Some(Diagnostic::new(code, path, r.range, message))
}

/// A cycle through the edge `node → target`: the shortest way back from
/// `target` to `node` inside their component, listed whole in the message,
/// with the next hop as related information.
fn cycle_finding(p: &Project, path: &str, r: &RawRef, node: FileId, target: FileId, comp: &[FileId]) -> Diagnostic {
    let back = shortest_path(p, target, node, comp);
    let mut hops = vec![node];
    hops.extend(back);
    let names: Vec<&str> = hops.iter().map(|n| p.path(*n)).collect();
    let mut related = Vec::new();
    if hops.len() >= 3 {
        // The reference that continues the cycle from `target`.
        let next = hops[2];
        if let Some((src, i)) = reference_between(p, target, next)
            && let Some(file) = p.file(src)
            && let Some(r) = file.refs().get(i)
        {
            related.push(Related {
                path: file.path.to_string(),
                range: r.range,
                message: format!("`{}` continues the cycle to `{}`", p.path(target), p.path(next)),
            });
        }
    }
    Diagnostic::new(
        Code::Cycle,
        path,
        r.range,
        format!("dependency cycle: {} (processing or loading could never finish)", names.join(" → ")),
    )
    .with_related(related)
}

/// Nodes from `from` to `to` (both included) along build/load edges within `comp`.
fn shortest_path(p: &Project, from: FileId, to: FileId, comp: &[FileId]) -> Vec<FileId> {
    let inside: HashSet<FileId> = comp.iter().copied().collect();
    let mut prev: HashMap<FileId, FileId> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = HashSet::from([from]);
    while let Some(n) = queue.pop_front() {
        if n == to {
            break;
        }
        for w in p.out_edges(n) {
            if inside.contains(&w) && seen.insert(w) {
                prev.insert(w, n);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![to];
    let mut cur = to;
    while cur != from {
        match prev.get(&cur) {
            Some(&q) => {
                path.push(q);
                cur = q;
            }
            None => break,
        }
    }
    path.reverse();
    path
}

fn reference_between(p: &Project, from: FileId, to: FileId) -> Option<(FileId, usize)> {
    p.dependencies(from)
        .into_iter()
        .find(|(_, _, kind, t)| *t == to && p.config().blocks(*kind))
        .map(|(src, i, _, _)| (src, i))
}
