//! Go to definition, find references, hover, document links and inlay hints.

use uuid::Uuid;

use super::{Reference, id_for, label_name, reference_at, references_of, roots_for};
use crate::extract::DepKind;
use crate::project::{FileId, Project, Resolution};
use crate::resolve;
use crate::scan::FileKind;
use crate::text::TextRange;

/// A place to navigate to: a project-relative path and a range in it
/// (empty at 0 for "the file itself").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NavTarget {
    pub path: String,
    pub range: TextRange,
}

/// Where the thing at `offset` in `path` is defined: for a reference, the
/// asset it names (for a `#Label`, the label's entry in the target's
/// `.meta`); for the `id` of a `.meta`, the asset file.
pub fn definition(project: &Project, path: &str, offset: u32) -> Option<NavTarget> {
    let file = project.file_id(path)?;
    if let Some(r) = reference_at(project, file, offset) {
        return match *r.resolution {
            Resolution::Asset { target, label: Some(label) } => {
                let (meta, m) = project.meta_of(target)?;
                let entry = m.labels.get(label as usize)?;
                Some(NavTarget { path: project.path(meta).to_owned(), range: entry.range })
            }
            Resolution::Asset { target, label: None }
            | Resolution::CaseMismatch { target }
            | Resolution::UnknownLabel { target, .. } => {
                Some(NavTarget { path: project.path(target).to_owned(), range: TextRange::EMPTY })
            }
            _ => None,
        };
    }
    let f = project.file(file)?;
    if let FileKind::Code = f.kind {
        // A const's name used as a path: the asset its string names.
        return project.const_strings_at(file, offset).into_iter().find_map(|(src, i, _)| {
            let target = project.file(src)?.resolutions().get(i)?.target()?;
            Some(NavTarget { path: project.path(target).to_owned(), range: TextRange::EMPTY })
        });
    }
    if let FileKind::Meta { .. } = f.kind {
        let meta = f.meta()?;
        let (_, id_range) = meta.id?;
        if id_range.contains_inclusive(offset) {
            let asset = project.asset_of_meta(file)?;
            return Some(NavTarget { path: project.path(asset).to_owned(), range: TextRange::EMPTY });
        }
    }
    None
}

/// Every reference site of the asset at `offset` in `path`: the asset file
/// itself (any position), its `.meta` (on `id`, or anywhere in it), or a
/// reference to it.
pub fn references(project: &Project, path: &str, offset: u32) -> Vec<NavTarget> {
    let Some(file) = project.file_id(path) else { return Vec::new() };
    let Some(f) = project.file(file) else { return Vec::new() };
    let asset = match f.kind {
        FileKind::Asset { .. } => match reference_at(project, file, offset).and_then(|r| r.resolution.target()) {
            Some(target) => Some(target),
            None => Some(file),
        },
        FileKind::Meta { .. } => match reference_at(project, file, offset) {
            Some(r) => r.resolution.target(),
            None => project.asset_of_meta(file),
        },
        FileKind::Code => reference_at(project, file, offset).and_then(|r| r.resolution.target()),
    };
    let Some(asset) = asset else { return Vec::new() };
    project
        .references_to(asset)
        .into_iter()
        .filter_map(|(src, i)| {
            let range = project.file(src)?.refs().get(i)?.range;
            Some(NavTarget { path: project.path(src).to_owned(), range })
        })
        .collect()
}

/// What hovering a reference shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverInfo {
    /// The reference's range in the hovered file.
    pub range: TextRange,
    /// The target asset's project-relative path.
    pub path: String,
    pub label: Option<String>,
    pub id: Option<Uuid>,
    pub loader: Option<String>,
    pub processor: Option<String>,
    /// How the hovered file depends on the target.
    pub kind: DepKind,
    /// Number of distinct assets the target depends on, and that depend on it.
    pub dependencies: usize,
    pub dependents: usize,
}

pub fn hover(project: &Project, path: &str, offset: u32) -> Option<HoverInfo> {
    let file = project.file_id(path)?;
    let Some(r) = reference_at(project, file, offset) else {
        // A const's name used as a path in game code: its string's asset,
        // over the name.
        let (src, i, at) = project.const_strings_at(file, offset).into_iter().find(|(src, i, _)| {
            project.file(*src).and_then(|f| f.resolutions().get(*i)).is_some_and(|r| r.target().is_some())
        })?;
        let r = references_of(project, src).into_iter().find(|r| r.index == i)?;
        return hover_of(project, &r).map(|h| HoverInfo { range: at, ..h });
    };
    hover_of(project, &r)
}

fn hover_of(project: &Project, r: &Reference<'_>) -> Option<HoverInfo> {
    let (target, label) = match *r.resolution {
        Resolution::Asset { target, label } => (target, label),
        _ => return None,
    };
    let meta = project.meta_of(target).map(|(_, m)| m);
    let mut deps: Vec<FileId> = project.dependencies(target).into_iter().map(|(_, _, _, t)| t).collect();
    deps.sort_unstable();
    deps.dedup();
    let mut dependents: Vec<FileId> = project.dependents(target).into_iter().map(|(n, _)| n).collect();
    dependents.sort_unstable();
    dependents.dedup();
    Some(HoverInfo {
        range: r.raw.range,
        path: project.path(target).to_owned(),
        label: label_name(project, target, label),
        id: id_for(project, target, label),
        loader: meta.and_then(|m| m.loader.as_deref().map(str::to_owned)),
        processor: meta.and_then(|m| m.processor.as_deref().map(str::to_owned)),
        kind: r.kind(),
        dependencies: deps.len(),
        dependents: dependents.len(),
    })
}

/// A clickable reference: its range and the asset it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub range: TextRange,
    pub target: String,
}

pub fn document_links(project: &Project, path: &str) -> Vec<Link> {
    let Some(file) = project.file_id(path) else { return Vec::new() };
    references_of(project, file)
        .into_iter()
        .filter_map(|r| {
            let target = r.resolution.target()?;
            Some(Link { range: r.raw.range, target: project.path(target).to_owned() })
        })
        .collect()
}

/// An inlay hint: the path a UUID reference names, shown after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlayHint {
    /// Where to show it: just after the reference's closing quote.
    pub offset: u32,
    pub label: String,
}

pub fn inlay_hints(project: &Project, path: &str) -> Vec<InlayHint> {
    let Some(file) = project.file_id(path) else { return Vec::new() };
    let Some(f) = project.file(file) else { return Vec::new() };
    let roots = roots_for(project, f);
    let text = f.overlay.as_deref();
    references_of(project, file)
        .into_iter()
        .filter(Reference::is_id)
        .filter_map(|r| {
            let Resolution::Asset { target, label } = *r.resolution else { return None };
            let target_path = project.path(target);
            let shown = roots
                .iter()
                .find_map(|root| super::paths::strip_root(target_path, root))
                .unwrap_or_else(|| resolve::root_relative(target_path, &project.config().roots));
            let label = match label_name(project, target, label) {
                Some(l) => format!("{shown}#{l}"),
                None => shown.to_owned(),
            };
            // After the closing quote when the text shows one there.
            let end = r.raw.range.end;
            let after_quote =
                text.and_then(|t| t.as_bytes().get(end as usize)).is_some_and(|b| matches!(b, b'"' | b'\''));
            Some(InlayHint { offset: if after_quote { end + 1 } else { end }, label })
        })
        .collect()
}
