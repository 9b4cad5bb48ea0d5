//! Fixes: path ↔ id conversion, broken-path repair, duplicated ids, missing
//! `.meta` files, and the edits that keep references valid when assets are
//! renamed or moved.

use std::collections::HashMap;

use uuid::Uuid;

use super::paths::{Form, edit_distance, escape, file_name, parent, spell, spell_or_relative, strip_root};
use super::{FileOp, Reference, SourceChange, all_files, id_for, label_name, references_of, roots_for};
use crate::diagnostic::Code;
use crate::extract::Syntax;
use crate::flavor::{Flavor, MetaSyntax};
use crate::meta::META_SUFFIX;
use crate::project::{FileId, Project, Resolution};
use crate::scan::FileKind;
use crate::text::TextRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixKind {
    /// Repairs a problem (a diagnostic's quick fix).
    QuickFix,
    /// Rewrites correct code into another correct form.
    Rewrite,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub kind: FixKind,
    /// The diagnostic this fix repairs, if any.
    pub fixes: Option<Code>,
    /// The fix an editor may apply without asking (one obvious repair).
    pub preferred: bool,
    pub change: SourceChange,
}

/// How many closest existing paths a broken path's repair offers.
const CLOSEST: usize = 3;

/// Every fix that applies at `range` of the file at `path`.
pub fn code_actions(project: &Project, path: &str, range: TextRange) -> Vec<Fix> {
    let Some(file) = project.file_id(path) else { return Vec::new() };
    let mut fixes = Vec::new();
    let refs = references_of(project, file);
    for r in refs.iter().filter(|r| r.raw.range.start <= range.end && range.start <= r.raw.range.end) {
        reference_fixes(project, path, r, &mut fixes);
    }
    // Whole-file conversions, offered wherever the cursor is.
    let to_ids = file_to_ids(project, file);
    if to_ids.edits.values().map(Vec::len).sum::<usize>() > 1 {
        fixes.push(Fix {
            title: "Use ids for every path reference in this file".into(),
            kind: FixKind::Rewrite,
            fixes: None,
            preferred: false,
            change: to_ids,
        });
    }
    let to_paths = file_to_paths(project, file);
    if to_paths.edits.values().map(Vec::len).sum::<usize>() > 1 {
        fixes.push(Fix {
            title: "Use paths for every id reference in this file".into(),
            kind: FixKind::Rewrite,
            fixes: None,
            preferred: false,
            change: to_paths,
        });
    }
    fixes.extend(duplicate_id_fix(project, file));
    fixes.extend(missing_meta_fix(project, path));
    fixes
}

