//! The incremental API against the ground truth of a fresh scan: after any
//! sequence of changes, `apply` must leave exactly the diagnostics that
//! opening the project anew would find, report exactly the files whose
//! diagnostics changed, and parse only the files that changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assetry_pipeline::{Change, ChangeBatch, Code, FileDiagnostics, Position, Project};

const HERO: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
const SKY: &str = "1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12";
const A: &str = "2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13";
const B: &str = "3b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e14";
const SHIP: &str = "4b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e15";

/// Writes a rust-analyzer style fixture (`//- /path` headers) into a temp dir.
fn fixture(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut current: Option<(String, String)> = None;
    let flush = |cur: &mut Option<(String, String)>| {
        if let Some((p, body)) = cur.take() {
            let path = root.join(p.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    };
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("//- ") {
            flush(&mut current);
            current = Some((p.trim().to_owned(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&mut current);
    (dir, root)
}

fn base() -> String {
    format!(
        r#"
//- /assets/textures/hero.png
PNG
//- /assets/textures/hero.png.meta
id = "{HERO}"
//- /assets/textures/sky.png
PNG
//- /assets/textures/sky.png.meta
id = "{SKY}"
//- /assets/models/ship.gltf
{{"images": [{{"uri": "../textures/sky.png"}}]}}
//- /assets/models/ship.gltf.meta
id = "{SHIP}"
[[labels]]
name = "Mesh0"
//- /assets/scenes/a.scene.json
{{"sky": "textures/sky.png", "hero": "{HERO}", "ship": "models/ship.gltf#Mesh0"}}
//- /assets/scenes/a.scene.json.meta
id = "{A}"
//- /assets/scenes/b.scene.json
{{"sub": "scenes/a.scene.json"}}
//- /assets/scenes/b.scene.json.meta
id = "{B}"
//- /src/main.rs
fn main() {{ server.load("textures/hero.png"); }}
"#
    )
}

fn snapshot(p: &Project) -> BTreeMap<String, Vec<(Code, u32, u32)>> {
    p.all_diagnostics()
        .into_iter()
        .map(|f| (f.path, f.diagnostics.iter().map(|d| (d.code, d.range.start, d.range.end)).collect()))
        .collect()
}

/// Full diagnostics including messages (which may mention history, such as
/// where a moved asset went, that a fresh scan cannot know).
fn full(p: &Project) -> BTreeMap<String, Vec<assetry_pipeline::Diagnostic>> {
    p.all_diagnostics().into_iter().map(|f| (f.path, f.diagnostics)).collect()
}

/// Applies `batch` and checks the result against a fresh scan of the disk.
fn apply_and_verify(p: &mut Project, batch: Vec<Change>) -> Vec<FileDiagnostics> {
    let before = full(p);
    let delta = p.apply(ChangeBatch::from(batch));
    let fresh = Project::open(p.root()).unwrap();
    assert_eq!(snapshot(p), snapshot(&fresh), "incremental state differs from a fresh scan");
    assert_eq!(
        (p.asset_count(), p.reference_count()),
        (fresh.asset_count(), fresh.reference_count()),
        "counts differ from a fresh scan"
    );
    let names = |p: &Project, dir: &str| {
        let l = p.list_dir(dir);
        let files: Vec<String> = l.files.iter().map(|(n, _)| n.to_string()).collect();
        (l.dirs.iter().map(|d| d.to_string()).collect::<Vec<_>>(), files)
    };
    for dir in ["", "assets", "assets/textures", "assets/scenes", "assets/env", "src"] {
        assert_eq!(names(p, dir), names(&fresh, dir), "folder listing of `{dir}`");
    }
    // The delta names exactly the files whose diagnostics changed.
    let after = full(p);
    let mut changed: Vec<String> =
        before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).cloned().collect();
    changed.sort();
    changed.dedup();
    let reported: Vec<String> = delta.iter().map(|f| f.path.clone()).collect();
    assert_eq!(reported, changed, "delta must list exactly the changed files");
    for f in &delta {
        assert_eq!(Some(&f.diagnostics), after.get(&f.path).or(Some(&Vec::new())), "delta content of {}", f.path);
    }
    delta
}

fn write(root: &Path, rel: &str, text: &str) -> Change {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    Change::Disk(p)
}

fn remove(root: &Path, rel: &str) -> Change {
    let p = root.join(rel);
    if p.is_dir() {
        std::fs::remove_dir_all(&p).unwrap();
    } else {
        std::fs::remove_file(&p).unwrap();
    }
    Change::Removed(p)
}

#[test]
fn base_fixture_is_clean() {
    let (_d, root) = fixture(&base());
    let p = Project::open(&root).unwrap();
    assert_eq!(snapshot(&p), BTreeMap::new());
    assert_eq!(p.reference_count(), 6);
}

#[test]
fn one_file_edit_parses_one_file() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    let parsed = p.files_parsed();
    let delta = apply_and_verify(
        &mut p,
        vec![write(&root, "assets/scenes/b.scene.json", r#"{"sub": "scenes/nope.scene.json"}"#)],
    );
    assert_eq!(p.files_parsed(), parsed + 1);
    assert_eq!(delta.len(), 1);
    assert_eq!(delta[0].path, "assets/scenes/b.scene.json");
    assert_eq!(delta[0].diagnostics[0].code, Code::BrokenPath);
    // Fixing it clears the file.
    let delta =
        apply_and_verify(&mut p, vec![write(&root, "assets/scenes/b.scene.json", r#"{"sub": "scenes/a.scene.json"}"#)]);
    assert_eq!(delta, vec![FileDiagnostics { path: "assets/scenes/b.scene.json".into(), diagnostics: vec![] }]);
}

#[test]
fn removing_and_restoring_a_target() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    let delta = apply_and_verify(&mut p, vec![remove(&root, "assets/textures/sky.png")]);
    let paths: Vec<&str> = delta.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["assets/models/ship.gltf", "assets/scenes/a.scene.json", "assets/textures/sky.png.meta"]);
    apply_and_verify(&mut p, vec![write(&root, "assets/textures/sky.png", "PNG")]);
    assert!(p.all_diagnostics().is_empty());
}

#[test]
fn meta_changes_reach_id_and_label_references() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    let new_id = "9b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e19";
    apply_and_verify(&mut p, vec![write(&root, "assets/textures/hero.png.meta", &format!("id = \"{new_id}\"\n"))]);
    assert_eq!(p.diagnostics_of("assets/scenes/a.scene.json")[0].code, Code::UnknownId);
    apply_and_verify(&mut p, vec![write(&root, "assets/models/ship.gltf.meta", &format!("id = \"{SHIP}\"\n"))]);
    let codes: Vec<Code> = p.diagnostics_of("assets/scenes/a.scene.json").iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::UnknownId, Code::UnknownLabel]);
}

#[test]
fn cycles_appear_and_disappear() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    let a = format!(r#"{{"sky": "textures/sky.png", "hero": "{HERO}", "back": "{B}"}}"#);
    apply_and_verify(&mut p, vec![write(&root, "assets/scenes/a.scene.json", &a)]);
    let da = p.diagnostics_of("assets/scenes/a.scene.json");
    let db = p.diagnostics_of("assets/scenes/b.scene.json");
    assert_eq!((da.len(), db.len()), (1, 1));
    assert_eq!(da[0].code, Code::Cycle);
    assert!(
        da[0].message.contains("assets/scenes/a.scene.json → assets/scenes/b.scene.json → assets/scenes/a.scene.json")
    );
    assert_eq!(da[0].related[0].path, "assets/scenes/b.scene.json");
    // A weak dependency never forms a cycle.
    apply_and_verify(&mut p, vec![write(&root, "assets/scenes/a.scene.json", "{}")]);
    apply_and_verify(
        &mut p,
        vec![write(
            &root,
            "assets/scenes/a.scene.json.meta",
            &format!("id = \"{A}\"\n[dependencies]\nweak = [\"scenes/b.scene.json\"]\n"),
        )],
    );
    assert!(p.all_diagnostics().is_empty());
    apply_and_verify(
        &mut p,
        vec![write(
            &root,
            "assets/scenes/a.scene.json.meta",
            &format!("id = \"{A}\"\n[dependencies]\nload = [\"scenes/b.scene.json\"]\n"),
        )],
    );
    assert_eq!(p.diagnostics_of("assets/scenes/a.scene.json.meta")[0].code, Code::Cycle);
}

#[test]
fn duplicate_ids_and_moves() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    apply_and_verify(
        &mut p,
        vec![
            write(&root, "assets/textures/hero2.png", "PNG"),
            write(&root, "assets/textures/hero2.png.meta", &format!("id = \"{HERO}\"\n")),
        ],
    );
    assert_eq!(p.diagnostics_of("assets/textures/hero.png.meta")[0].code, Code::DuplicateId);
    assert_eq!(p.diagnostics_of("assets/textures/hero2.png.meta")[0].code, Code::DuplicateId);
    apply_and_verify(
        &mut p,
        vec![remove(&root, "assets/textures/hero2.png"), remove(&root, "assets/textures/hero2.png.meta")],
    );
    assert!(p.all_diagnostics().is_empty());
    // Move sky.png (and its meta) to another folder: the old path is broken,
    // and the engine knows where it went.
    let from = root.join("assets/textures/sky.png");
    std::fs::create_dir_all(root.join("assets/env")).unwrap();
    std::fs::rename(&from, root.join("assets/env/sky.png")).unwrap();
    std::fs::rename(root.join("assets/textures/sky.png.meta"), root.join("assets/env/sky.png.meta")).unwrap();
    p.apply(ChangeBatch::from(vec![
        Change::Moved { from: from.clone(), to: root.join("assets/env/sky.png") },
        Change::Moved { from: root.join("assets/textures/sky.png.meta"), to: root.join("assets/env/sky.png.meta") },
    ]));
    let d = &p.diagnostics_of("assets/scenes/a.scene.json")[0];
    assert_eq!(d.code, Code::BrokenPath);
    assert!(d.message.contains("moved to `assets/env/sky.png`"), "{}", d.message);
    assert_eq!(
        p.moved_to("assets/textures/sky.png").map(|f| p.path(f).to_owned()).as_deref(),
        Some("assets/env/sky.png")
    );
}

#[test]
fn overlay_takes_precedence_until_closed() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    let scene = root.join("assets/scenes/b.scene.json");
    p.apply(ChangeBatch::from(vec![Change::Overlay { path: scene.clone(), text: r#"{"x": "nope.png"}"#.into() }]));
    assert_eq!(p.diagnostics_of("assets/scenes/b.scene.json").len(), 1);
    // A disk event for an open file does not override the buffer.
    p.apply(ChangeBatch::from(vec![Change::Disk(scene.clone())]));
    assert_eq!(p.diagnostics_of("assets/scenes/b.scene.json").len(), 1);
    p.apply(ChangeBatch::from(vec![Change::CloseOverlay(scene)]));
    assert!(p.all_diagnostics().is_empty());
}

#[test]
fn folder_removal_and_new_extension() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    apply_and_verify(&mut p, vec![remove(&root, "assets/textures")]);
    assert_eq!(p.diagnostics_of("assets/scenes/a.scene.json").len(), 2);
    // "level.xyz" is not a reference until a .xyz asset with a .meta exists.
    apply_and_verify(&mut p, vec![write(&root, "assets/scenes/b.scene.json", r#"{"lvl": "data/level.xyz"}"#)]);
    assert!(p.diagnostics_of("assets/scenes/b.scene.json").is_empty());
    apply_and_verify(
        &mut p,
        vec![
            write(&root, "assets/other/thing.xyz", "x"),
            write(&root, "assets/other/thing.xyz.meta", &format!("id = \"{HERO}\"\n")),
        ],
    );
    assert_eq!(p.diagnostics_of("assets/scenes/b.scene.json")[0].code, Code::BrokenPath);
}

#[test]
fn a_folder_meta_is_not_an_orphan_while_the_folder_exists() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    // Unity-style sidecar of the textures folder.
    apply_and_verify(
        &mut p,
        vec![write(&root, "assets/textures.meta", "id = \"7b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e17\"\n")],
    );
    assert!(p.diagnostics_of("assets/textures.meta").is_empty());
    apply_and_verify(&mut p, vec![remove(&root, "assets/textures")]);
    assert_eq!(p.diagnostics_of("assets/textures.meta")[0].code, Code::OrphanMeta);
    apply_and_verify(&mut p, vec![write(&root, "assets/textures/new.png", "PNG")]);
    assert!(p.diagnostics_of("assets/textures.meta").is_empty());
}

#[test]
fn a_folder_reread_drops_what_is_gone() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    // Files vanish without events (a branch switch the watcher saw as an
    // overflow); the folder is then re-read as a whole.
    std::fs::remove_file(root.join("assets/textures/sky.png")).unwrap();
    std::fs::remove_file(root.join("assets/textures/sky.png.meta")).unwrap();
    std::fs::write(root.join("assets/textures/new.png"), "PNG").unwrap();
    apply_and_verify(&mut p, vec![Change::Disk(root.join("assets/textures"))]);
    assert!(p.file_id("assets/textures/sky.png").is_none());
    assert!(p.file_id("assets/textures/new.png").is_some());
    assert_eq!(p.diagnostics_of("assets/scenes/a.scene.json")[0].code, Code::BrokenPath);
    // The whole project re-read (a watcher's rescan after a queue overflow),
    // and a file a nested .gitignore now hides is gone too.
    std::fs::remove_file(root.join("assets/scenes/b.scene.json")).unwrap();
    std::fs::write(root.join("assets/models/.gitignore"), "*.gltf\n").unwrap();
    apply_and_verify(&mut p, vec![Change::Disk(root.clone())]);
    assert!(p.file_id("assets/scenes/b.scene.json").is_none());
    assert!(p.file_id("assets/models/ship.gltf").is_none());
    assert!(p.file_id("assets/textures/new.png").is_some());
}

#[test]
fn a_file_hidden_by_a_nested_gitignore_stays_out_even_when_edited() {
    let (_d, root) = fixture(&base());
    std::fs::write(root.join("assets/scenes/.gitignore"), "draft*.json\n").unwrap();
    let mut p = Project::open(&root).unwrap();
    // Created on disk, then opened in an editor: neither brings it in.
    let draft = root.join("assets/scenes/draft.scene.json");
    std::fs::write(&draft, "{\"broken\": \"textures/nope.png\"}").unwrap();
    assert!(apply_and_verify(&mut p, vec![Change::Disk(draft.clone())]).is_empty());
    let text: std::sync::Arc<str> = "{\"broken\": \"textures/nope.png\"}".into();
    assert!(p.apply(ChangeBatch::from(vec![Change::Overlay { path: draft.clone(), text }])).is_empty());
    assert!(p.file_id("assets/scenes/draft.scene.json").is_none());
    // A sibling the .gitignore does not name is checked as usual.
    let other = write(&root, "assets/scenes/other.scene.json", "{\"broken\": \"textures/nope.png\"}");
    apply_and_verify(&mut p, vec![other]);
    assert!(p.diagnostics_of("assets/scenes/other.scene.json").iter().any(|d| d.code == Code::BrokenPath));
}

#[test]
fn config_changes_rescan_only_when_the_saved_settings_change() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    let config = root.join("assetry.toml");
    // Same settings as the defaults, or not TOML at all: nothing is re-read.
    std::fs::write(&config, "[project]\nroots = [\"assets\"]\n").unwrap();
    let parsed = p.files_parsed();
    assert!(p.apply(ChangeBatch::from(vec![Change::Disk(config.clone())])).is_empty());
    std::fs::write(&config, "[project\nroots = ").unwrap();
    assert!(p.apply(ChangeBatch::from(vec![Change::Disk(config.clone())])).is_empty());
    // An editor's unsaved text of assetry.toml is a draft.
    p.apply(ChangeBatch::from(vec![Change::Overlay {
        path: config.clone(),
        text: "[project]\nroots = [\"x\"]".into(),
    }]));
    assert_eq!(p.files_parsed(), parsed);
    // A real change (game code no longer scanned) rescans and reports.
    std::fs::write(&config, "[project]\ncode = []\n[references]\ncode_calls = []\n").unwrap();
    std::fs::write(root.join("src/main.rs"), "fn main() { s.load(\"nope.png\"); }").unwrap();
    p.apply(ChangeBatch::from(vec![Change::Disk(config.clone())]));
    assert!(p.files_parsed() > parsed);
    assert!(p.config().code.is_empty());
    assert!(p.diagnostics_of("src/main.rs").is_empty());
}

#[test]
fn a_config_reload_keeps_the_buffers_references_and_resolutions_together() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    // The buffer differs from the disk: a broken path where the disk has a good one.
    let scene = root.join("assets/scenes/b.scene.json");
    let text: std::sync::Arc<str> = r#"{"x": "textures/missing.png"}"#.into();
    p.apply(ChangeBatch::from(vec![Change::Overlay { path: scene.clone(), text }]));
    let broken = |p: &Project| -> Vec<(Code, String)> {
        p.diagnostics_of("assets/scenes/b.scene.json").iter().map(|d| (d.code, d.message.clone())).collect()
    };
    let expected = vec![(
        Code::BrokenPath,
        "`textures/missing.png` does not exist (no asset at `assets/textures/missing.png`)".to_owned(),
    )];
    assert_eq!(broken(&p), expected);
    // A valid, different configuration is saved: the project is scanned again.
    std::fs::write(root.join("assetry.toml"), "[project]\ncode = []\n").unwrap();
    p.apply(ChangeBatch::from(vec![Change::Disk(root.join("assetry.toml"))]));
    assert!(p.config().code.is_empty());
    assert_eq!(broken(&p), expected, "the buffer's finding survives the reload");
    // Its one reference is the buffer's, resolved as the buffer's.
    let f = p.file(p.file_id("assets/scenes/b.scene.json").unwrap()).unwrap();
    let refs: Vec<&str> = f.refs().iter().map(|r| &*r.value).collect();
    assert_eq!(refs, ["textures/missing.png"]);
    assert_eq!(f.resolutions(), [assetry_pipeline::Resolution::Broken { path: "assets/textures/missing.png".into() }]);
    // And the rest of the project equals a fresh scan with the same buffer.
    let mut fresh = Project::open(&root).unwrap();
    let text: std::sync::Arc<str> = r#"{"x": "textures/missing.png"}"#.into();
    fresh.apply(ChangeBatch::from(vec![Change::Overlay { path: scene.clone(), text }]));
    assert_eq!(full(&p), full(&fresh));
    // Closing the buffer falls back to the disk's valid reference.
    p.apply(ChangeBatch::from(vec![Change::CloseOverlay(scene)]));
    assert!(p.all_diagnostics().is_empty());
}

#[test]
fn an_open_buffer_outlives_its_file_on_disk_until_closed() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let rel = "assets/scenes/b.scene.json";
    let scene = root.join(rel);
    let buffer = |text: &str| Change::Overlay { path: scene.clone(), text: text.into() };
    let codes = |p: &Project| -> Vec<(Code, u32, u32)> {
        p.diagnostics_of(rel).iter().map(|d| (d.code, d.range.start, d.range.end)).collect()
    };
    p.apply(ChangeBatch::from(vec![buffer(r#"{"x": "textures/nope.png"}"#)]));
    assert_eq!(codes(&p), [(Code::BrokenPath, 7, 24)]);
    // Deleted on disk (the file, then its whole folder; as a removal, a
    // re-read of a vanished file, a move away and a folder re-read): the
    // buffer is still what the editor shows, so it is still checked.
    std::fs::remove_file(&scene).unwrap();
    for change in [
        Change::Removed(scene.clone()),
        Change::Disk(scene.clone()),
        Change::Moved { from: scene.clone(), to: root.join("assets/scenes/moved.scene.json") },
        Change::Disk(root.join("assets/scenes")),
    ] {
        assert_eq!(p.apply(ChangeBatch::from(vec![change.clone()])), vec![], "{change:?}");
        assert_eq!(codes(&p), [(Code::BrokenPath, 7, 24)], "{change:?}");
        assert!(p.file_id(rel).is_some(), "{change:?}");
    }
    std::fs::remove_dir_all(root.join("assets/scenes")).unwrap();
    p.apply(ChangeBatch::from(vec![Change::Removed(root.join("assets/scenes"))]));
    // Its .meta is gone from disk and from the editor.
    assert_eq!(codes(&p), [(Code::MissingMeta, 0, 0), (Code::BrokenPath, 7, 24)]);
    assert!(p.file_id("assets/scenes/a.scene.json").is_none());
    // It is edited while deleted: the edit counts.
    let delta = p.apply(ChangeBatch::from(vec![buffer(r#"{"y": "textures/hero.png", "x": "nope.png"}"#)]));
    assert_eq!(delta.len(), 1);
    assert_eq!(codes(&p), [(Code::MissingMeta, 0, 0), (Code::BrokenPath, 33, 41)]);
    let f = p.file(p.file_id(rel).unwrap()).unwrap();
    let hero = p.file_id("assets/textures/hero.png").unwrap();
    assert_eq!(f.resolutions()[0], assetry_pipeline::Resolution::Asset { target: hero, label: None });
    // Closing it falls back to the disk, which has no such file: it is gone,
    // and so are its findings.
    let delta = p.apply(ChangeBatch::from(vec![Change::CloseOverlay(scene.clone())]));
    assert_eq!(delta, vec![FileDiagnostics { path: rel.into(), diagnostics: vec![] }]);
    assert!(p.file_id(rel).is_none());
    // Opened while absent from disk, then created on disk: the buffer wins
    // until it is closed, then the disk does.
    p.apply(ChangeBatch::from(vec![buffer(r#"{"x": "textures/nope.png"}"#)]));
    assert_eq!(codes(&p), [(Code::MissingMeta, 0, 0), (Code::BrokenPath, 7, 24)]);
    let created = write(&root, rel, r#"{"sub": "textures/sky.png"}"#);
    p.apply(ChangeBatch::from(vec![created]));
    assert_eq!(codes(&p), [(Code::MissingMeta, 0, 0), (Code::BrokenPath, 7, 24)]);
    apply_and_verify(&mut p, vec![Change::CloseOverlay(scene)]);
}

/// A diagnostic's code, start and end, and its related locations' starts.
type Placed = (Code, Position, Position, Vec<(String, Position)>);

/// Every diagnostic's range (and related ranges) as LSP positions, through
/// the project's line indexes.
fn positions(p: &Project) -> BTreeMap<String, Vec<Placed>> {
    let at = |path: &str, offset: u32| p.line_index(path).map(|i| i.position(offset)).unwrap_or_default();
    p.all_diagnostics()
        .into_iter()
        .map(|f| {
            let ds = f
                .diagnostics
                .iter()
                .map(|d| {
                    let related = d.related.iter().map(|r| (r.path.clone(), at(&r.path, r.range.start))).collect();
                    (d.code, at(&f.path, d.range.start), at(&f.path, d.range.end), related)
                })
                .collect();
            (f.path, ds)
        })
        .collect()
}

fn pos(line: u32, character: u32) -> Position {
    Position { line, character }
}

#[test]
fn positions_come_from_the_parsed_text_even_after_the_disk_changed() {
    let (_d, root) = fixture(&base());
    let scene = "assets/scenes/b.scene.json";
    std::fs::write(root.join(scene), "{\"sub\": \"scenes/nope.scene.json\"}").unwrap();
    let meta = "assets/textures/sky.png.meta";
    std::fs::write(root.join(meta), format!("# é\nid = \"{HERO}\"\n")).unwrap();
    let p = Project::open(&root).unwrap();
    let expected = BTreeMap::from([
        (scene.to_owned(), vec![(Code::BrokenPath, pos(0, 9), pos(0, 31), vec![])]),
        (
            "assets/textures/hero.png.meta".to_owned(),
            vec![(Code::DuplicateId, pos(0, 6), pos(0, 42), vec![(meta.to_owned(), pos(1, 6))])],
        ),
        (
            meta.to_owned(),
            vec![(
                Code::DuplicateId,
                pos(1, 6),
                pos(1, 42),
                vec![("assets/textures/hero.png.meta".to_owned(), pos(0, 6))],
            )],
        ),
    ]);
    // The files change on disk (a checkout) before any position was asked,
    // and nobody has told the project yet: its ranges are still those of
    // the text it parsed, and so are the positions it gives for them.
    std::fs::write(root.join(scene), "{\n\"sub\":\n\n\"scenes/nope.scene.json\"}").unwrap();
    std::fs::write(root.join(meta), "").unwrap();
    std::fs::write(root.join("assets/textures/hero.png.meta"), "\n\n\n").unwrap();
    assert_eq!(positions(&p), expected);
}

#[test]
fn moved_to_lasts_only_while_it_is_true() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let message = |p: &Project| p.diagnostics_of("assets/scenes/a.scene.json")[0].message.clone();
    // sky.png moves with its .meta: the old path says where it went.
    std::fs::create_dir_all(root.join("assets/env")).unwrap();
    let mut batch = Vec::new();
    for (from, to) in [("sky.png", "sky.png"), ("sky.png.meta", "sky.png.meta")] {
        let (from, to) = (root.join("assets/textures").join(from), root.join("assets/env").join(to));
        std::fs::rename(&from, &to).unwrap();
        batch.push(Change::Moved { from, to });
    }
    p.apply(ChangeBatch::from(batch));
    assert_eq!(message(&p), "`textures/sky.png` does not exist: the asset moved to `assets/env/sky.png`");
    // Its new .meta goes (a checkout): nothing carries the id any more, and
    // the finding says what a fresh check says.
    p.apply(ChangeBatch::from(vec![remove(&root, "assets/env/sky.png.meta")]));
    let fresh = "`textures/sky.png` does not exist (no asset at `assets/textures/sky.png`)";
    assert_eq!(message(&p), fresh);
    assert_eq!(message(&Project::open(&root).unwrap()), fresh);
    // An edit of a .meta is no departure: hero.png's id changes in place,
    // then hero.png goes; the old id now on sky.png says nothing about it.
    apply_and_verify(&mut p, vec![write(&root, "assets/textures/hero.png.meta", &format!("id = \"{SHIP}\"\n"))]);
    apply_and_verify(&mut p, vec![write(&root, "assets/env/sky.png.meta", &format!("id = \"{HERO}\"\n"))]);
    apply_and_verify(&mut p, vec![remove(&root, "assets/textures/hero.png")]);
    let code = p.diagnostics_of("src/main.rs");
    assert_eq!(code[0].message, "`textures/hero.png` does not exist (no asset at `assets/textures/hero.png`)");
}

/// How every reference of every file resolves, targets by path (file ids
/// differ between two projects).
fn resolutions(p: &Project) -> BTreeMap<String, Vec<String>> {
    use assetry_pipeline::Resolution as R;
    let describe = |r: &R| match r {
        R::Asset { target, label } => format!("asset {} {label:?}", p.path(*target)),
        R::CaseMismatch { target } => format!("case-mismatch {}", p.path(*target)),
        R::UnknownLabel { target, label } => format!("unknown-label {} {label}", p.path(*target)),
        other => format!("{other:?}"),
    };
    p.files_by_path()
        .map(|(path, id)| {
            let f = p.file(id).unwrap();
            let v = f.refs().iter().zip(f.resolutions()).map(|(r, res)| format!("{} {}", r.value, describe(res)));
            (path.to_owned(), v.collect())
        })
        .collect()
}

/// The model of the incremental engine: a fresh scan of the disk with the
/// editor's open buffers laid over it.
fn model(root: &Path, overlays: &BTreeMap<String, String>) -> Project {
    let mut fresh = Project::open(root).unwrap();
    let buffers: Vec<Change> = overlays
        .iter()
        .map(|(rel, text)| Change::Overlay { path: root.join(rel), text: text.as_str().into() })
        .collect();
    fresh.apply(ChangeBatch::from(buffers));
    fresh
}

/// Asset paths whose `.meta` left the project, with the id it carried and
/// where the watcher saw it go (its `.meta` or a folder holding it moved):
/// the test's own record of what the engine must remember to say "moved to".
type Departed = BTreeMap<String, (String, Option<String>)>;

/// Where a batch's moves (project-relative `from`, `to`) took `asset`: a
/// moved `.meta` stands for its asset, a moved folder for what was in it.
fn seen_destination(asset: &str, moves: &[(String, String)]) -> Option<String> {
    moves.iter().find_map(|(from, to)| {
        let (from, to) = match (from.strip_suffix(".meta"), to.strip_suffix(".meta")) {
            (Some(f), Some(t)) => (f, t),
            _ => (from.as_str(), to.as_str()),
        };
        let rest = asset.strip_prefix(from).filter(|r| r.is_empty() || r.starts_with('/'))?;
        Some(format!("{to}{rest}")).filter(|dest| dest != asset)
    })
}

/// Updates `departed` from the model before and after a batch: a `.meta`
/// that left records its id (none: forgets) and where the batch's `moves`
/// took it, one that is there forgets. A configuration reload is a rescan:
/// it records nothing new.
fn track_departures(
    before: &Project,
    after: &Project,
    departed: &mut Departed,
    reloaded: bool,
    moves: &[(String, String)],
) {
    let metas = |p: &Project| -> BTreeMap<String, Option<String>> {
        p.files_by_path()
            .filter(|(path, _)| path.ends_with(".meta"))
            .map(|(path, id)| {
                let uid = p.file(id).unwrap().meta().and_then(|m| m.id).map(|(u, _)| u.to_string());
                (path.trim_end_matches(".meta").to_owned(), uid)
            })
            .collect()
    };
    let (old, new) = (metas(before), metas(after));
    if !reloaded {
        for (asset, uid) in &old {
            if !new.contains_key(asset) {
                match uid {
                    Some(u) => departed.insert(asset.clone(), (u.clone(), seen_destination(asset, moves))),
                    None => departed.remove(asset),
                };
            }
        }
    }
    departed.retain(|asset, _| !new.contains_key(asset));
}

/// The model's diagnostics, with the "moved to" wording where `departed`
/// says a broken path's asset left with an id that now names an asset: the
/// one the watcher saw it move to if that asset carries the id, else the
/// only asset that carries it; several (a duplicated id) are all named.
fn expected_diagnostics(fresh: &Project, departed: &Departed) -> BTreeMap<String, Vec<assetry_pipeline::Diagnostic>> {
    let mut all = full(fresh);
    for d in all.values_mut().flatten() {
        if d.code != Code::BrokenPath {
            continue;
        }
        let Some((value, looked)) = d.message.split_once("` does not exist (no asset at `") else { continue };
        let looked = looked.trim_end_matches("`)");
        let Some((u, to)) = departed.get(looked) else { continue };
        let u: uuid::Uuid = u.parse().unwrap();
        let seen = to.as_deref().and_then(|to| fresh.file_id(to)).filter(|a| fresh.asset_id(*a) == Some(u));
        let mut candidates: Vec<String> = match seen {
            Some(a) => vec![fresh.path(a).to_owned()],
            None => fresh
                .id_owners(&u)
                .iter()
                .filter(|o| o.label.is_none())
                .filter_map(|o| fresh.asset_of_meta(o.meta))
                .map(|a| fresh.path(a).to_owned())
                .collect(),
        };
        candidates.sort();
        candidates.dedup();
        match candidates.as_slice() {
            [] => {}
            [to] => d.message = format!("{value}` does not exist: the asset moved to `{to}`"),
            several => {
                let places: Vec<String> = several.iter().map(|c| format!("`{c}`")).collect();
                d.message = format!(
                    "{value}` does not exist: the asset moved, and its id is now in {} (a copied .meta); \
                     which one is it?",
                    places.join(" and ")
                );
            }
        }
    }
    all
}

/// Two paths one of which is the other or inside it.
fn overlapping(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/"))
}

/// Random batches of everything that can happen to a project: edits,
/// deletions and re-creations, moves of assets with their `.meta`, folders
/// created, deleted and moved, editor buffers opened, edited and closed
/// (also over deleted files) and `assetry.toml` saved. After each batch the
/// incremental state must equal the model (a fresh scan plus the same
/// buffers): diagnostics with their messages and positions, how every
/// reference resolves, the counts and folder listings, and the delta must
/// name exactly the files whose diagnostics changed.
#[test]
fn random_changes_match_fresh_scans() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let files = [
        "assets/textures/hero.png",
        "assets/textures/hero.png.meta",
        "assets/textures/sky.png",
        "assets/textures/sky.png.meta",
        "assets/models/ship.gltf.meta",
        "assets/scenes/a.scene.json",
        "assets/scenes/b.scene.json",
        "assets/scenes/a.scene.json.meta",
        "assets/scenes/c.scene.ron",
        "assets/env/sky.png",
        "assets/env/sky.png.meta",
        "assets/env/d.scene.json",
        "src/main.rs",
    ];
    // Asset moves, either way; each takes its .meta along when it can.
    let moves = [
        ("assets/textures/sky.png", "assets/env/sky.png"),
        ("assets/textures/hero.png", "assets/env/hero.png"),
        ("assets/scenes/b.scene.json", "assets/env/d.scene.json"),
    ];
    let configs = [
        "",
        "[project]\ncode = []\n",
        "[project]\nignore = [\"**/b.scene.json\"]\n",
        "[diagnostics]\nprefer_id = true\n",
    ];
    let contents = |rel: &str, k: u64| -> String {
        let ids = [HERO, SKY, A, B, SHIP];
        let paths = [
            "textures/hero.png",
            "textures/sky.png",
            "env/sky.png",
            "env/hero.png",
            "scenes/a.scene.json",
            "scenes/b.scene.json",
            "scenes/c.scene.ron",
            "models/ship.gltf#Mesh0",
            "textures/HERO.png",
        ];
        let pick = |n: u64| paths[(n % paths.len() as u64) as usize];
        if rel.ends_with(".meta") {
            let id = ids[(k % 5) as usize];
            if k.is_multiple_of(7) {
                return "id = 3\n".into();
            }
            // Sometimes on a later line, so positions are not all on line 0.
            let lead = if k.is_multiple_of(3) { "# é\n" } else { "" };
            return format!("{lead}id = \"{id}\"\n[dependencies]\nload = [\"{}\"]\n", pick(k / 5));
        }
        if rel.ends_with(".json") {
            return format!(
                "{{\"a\": \"{}\",\n \"b\": \"{}\", \"c\": \"{}\"}}",
                pick(k),
                pick(k / 3),
                ids[(k % 5) as usize]
            );
        }
        if rel.ends_with(".ron") {
            return format!("(a: \"{}\", b: \"{}\")", pick(k / 2), pick(k / 5));
        }
        if rel.ends_with(".rs") {
            return format!("fn main() {{ s.load(\"{}\"); }}", pick(k));
        }
        "bin".into()
    };
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let exists = |rel: &str| root.join(rel).exists();
    let mut overlays: BTreeMap<String, String> = BTreeMap::new();
    let mut departed = Departed::new();
    let mut before_model = model(&root, &overlays);
    let mut said_moved = 0;
    let (mut said_several, mut seen_among_copies) = (0, 0);
    for round in 0..600 {
        let mut batch = Vec::new();
        // The paths this batch touched: one change per path (and folder), so
        // the order of the batch's changes cannot matter.
        let mut touched: Vec<String> = Vec::new();
        let mut reloaded = false;
        for _ in 0..(1 + next() % 3) {
            let free = |touched: &Vec<String>, rel: &str| !touched.iter().any(|t| overlapping(t, rel));
            let what = next() % 100;
            if what < 35 {
                let rel = files[(next() % files.len() as u64) as usize];
                if free(&touched, rel) {
                    touched.push(rel.into());
                    batch.push(write(&root, rel, &contents(rel, next() % 1000)));
                }
            } else if what < 41 {
                let rel = files[(next() % files.len() as u64) as usize];
                if free(&touched, rel) && root.join(rel).is_file() {
                    touched.push(rel.into());
                    batch.push(remove(&root, rel));
                }
            } else if what < 47 {
                // A rename as the watcher reports it, onto another name of
                // the same kind (maybe over a file there): ids then move,
                // and get duplicated.
                let rel = files[(next() % files.len() as u64) as usize];
                let to = files[(next() % files.len() as u64) as usize];
                if rel != to
                    && rel.ends_with(".meta") == to.ends_with(".meta")
                    && free(&touched, rel)
                    && free(&touched, to)
                    && root.join(rel).is_file()
                {
                    touched.extend([rel.to_owned(), to.to_owned()]);
                    std::fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
                    std::fs::rename(root.join(rel), root.join(to)).unwrap();
                    batch.push(Change::Moved { from: root.join(rel), to: root.join(to) });
                }
            } else if what < 55 {
                let (a, b) = moves[(next() % moves.len() as u64) as usize];
                let (from, to) = if next().is_multiple_of(2) { (a, b) } else { (b, a) };
                if free(&touched, from) && free(&touched, to) && exists(from) && !exists(to) {
                    touched.extend([from.to_owned(), to.to_owned()]);
                    std::fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
                    std::fs::rename(root.join(from), root.join(to)).unwrap();
                    batch.push(Change::Moved { from: root.join(from), to: root.join(to) });
                    let (mf, mt) = (format!("{from}.meta"), format!("{to}.meta"));
                    if free(&touched, &mf) && free(&touched, &mt) && exists(&mf) && !exists(&mt) {
                        touched.extend([mf.clone(), mt.clone()]);
                        std::fs::rename(root.join(&mf), root.join(&mt)).unwrap();
                        batch.push(Change::Moved { from: root.join(mf), to: root.join(mt) });
                    }
                }
            } else if what < 65 {
                // Folders: move textures <-> env, delete one, or create env.
                let (a, b) = ("assets/textures", "assets/env");
                let (from, to) = if next().is_multiple_of(2) { (a, b) } else { (b, a) };
                if !(free(&touched, from) && free(&touched, to)) {
                    continue;
                }
                touched.extend([from.to_owned(), to.to_owned()]);
                match (exists(from), exists(to), next() % 3) {
                    (true, false, 0 | 1) => {
                        std::fs::rename(root.join(from), root.join(to)).unwrap();
                        batch.push(Change::Moved { from: root.join(from), to: root.join(to) });
                    }
                    (true, _, _) => batch.push(remove(&root, from)),
                    (false, _, _) => {
                        for name in ["sky.png", "sky.png.meta", "d.scene.json"] {
                            let rel = format!("{from}/{name}");
                            write(&root, &rel, &contents(&rel, next() % 1000));
                        }
                        batch.push(Change::Disk(root.join(from)));
                    }
                }
            } else if what < 80 {
                let rel = files[(next() % files.len() as u64) as usize];
                if free(&touched, rel) {
                    touched.push(rel.into());
                    let text = contents(rel, next() % 1000);
                    batch.push(Change::Overlay { path: root.join(rel), text: text.as_str().into() });
                    overlays.insert(rel.to_owned(), text);
                }
            } else if what < 88 {
                let open: Vec<String> = overlays.keys().cloned().collect();
                if let Some(rel) = open.get((next() % open.len().max(1) as u64) as usize)
                    && free(&touched, rel)
                {
                    touched.push(rel.clone());
                    overlays.remove(rel);
                    batch.push(Change::CloseOverlay(root.join(rel)));
                }
            } else if what < 94 {
                let text = configs[(next() % configs.len() as u64) as usize];
                if free(&touched, "assetry.toml") {
                    touched.push("assetry.toml".into());
                    let before = Project::open(&root).unwrap().config().clone();
                    batch.push(write(&root, "assetry.toml", text));
                    reloaded = Project::open(&root).unwrap().config() != &before;
                }
            } else {
                // A file deleted on disk while the editor holds it open.
                let open: Vec<String> = overlays.keys().filter(|r| root.join(r).is_file()).cloned().collect();
                if let Some(rel) = open.get((next() % open.len().max(1) as u64) as usize)
                    && free(&touched, rel)
                {
                    touched.push(rel.clone());
                    batch.push(remove(&root, rel));
                }
            }
        }
        eprintln!("round {round}: {batch:?}");
        let rel = |abs: &PathBuf| abs.strip_prefix(&root).unwrap().to_str().unwrap().to_owned();
        let moves: Vec<(String, String)> = batch
            .iter()
            .filter_map(|c| match c {
                Change::Moved { from, to } => Some((rel(from), rel(to))),
                _ => None,
            })
            .collect();
        apply_and_verify_model(&mut p, batch, &overlays);
        let now = model(&root, &overlays);
        track_departures(&before_model, &now, &mut departed, reloaded, &moves);
        let expected = expected_diagnostics(&now, &departed);
        assert_eq!(full(&p), expected, "messages (moved to: {departed:?})");
        said_moved += expected.values().flatten().any(|d| d.message.contains("moved to")) as usize;
        said_several += expected.values().flatten().any(|d| d.message.contains("which one is it")) as usize;
        // A seen move named among copies of its id.
        seen_among_copies += departed.values().any(|(u, to)| {
            let owners = now.id_owners(&u.parse().unwrap()).iter().filter(|o| o.label.is_none()).count();
            to.as_ref().is_some_and(|to| {
                owners > 1 && expected.values().flatten().any(|d| d.message.ends_with(&format!("moved to `{to}`")))
            })
        }) as usize;
        before_model = now;
    }
    // The generator reaches the cases the comparison is about.
    assert!(said_moved >= 20, "only {said_moved} rounds with a moved asset");
    assert!(said_several >= 10, "only {said_several} rounds naming several copies of an id");
    assert!(seen_among_copies >= 5, "only {seen_among_copies} rounds where a seen move chose among copies");
}

/// `apply_and_verify` against the model of a fresh scan plus `overlays`,
/// comparing also resolutions and positions (messages are compared by the
/// caller, which knows where moved assets went).
fn apply_and_verify_model(p: &mut Project, batch: Vec<Change>, overlays: &BTreeMap<String, String>) {
    let before = full(p);
    let delta = p.apply(ChangeBatch::from(batch));
    let fresh = model(p.root(), overlays);
    assert_eq!(snapshot(p), snapshot(&fresh), "incremental state differs from a fresh scan");
    assert_eq!(positions(p), positions(&fresh), "positions differ from a fresh scan");
    assert_eq!(resolutions(p), resolutions(&fresh), "resolutions differ from a fresh scan");
    assert_eq!(
        (p.asset_count(), p.reference_count()),
        (fresh.asset_count(), fresh.reference_count()),
        "counts differ from a fresh scan"
    );
    let names = |p: &Project, dir: &str| {
        let l = p.list_dir(dir);
        let files: Vec<String> = l.files.iter().map(|(n, _)| n.to_string()).collect();
        (l.dirs.iter().map(|d| d.to_string()).collect::<Vec<_>>(), files)
    };
    for dir in ["", "assets", "assets/textures", "assets/scenes", "assets/env", "src"] {
        assert_eq!(names(p, dir), names(&fresh, dir), "folder listing of `{dir}`");
    }
    let after = full(p);
    let mut changed: Vec<String> =
        before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).cloned().collect();
    changed.sort();
    changed.dedup();
    let reported: Vec<String> = delta.iter().map(|f| f.path.clone()).collect();
    assert_eq!(reported, changed, "delta must list exactly the changed files");
    for f in &delta {
        assert_eq!(Some(&f.diagnostics), after.get(&f.path).or(Some(&Vec::new())), "delta content of {}", f.path);
    }
}

/// A Bevy project: what other files resolve against (a glTF file's
/// labels, `embedded_asset!` registrations, `#define_import_path`
/// declarations) changes with those files, and every change leaves the
/// state a fresh scan would find.
#[test]
fn bevy_declarations_reach_their_references() {
    let (_d, root) = fixture(
        r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/models/ship.gltf
{"scenes": [{}, {}], "meshes": [{"primitives": [{}]}]}
//- /assets/scenes/level.scn.ron
(a: "models/ship.gltf#Scene1", b: "models/ship.gltf#Mesh0/Primitive0")
//- /assets/shaders/common.wgsl
#define_import_path game::common
//- /assets/shaders/water.wgsl
#import game::common::f
//- /src/render.rs
fn build(app: &mut App) { embedded_asset!(app, "glow.wgsl"); }
//- /src/glow.wgsl
fn glow() {}
//- /src/main.rs
fn main() { server.load("embedded://game/glow.wgsl"); }
"#,
    );
    let mut p = Project::open(&root).unwrap();
    assert_eq!(full(&p), BTreeMap::new());
    p.prepare_for_changes();
    let codes = |p: &Project, rel: &str| p.diagnostics_of(rel).iter().map(|d| d.code).collect::<Vec<_>>();
    apply_and_verify(&mut p, vec![write(&root, "assets/models/ship.gltf", "{\"scenes\": [{}]}\n")]);
    assert_eq!(codes(&p, "assets/scenes/level.scn.ron"), [Code::UnknownLabel, Code::UnknownLabel]);
    apply_and_verify(&mut p, vec![write(&root, "src/render.rs", "fn build(app: &mut App) {}\n")]);
    assert_eq!(codes(&p, "src/main.rs"), [Code::BrokenPath]);
    apply_and_verify(&mut p, vec![write(&root, "assets/shaders/common.wgsl", "#define_import_path game::other\n")]);
    assert_eq!(codes(&p, "assets/shaders/water.wgsl"), [Code::BrokenPath]);
    apply_and_verify(&mut p, vec![remove(&root, "assets/shaders/common.wgsl")]);
    assert_eq!(codes(&p, "assets/shaders/water.wgsl"), Vec::<Code>::new());
    apply_and_verify(
        &mut p,
        vec![
            write(&root, "assets/shaders/common.wgsl", "#define_import_path game::common\n"),
            write(&root, "src/render.rs", "fn build(app: &mut App) { embedded_asset!(app, \"glow.wgsl\"); }\n"),
            write(&root, "assets/models/ship.gltf", "{\"scenes\": [{}, {}], \"meshes\": [{\"primitives\": [{}]}]}\n"),
        ],
    );
    assert_eq!(full(&p), BTreeMap::new());
}

/// A Bevy project has no ids: an asset deleted, and later one of the same
/// name created, is a move (the watcher may report the two in different
/// batches); the broken reference names where it went, until a file is
/// back at the old path.
#[test]
fn bevy_moves_are_recognised_by_path() {
    let (_d, root) = fixture(
        r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/textures/hero.png
png
//- /src/main.rs
fn main() { server.load("textures/hero.png"); }
"#,
    );
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let message = |p: &Project| p.diagnostics_of("src/main.rs").iter().map(|d| d.message.clone()).collect::<Vec<_>>();
    apply_and_verify(&mut p, vec![remove(&root, "assets/textures/hero.png")]);
    assert_eq!(message(&p), ["`textures/hero.png` does not exist (no asset at `assets/textures/hero.png`)"]);
    apply_and_verify(&mut p, vec![write(&root, "assets/ui/hero.png", "png")]);
    assert_eq!(message(&p), ["`textures/hero.png` does not exist: the asset moved to `assets/ui/hero.png`"]);
    assert_eq!(p.moved_to("assets/textures/hero.png"), p.file_id("assets/ui/hero.png"));
    apply_and_verify(&mut p, vec![write(&root, "assets/textures/hero.png", "png")]);
    assert_eq!(message(&p), Vec::<String>::new());
    assert_eq!(p.moved_to("assets/textures/hero.png"), None);
}

/// Starts recognising moves by content and waits until every asset is
/// fingerprinted.
fn fingerprint_all(p: &mut Project) {
    let (tx, rx) = std::sync::mpsc::channel();
    p.recognise_moves_by_content(move |ready| {
        let _ = tx.send(ready);
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the fingerprint pass ends");
}

/// A Bevy project with a texture loaded by code and by a scene, its moves
/// recognised by content.
fn content_fixture() -> (tempfile::TempDir, PathBuf, Project) {
    let (d, root) = fixture(
        r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/textures/old.png
old png bytes
//- /assets/textures/other.png
other png bytes
//- /assets/scenes/a.scn.ron
(sky: "textures/old.png")
//- /src/main.rs
fn main() { server.load("textures/old.png"); }
"#,
    );
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    fingerprint_all(&mut p);
    (d, root, p)
}

fn messages(p: &Project, rel: &str) -> Vec<String> {
    p.diagnostics_of(rel).iter().map(|d| d.message.clone()).collect()
}

/// A deleted texture and a created one with the same bytes, another name
/// in another folder: a move, in one batch and in two (either order, as a
/// `cp` then `rm`, or a checkout cut into batches, gives them); the
/// references say where it went until a file is back at the old path. On
/// the old code: "does not exist (no asset at …)".
#[test]
fn bevy_moves_are_recognised_by_content() {
    let moved = "`textures/old.png` does not exist: the asset moved to `assets/textures/new/hero.png`";
    let gone = "`textures/old.png` does not exist (no asset at `assets/textures/old.png`)";
    for steps in ["one batch", "create first", "delete first"] {
        let (_d, root, mut p) = content_fixture();
        let create = || write(&root, "assets/textures/new/hero.png", "old png bytes\n");
        let delete = || remove(&root, "assets/textures/old.png");
        match steps {
            "one batch" => {
                apply_and_verify(&mut p, vec![create(), delete()]);
            }
            "create first" => {
                apply_and_verify(&mut p, vec![create()]);
                apply_and_verify(&mut p, vec![delete()]);
            }
            _ => {
                apply_and_verify(&mut p, vec![delete()]);
                assert_eq!(messages(&p, "src/main.rs"), [gone], "{steps}");
                apply_and_verify(&mut p, vec![create()]);
            }
        }
        assert_eq!(messages(&p, "src/main.rs"), [moved], "{steps}");
        assert_eq!(messages(&p, "assets/scenes/a.scn.ron"), [moved], "{steps}");
        assert_eq!(p.moved_to("assets/textures/old.png"), p.file_id("assets/textures/new/hero.png"), "{steps}");
        // The moved file moves on: the history follows it.
        apply_and_verify(&mut p, vec![remove(&root, "assets/textures/new/hero.png")]);
        assert_eq!(messages(&p, "src/main.rs"), [gone], "{steps}");
        apply_and_verify(&mut p, vec![write(&root, "assets/ui/hero_v2.png", "old png bytes\n")]);
        let twice = "`textures/old.png` does not exist: the asset moved to `assets/ui/hero_v2.png`";
        assert_eq!(messages(&p, "src/main.rs"), [twice], "{steps}");
        apply_and_verify(&mut p, vec![write(&root, "assets/textures/old.png", "back\n")]);
        assert_eq!(messages(&p, "src/main.rs"), Vec::<String>::new(), "{steps}");
        assert_eq!(p.moved_to("assets/textures/old.png"), None, "{steps}");
    }
}

/// Different bytes under a different name is no move; a file rewritten
/// with the deleted one's bytes later is (its content is read when the
/// batch that wrote it is applied).
#[test]
fn bevy_content_moves_need_the_same_content() {
    let (_d, root, mut p) = content_fixture();
    let gone = "`textures/old.png` does not exist (no asset at `assets/textures/old.png`)";
    apply_and_verify(
        &mut p,
        vec![write(&root, "assets/textures/new/hero.png", "new png bytes\n"), remove(&root, "assets/textures/old.png")],
    );
    assert_eq!(messages(&p, "src/main.rs"), [gone]);
    assert_eq!(p.move_candidates("assets/textures/old.png"), Vec::<u32>::new());
    // An asset deleted with a content known only from a batch: `other.png`
    // rewritten, then deleted while a copy of its new bytes is created.
    apply_and_verify(&mut p, vec![write(&root, "assets/textures/other.png", "rewritten\n")]);
    apply_and_verify(&mut p, vec![write(&root, "src/other.rs", "fn f() { server.load(\"textures/other.png\"); }\n")]);
    apply_and_verify(
        &mut p,
        vec![remove(&root, "assets/textures/other.png"), write(&root, "assets/ui/o.png", "rewritten\n")],
    );
    assert_eq!(
        messages(&p, "src/other.rs"),
        ["`textures/other.png` does not exist: the asset moved to `assets/ui/o.png`"]
    );
}

/// The watcher may report a file created before its bytes are written:
/// read empty at first, it is compared by the content a later batch reads.
/// On the code before this case was handled: "does not exist (no asset at
/// …)".
#[test]
fn bevy_content_written_after_the_creation_counts() {
    let (_d, root, mut p) = content_fixture();
    apply_and_verify(&mut p, vec![write(&root, "assets/ui/hero.png", "")]);
    apply_and_verify(&mut p, vec![write(&root, "assets/ui/hero.png", "old png bytes\n")]);
    apply_and_verify(&mut p, vec![remove(&root, "assets/textures/old.png")]);
    assert_eq!(
        messages(&p, "src/main.rs"),
        ["`textures/old.png` does not exist: the asset moved to `assets/ui/hero.png`"]
    );
}

/// A texture renamed (the watcher saw it), then moved again by content:
/// the references to its first path follow it to the end.
#[test]
fn bevy_a_renamed_texture_is_then_followed_by_content() {
    let (_d, root, mut p) = content_fixture();
    let (from, to) = (root.join("assets/textures/old.png"), root.join("assets/textures/renamed.png"));
    std::fs::rename(&from, &to).unwrap();
    apply_and_verify(&mut p, vec![Change::Moved { from, to }]);
    let renamed = "`textures/old.png` does not exist: the asset moved to `assets/textures/renamed.png`";
    assert_eq!(messages(&p, "src/main.rs"), [renamed]);
    apply_and_verify(
        &mut p,
        vec![remove(&root, "assets/textures/renamed.png"), write(&root, "assets/ui/final.png", "old png bytes\n")],
    );
    assert_eq!(
        messages(&p, "src/main.rs"),
        ["`textures/old.png` does not exist: the asset moved to `assets/ui/final.png`"]
    );
}

/// Two copies of the deleted asset's content created: both are offered,
/// none preferred, as for a duplicated `.meta` id; once one copy is gone
/// the other is certain.
#[test]
fn bevy_content_moved_to_two_copies_names_both() {
    let (_d, root, mut p) = content_fixture();
    apply_and_verify(
        &mut p,
        vec![
            write(&root, "assets/a/hero.png", "old png bytes\n"),
            write(&root, "assets/b/hero_copy.png", "old png bytes\n"),
            remove(&root, "assets/textures/old.png"),
        ],
    );
    assert_eq!(
        messages(&p, "src/main.rs"),
        ["`textures/old.png` does not exist: the asset moved, and its content is now in `assets/a/hero.png` and \
             `assets/b/hero_copy.png` (copies); which one is it?"]
    );
    let paths: Vec<&str> = p.move_candidates("assets/textures/old.png").into_iter().map(|f| p.path(f)).collect();
    assert_eq!(paths, ["assets/a/hero.png", "assets/b/hero_copy.png"]);
    assert_eq!(p.moved_to("assets/textures/old.png"), None);
    apply_and_verify(&mut p, vec![remove(&root, "assets/b/hero_copy.png")]);
    assert_eq!(
        messages(&p, "src/main.rs"),
        ["`textures/old.png` does not exist: the asset moved to `assets/a/hero.png`"]
    );
}

/// The same whatever batches the watcher cut: a copy, the deletion, then
/// another copy (the watcher holds a new asset back a while for its
/// `.meta`, so a copy made before the deletion may come after it) ends as
/// both copies named; a copy rewritten with other bytes drops out.
#[test]
fn bevy_content_copies_count_across_batches() {
    let (_d, root, mut p) = content_fixture();
    apply_and_verify(&mut p, vec![write(&root, "assets/a/hero.png", "old png bytes\n")]);
    apply_and_verify(&mut p, vec![remove(&root, "assets/textures/old.png")]);
    let one = "`textures/old.png` does not exist: the asset moved to `assets/a/hero.png`";
    assert_eq!(messages(&p, "src/main.rs"), [one]);
    apply_and_verify(&mut p, vec![write(&root, "assets/b/hero_copy.png", "old png bytes\n")]);
    assert_eq!(
        messages(&p, "src/main.rs"),
        ["`textures/old.png` does not exist: the asset moved, and its content is now in `assets/a/hero.png` and \
             `assets/b/hero_copy.png` (copies); which one is it?"]
    );
    apply_and_verify(&mut p, vec![write(&root, "assets/b/hero_copy.png", "edited\n")]);
    assert_eq!(messages(&p, "src/main.rs"), [one]);
}

/// A `git checkout` of a commit that renamed 300 textures (each its own
/// bytes) into other folders under other names, and renamed and changed 20
/// more, as the watcher may cut it: the deletions first, then the
/// creations, in batches of random sizes. Every reference to a renamed
/// texture says where it went; one to a changed texture only that it does
/// not exist.
#[test]
fn bevy_checkout_cut_into_batches_is_followed_by_content() {
    let (kept, changed) = (300, 20);
    let mut text = String::from("//- /Cargo.toml\n[package]\nname = \"game\"\n[dependencies]\nbevy = \"0.16\"\n");
    let mut scene = String::from("(textures: [");
    for i in 0..kept + changed {
        text.push_str(&format!("//- /assets/textures/t{i}.png\npng {i}\n"));
        scene.push_str(&format!("\"textures/t{i}.png\", "));
    }
    text.push_str(&format!("//- /assets/scenes/all.scn.ron\n{scene}])\n"));
    let (_d, root) = fixture(&text);
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    fingerprint_all(&mut p);
    let mut changes = Vec::new();
    for i in 0..kept + changed {
        changes.push(remove(&root, &format!("assets/textures/t{i}.png")));
    }
    for i in 0..kept + changed {
        let bytes = if i < kept { format!("png {i}\n") } else { format!("png {i}, changed\n") };
        changes.push(write(&root, &format!("assets/art/a{}/s{i}.png", i % 7), &bytes));
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut changes = changes.into_iter().peekable();
    while changes.peek().is_some() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let batch: Vec<Change> = changes.by_ref().take(1 + (seed % 120) as usize).collect();
        p.apply(ChangeBatch::from(batch));
    }
    let said: Vec<String> = p.diagnostics_of("assets/scenes/all.scn.ron").iter().map(|d| d.message.clone()).collect();
    let expected: Vec<String> = (0..kept + changed)
        .map(|i| match i < kept {
            true => format!("`textures/t{i}.png` does not exist: the asset moved to `assets/art/a{}/s{i}.png`", i % 7),
            false => format!("`textures/t{i}.png` does not exist (no asset at `assets/textures/t{i}.png`)"),
        })
        .collect();
    assert_eq!(said, expected);
}

/// Random batches on a Bevy project: glTF files whose labels change, shaders
/// that declare and import modules, code that registers embedded files and
/// loads them, scenes with labels and templates, a RON `.meta`; writes,
/// removals and renames. After each batch the state equals
/// a fresh scan (diagnostics and positions, counts, listings) and the delta
/// lists exactly the files whose diagnostics changed.
#[test]
fn bevy_random_changes_match_fresh_scans() {
    let (_d, root) = fixture(
        r#"
//- /Cargo.toml
[package]
name = "game"
[dependencies]
bevy = "0.16"
//- /assets/models/ship.gltf
{"scenes": [{}]}
//- /assets/textures/hero.png
png
//- /src/glow.wgsl
fn glow() {}
"#,
    );
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    fingerprint_all(&mut p);
    let files = [
        "assets/models/ship.gltf",
        "assets/models/boat.gltf",
        "assets/textures/hero.png",
        "assets/textures/hero.png.meta",
        "assets/ui/hero.png",
        "assets/shaders/common.wgsl",
        "assets/shaders/water.wgsl",
        "assets/shaders/util.wesl",
        "assets/shaders/glass.wesl",
        "assets/scenes/a.scn.ron",
        "src/main.rs",
        "src/render.rs",
    ];
    let contents = |rel: &str, k: u64| -> String {
        let labels = ["Scene0", "Scene1", "Mesh0", "Mesh0/Primitive1", "Animation0", "DefaultMaterial"];
        let label = labels[(k % labels.len() as u64) as usize];
        match rel.rsplit_once('.').map_or("", |(_, e)| e) {
            "gltf" => {
                let scenes = vec!["{}"; (k % 3) as usize].join(",");
                let prims = vec!["{}"; (k / 3 % 3) as usize].join(",");
                format!("{{\"scenes\": [{scenes}], \"meshes\": [{{\"primitives\": [{prims}]}}]}}")
            }
            "wgsl" if k.is_multiple_of(3) => {
                format!("#define_import_path game::{}\n", ["common", "util"][(k / 3 % 2) as usize])
            }
            "wgsl" => {
                format!("#import game::{}::f\n#import bevy_pbr::x\n", ["common", "util", "none"][(k % 3) as usize])
            }
            "wesl" => format!("import super::{};\n", ["util", "glass", "none"][(k % 3) as usize]),
            "ron" => format!(
                "(a: \"models/{}.gltf#{label}\", b: \"textures/${{n}}.png\", c: \"textures/hero.png\")",
                ["ship", "boat"][(k / 7 % 2) as usize]
            ),
            "meta" if k.is_multiple_of(4) => "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n".into(),
            "meta" => "(meta_format_version: \"1.0\", asset: Load(loader: \"L\", settings: ()))".into(),
            "rs" if k.is_multiple_of(2) => "fn build(app: &mut App) { embedded_asset!(app, \"glow.wgsl\"); }\n".into(),
            "rs" => format!(
                "fn main() {{ s.load(\"embedded://game/glow.wgsl\"); s.load(\"{}\"); }}\n",
                ["textures/hero.png", "ui/hero.png", "models/ship.gltf#Scene1"][(k / 2 % 3) as usize]
            ),
            _ => "bin".into(),
        }
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut batch = Vec::new();
        let mut touched: Vec<&str> = Vec::new();
        for _ in 0..(1 + next() % 3) {
            let rel = files[(next() % files.len() as u64) as usize];
            if touched.contains(&rel) {
                continue;
            }
            touched.push(rel);
            match next() % 10 {
                0..=5 => batch.push(write(&root, rel, &contents(rel, next() % 1000))),
                6 if root.join(rel).is_file() => batch.push(remove(&root, rel)),
                7 if root.join(rel).is_file() => {
                    // A rename onto another name of the same extension.
                    let ext = rel.rsplit_once('.').map(|(_, e)| e);
                    let to = files
                        .iter()
                        .copied()
                        .find(|t| *t != rel && !touched.contains(t) && t.rsplit_once('.').map(|(_, e)| e) == ext);
                    if let Some(to) = to {
                        touched.push(to);
                        std::fs::create_dir_all(root.join(to).parent().unwrap()).unwrap();
                        std::fs::rename(root.join(rel), root.join(to)).unwrap();
                        batch.push(Change::Moved { from: root.join(rel), to: root.join(to) });
                    }
                }
                _ => {}
            }
        }
        apply_and_verify(&mut p, batch);
    }
}

/// Shader modules (`#define_import_path`) in an assetry project: a module
/// import is a build edge (a cycle through one is found), a second
/// declaration of a module is `duplicate-id` on both until one goes, and a
/// one-file change parses that file only.
#[test]
fn shader_modules_declared_imported_duplicated_and_removed() {
    let (_d, root) = fixture(&format!(
        "{}//- /assets/shaders/light.wgsl\n#define_import_path my::light\nfn l() {{}}\n//- /assets/shaders/sun.wgsl\n#import my::light::l\n",
        base()
    ));
    let mut p = Project::open(&root).unwrap();
    let codes = |p: &Project, rel: &str| p.diagnostics_of(rel).iter().map(|d| d.code).collect::<Vec<_>>();
    assert_eq!(codes(&p, "assets/shaders/sun.wgsl"), [Code::MissingMeta]);
    let parsed = p.files_parsed();
    // A second declaration: both are told, imports still resolve.
    apply_and_verify(&mut p, vec![write(&root, "assets/shaders/zz.wgsl", "#define_import_path my::light\n")]);
    assert_eq!(p.files_parsed(), parsed + 1);
    assert_eq!(codes(&p, "assets/shaders/light.wgsl"), [Code::MissingMeta, Code::DuplicateId]);
    assert_eq!(codes(&p, "assets/shaders/zz.wgsl"), [Code::MissingMeta, Code::DuplicateId]);
    let d = &p.diagnostics_of("assets/shaders/light.wgsl")[1];
    assert_eq!((d.range.start, d.range.end), (20, 29));
    assert_eq!(
        d.message,
        "shader module `my::light` is also declared by `assets/shaders/zz.wgsl`; imports of it resolve to \
         `assets/shaders/light.wgsl` here, and to whichever Bevy loads last in the game"
    );
    // The first by path goes: the import resolves to the other, alone again.
    apply_and_verify(&mut p, vec![remove(&root, "assets/shaders/light.wgsl")]);
    assert_eq!(codes(&p, "assets/shaders/zz.wgsl"), [Code::MissingMeta]);
    assert_eq!(codes(&p, "assets/shaders/sun.wgsl"), [Code::MissingMeta]);
    // The module imports its importer back: a cycle of build edges.
    apply_and_verify(
        &mut p,
        vec![write(&root, "assets/shaders/zz.wgsl", "#define_import_path my::light\n#import my::sun::x\n")],
    );
    apply_and_verify(
        &mut p,
        vec![write(&root, "assets/shaders/sun.wgsl", "#define_import_path my::sun\n#import my::light::l\n")],
    );
    assert_eq!(codes(&p, "assets/shaders/sun.wgsl"), [Code::MissingMeta, Code::Cycle]);
    assert_eq!(codes(&p, "assets/shaders/zz.wgsl"), [Code::MissingMeta, Code::Cycle]);
}