fn reference_fixes(project: &Project, path: &str, r: &Reference<'_>, out: &mut Vec<Fix>) {
    if not_a_plain_path(project, r) {
        return;
    }
    let Some(f) = project.file(r.file) else { return };
    let roots = roots_for(project, f);
    let value = &*r.raw.value;
    let label_typed = value.split_once('#').map(|(_, l)| l);
    let replace = |text: String| {
        let mut change = SourceChange::default();
        change.edit(path, r.raw.range, escape(&text));
        change
    };
    match *r.resolution {
        Resolution::Asset { target, label } if !r.is_id() => {
            if can_use_id(project, r)
                && let Some(id) = id_for(project, target, label)
            {
                out.push(Fix {
                    title: format!("Use the id of `{value}`"),
                    kind: FixKind::Rewrite,
                    fixes: None,
                    preferred: false,
                    change: replace(id.to_string()),
                });
            }
        }
        Resolution::Asset { target, label } => {
            let label = label_name(project, target, label);
            let text = spell_or_relative(
                project.path(target),
                label.as_deref(),
                path,
                &roots,
                Form::RootRelative { leading_slash: false },
            );
            out.push(Fix {
                title: format!("Use the path `{text}`"),
                kind: FixKind::Rewrite,
                fixes: None,
                preferred: false,
                change: replace(text),
            });
        }
        Resolution::Broken { path: ref broken } => {
            let form = Form::of(value, r.raw.file_relative);
            let moved = project.move_candidates(broken);
            if !moved.is_empty() {
                // Several: the id is duplicated and the move was not seen,
                // or its content went to several places; each copy is
                // offered and none is preferred.
                let certain = moved.len() == 1;
                let why = match project.moved_to_copies(broken) {
                    true => "its content is in several places",
                    false => "its id is duplicated",
                };
                for candidate in moved {
                    let text = spell_or_relative(project.path(candidate), label_typed, path, &roots, form);
                    out.push(Fix {
                        title: if certain {
                            format!("`{}` moved: use `{text}`", file_name(broken))
                        } else {
                            format!("`{}` moved, maybe to `{text}` ({why})", file_name(broken))
                        },
                        kind: FixKind::QuickFix,
                        fixes: Some(Code::BrokenPath),
                        preferred: certain,
                        change: replace(text),
                    });
                }
                return;
            }
            let closest = closest_assets(project, broken);
            let only_one = closest.len() == 1;
            for candidate in closest {
                let text = spell_or_relative(project.path(candidate), label_typed, path, &roots, form);
                out.push(Fix {
                    title: format!("Change to `{text}`"),
                    kind: FixKind::QuickFix,
                    fixes: Some(Code::BrokenPath),
                    preferred: only_one,
                    change: replace(text),
                });
            }
        }
        Resolution::CaseMismatch { target } => {
            let text = spell_or_relative(
                project.path(target),
                label_typed,
                path,
                &roots,
                Form::of(value, r.raw.file_relative),
            );
            out.push(Fix {
                title: format!("Change to `{text}`"),
                kind: FixKind::QuickFix,
                fixes: Some(Code::CaseMismatch),
                preferred: true,
                change: replace(text),
            });
        }
        // A label given in code is fixed there, not in the literal.
        Resolution::UnknownLabel { .. } if label_in_code(project, r) => {}
        Resolution::UnknownLabel { target, ref label } => {
            let Some((_, meta)) = project.meta_of(target) else { return };
            let Some((asset_part, _)) = value.split_once('#') else { return };
            let mut names: Vec<(usize, &str)> = meta
                .labels
                .iter()
                .map(|l| (edit_distance(&l.name.to_lowercase(), &label.to_lowercase()), &*l.name))
                .collect();
            names.sort();
            for (_, name) in names.into_iter().take(CLOSEST) {
                let text = format!("{asset_part}#{name}");
                out.push(Fix {
                    title: format!("Change to `{text}`"),
                    kind: FixKind::QuickFix,
                    fixes: Some(Code::UnknownLabel),
                    preferred: false,
                    change: replace(text),
                });
            }
        }
        _ => {}
    }
}

/// A shader module import (`a::b`, `package::a`) or a path in an asset
/// source (`embedded://…`, `remote://…`): spelled in a syntax fixes do not
/// write, so never rewritten as a path.
fn not_a_plain_path(project: &Project, r: &Reference<'_>) -> bool {
    let module = r.raw.value.contains("::")
        && (project.config().flavor == Flavor::Bevy || project.path(r.file).ends_with(".wgsl"));
    module || r.raw.value.contains("://")
}

/// Whether a path reference may be written as an id: not where the project
/// says fixes write no ids (Bevy's preset). glTF `uri` fields are
/// read by every glTF tool as relative URIs and WGSL `#import`s are textual
/// includes, so those keep their paths.
fn can_use_id(project: &Project, r: &Reference<'_>) -> bool {
    // A Bevy project loads by path: an id written there breaks the game.
    if !project.config().fix_writes_ids {
        return false;
    }
    match project.file(r.file).map(|f| f.kind) {
        Some(FileKind::Asset { syntax: Some(Syntax::Gltf | Syntax::Wgsl), .. }) => false,
        // A file embedded by code (`include_bytes!`) is a file name for the
        // compiler, which knows no ids; a path given a label in code
        // (`GltfAssetLabel::Scene(0).from_asset(…)`) must stay a path for
        // the label to go with it.
        Some(FileKind::Code) => !r.raw.file_relative && !label_in_code(project, r),
        _ => true,
    }
}

/// Whether the reference's label is given in code beside its literal.
fn label_in_code(project: &Project, r: &Reference<'_>) -> bool {
    project.file(r.file).and_then(|f| f.loaded.code()).is_some_and(|c| c.label(r.index).is_some())
}

/// Where a broken path's asset most likely is now: where the watcher saw
/// it move, or the one asset whose `.meta` id was seen leaving that path,
/// else the only asset with the same file name (a move done while Assetry
/// was not running); `None` when a duplicated id leaves it open.
pub(crate) fn repair_target(project: &Project, broken: &str) -> Option<FileId> {
    match project.move_candidates(broken).as_slice() {
        [] => {}
        [moved] => return Some(*moved),
        // A duplicated id: repairing would be a guess.
        _ => return None,
    }
    let name = file_name(broken);
    let mut same_name = all_files(project)
        .filter(|(p, id)| file_name(p) == name && project.file(*id).is_some_and(|f| f.is_asset()))
        .map(|(_, id)| id);
    let first = same_name.next()?;
    same_name.next().is_none().then_some(first)
}

/// The existing assets whose paths are closest to `broken`, best first:
/// same file name first, then by how little of the name and folder differ.
fn closest_assets(project: &Project, broken: &str) -> Vec<FileId> {
    let lower = broken.to_lowercase();
    let (name, dir) = (file_name(&lower), parent(&lower));
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, usize, &str, FileId)> = all_files(project)
        .filter(|(p, _)| !p.ends_with(META_SUFFIX))
        .filter(|(p, _)| ext.is_none() || p.rsplit_once('.').map(|(_, e)| e.to_lowercase()).as_deref() == ext)
        .filter(|(_, id)| project.file(*id).is_some_and(|f| f.is_asset()))
        .filter_map(|(p, id)| {
            let pl = p.to_lowercase();
            let name_d = edit_distance(name, file_name(&pl));
            (name_d <= limit).then(|| (name_d, edit_distance(dir, parent(&pl)), p, id))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(CLOSEST).map(|(_, _, _, id)| id).collect()
}

/// Every path reference of `file` that may use an id, converted.
fn file_to_ids(project: &Project, file: FileId) -> SourceChange {
    let mut change = SourceChange::default();
    let path = project.path(file).to_owned();
    for r in references_of(project, file) {
        if r.is_id() || not_a_plain_path(project, &r) || !can_use_id(project, &r) {
            continue;
        }
        if let Resolution::Asset { target, label } = *r.resolution
            && let Some(id) = id_for(project, target, label)
        {
            change.edit(&path, r.raw.range, id.to_string());
        }
    }
    change
}

/// Every id reference of `file` that resolves, written as a path.
fn file_to_paths(project: &Project, file: FileId) -> SourceChange {
    let mut change = SourceChange::default();
    let Some(f) = project.file(file) else { return change };
    let roots = roots_for(project, f);
    let path = project.path(file).to_owned();
    for r in references_of(project, file) {
        if !r.is_id() {
            continue;
        }
        if let Resolution::Asset { target, label } = *r.resolution {
            let label = label_name(project, target, label);
            let text = spell_or_relative(
                project.path(target),
                label.as_deref(),
                &path,
                &roots,
                Form::RootRelative { leading_slash: false },
            );
            change.edit(&path, r.raw.range, escape(&text));
        }
    }
    change
}

/// For a `.meta` whose id another `.meta` also declares: new ids for every
/// copy but the one more references point at (ties: the path that sorts
/// first), so no existing reference changes meaning.
fn duplicate_id_fix(project: &Project, file: FileId) -> Option<Fix> {
    let f = project.file(file)?;
    let (id, _) = f.meta()?.id?;
    let metas = duplicate_metas(project, &id);
    if metas.len() < 2 {
        return None;
    }
    let keeper = keeper_of(project, &metas);
    let mut change = SourceChange::default();
    let mut renewed = Vec::new();
    for &m in metas.iter().filter(|m| **m != keeper) {
        let Some((_, range)) = project.file(m).and_then(|f| f.meta()).and_then(|meta| meta.id) else { continue };
        change.edit(project.path(m), range, Uuid::new_v4().to_string());
        renewed.push(project.path(m).to_owned());
    }
    Some(Fix {
        title: format!("Give {} a new id (`{}` keeps it)", renewed.join(", "), project.path(keeper)),
        kind: FixKind::QuickFix,
        fixes: Some(Code::DuplicateId),
        preferred: true,
        change,
    })
}

/// The `.meta` files that declare `id` for their asset (labels aside).
fn duplicate_metas(project: &Project, id: &Uuid) -> Vec<FileId> {
    let mut metas: Vec<FileId> = project.id_owners(id).iter().filter(|o| o.label.is_none()).map(|o| o.meta).collect();
    metas.sort_unstable_by(|a, b| project.path(*a).cmp(project.path(*b)));
    metas.dedup();
    metas
}

/// Of several `.meta`s sharing an id, the one whose asset more references
/// point at; ties go to the path that sorts first (`metas` is sorted).
fn keeper_of(project: &Project, metas: &[FileId]) -> FileId {
    let mut best = (0usize, metas[0]);
    for &m in metas {
        let count = project.asset_of_meta(m).map_or(0, |a| project.references_to(a).len());
        if count > best.0 {
            best = (count, m);
        }
    }
    best.1
}

fn missing_meta_fix(project: &Project, path: &str) -> Option<Fix> {
    // The new file is an Assetry `.meta` (TOML with an id): never where
    // `.meta` files are read as something else (Bevy's RON).
    if project.config().meta_syntax != MetaSyntax::Toml
        || !project.diagnostics_of(path).iter().any(|d| d.code == Code::MissingMeta)
    {
        return None;
    }
    let meta_path = format!("{path}{META_SUFFIX}");
    let mut change = SourceChange::default();
    change.file_ops.push(FileOp::Create { path: meta_path.clone(), text: new_meta_text() });
    Some(Fix {
        title: format!("Create `{}`", file_name(&meta_path)),
        kind: FixKind::QuickFix,
        fixes: Some(Code::MissingMeta),
        preferred: true,
        change,
    })
}

/// A fresh `.meta`: a new id, everything else at its default.
pub fn new_meta_text() -> String {
    format!("id = \"{}\"\n", Uuid::new_v4())
}

/// What `assetry fix` does to a whole project.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProjectFixes {
    /// Turn every path reference that may use an id into its id.
    pub to_ids: bool,
    /// Point broken paths at where their asset moved.
    pub repair: bool,
}

/// The edits of `assetry fix` over the whole project.
pub fn fix_project(project: &Project, what: ProjectFixes) -> SourceChange {
    let mut change = SourceChange::default();
    for (path, file) in all_files(project) {
        if what.repair {
            let Some(f) = project.file(file) else { continue };
            let roots = roots_for(project, f);
            for r in references_of(project, file) {
                if let Resolution::Broken { path: ref broken } = *r.resolution
                    && !not_a_plain_path(project, &r)
                    && let Some(target) = repair_target(project, broken)
                {
                    let label = r.raw.value.split_once('#').map(|(_, l)| l);
                    let text = spell_or_relative(
                        project.path(target),
                        label,
                        path,
                        &roots,
                        Form::of(&r.raw.value, r.raw.file_relative),
                    );
                    change.edit(path, r.raw.range, escape(&text));
                }
            }
        }
        if what.to_ids {
            for (p, edits) in file_to_ids(project, file).edits {
                for e in edits {
                    change.edit(&p, e.range, e.new_text);
                }
            }
        }
    }
    change
}

/// The edits that keep every reference valid when the files or folders
/// `renames` (project-relative `(from, to)`) move, and that move each
/// renamed asset's `.meta` along. Edits are against the texts before the
/// move; the `.meta` moves are [`FileOp::Rename`]s.
pub fn rename(project: &Project, renames: &[(String, String)]) -> SourceChange {
    let mut change = SourceChange::default();
    let mut moves: HashMap<FileId, String> = HashMap::new();
    for (from, to) in renames {
        if from == to {
            continue;
        }
        if let Some(id) = project.file_id(from) {
            moves.insert(id, to.clone());
            let (meta_from, meta_to) = (format!("{from}{META_SUFFIX}"), format!("{to}{META_SUFFIX}"));
            let renamed_too = renames.iter().any(|(f, _)| *f == meta_from);
            if !renamed_too && let Some(meta) = project.file_id(&meta_from) {
                moves.insert(meta, meta_to.clone());
                change.file_ops.push(FileOp::Rename { from: meta_from, to: meta_to });
            }
        } else {
            let prefix = format!("{from}/");
            for (p, id) in project.files_with_prefix(&prefix) {
                moves.insert(id, format!("{to}/{}", &p[prefix.len()..]));
            }
        }
    }
    let new_path = |id: FileId| moves.get(&id).cloned().unwrap_or_else(|| project.path(id).to_owned());
    let roots_at = |new: &str, id: FileId| -> Vec<String> {
        match project.file(id).map(|f| f.kind) {
            Some(FileKind::Code) | None => project.config().roots.clone(),
            Some(_) => match project.classifier().root_of(new) {
                Some(root) => project.config().roots.get(root as usize).cloned().into_iter().collect(),
                None => project
                    .file(id)
                    .map(|f| roots_for(project, f).iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default(),
            },
        }
    };
    let mut rewrite = |src: FileId, r: &Reference<'_>, target: FileId| {
        if r.is_id() || not_a_plain_path(project, r) {
            return;
        }
        let src_new = new_path(src);
        let roots = roots_at(&src_new, src);
        let roots: Vec<&str> = roots.iter().map(String::as_str).collect();
        let value = &*r.raw.value;
        let label = value.split_once('#').map(|(_, l)| l);
        let form = Form::of(value, r.raw.file_relative);
        let text = spell(&new_path(target), label, &src_new, &roots, form)
            .unwrap_or_else(|| spell_or_relative(&new_path(target), label, &src_new, &roots, form));
        if text != value {
            change.edit(project.path(src), r.raw.range, escape(&text));
        }
    };
    // References to a moved file, from anywhere.
    let mut moved: Vec<FileId> = moves.keys().copied().collect();
    moved.sort_unstable();
    for &target in &moved {
        for (src, i) in project.references_naming(target) {
            if let Some(r) = references_of(project, src).into_iter().find(|r| r.index == i) {
                rewrite(src, &r, target);
            }
        }
    }
    // References from a moved file whose spelling depends on its place.
    for &src in &moved {
        for r in references_of(project, src) {
            let target = match *r.resolution {
                Resolution::UnknownLabel { target, .. } => Some(target),
                ref res => res.target(),
            };
            if let Some(target) = target {
                rewrite(src, &r, target);
            }
        }
    }
    folder_loads_follow(project, renames, &mut change);
    change
}

/// `load_folder("textures/rpg")` in game code follows its folder, or a
/// parent of it, to where it is renamed (a folder has no file that
/// `references_to` could find).
fn folder_loads_follow(project: &Project, renames: &[(String, String)], change: &mut SourceChange) {
    let folders: Vec<&(String, String)> =
        renames.iter().filter(|(from, to)| from != to && project.file_id(from).is_none()).collect();
    if folders.is_empty() {
        return;
    }
    for (path, id) in all_files(project) {
        let Some(f) = project.file(id) else { continue };
        let Some(links) = f.loaded.code() else { continue };
        for &i in &links.folders {
            let Some(r) = f.refs().get(i as usize) else { continue };
            let value = r.value.trim_matches('/');
            for root in &project.config().roots {
                let full = if root.is_empty() { value.to_owned() } else { format!("{root}/{value}") };
                let under =
                    |from: &str| full == from || full.strip_prefix(from).is_some_and(|rest| rest.starts_with('/'));
                let Some((from, to)) = folders.iter().find(|(from, _)| under(from)) else { continue };
                let moved = format!("{to}{}", &full[from.len()..]);
                if let Some(new) = strip_root(&moved, root) {
                    change.edit(path, r.range, escape(new));
                }
                break;
            }
        }
    }
}
