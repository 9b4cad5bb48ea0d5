//! The incremental API against the ground truth of a fresh scan: after any
//! sequence of changes, `apply` must leave exactly the diagnostics that
//! opening the project anew would find, report exactly the files whose
//! diagnostics changed, and parse only the files that changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assetry_pipeline::{Change, ChangeBatch, Code, FileDiagnostics, Project};

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

/// Random edits, deletions and re-creations; after each batch the
/// incremental state must equal a fresh scan.
#[test]
fn random_changes_match_fresh_scans() {
    let (_d, root) = fixture(&base());
    let mut p = Project::open(&root).unwrap();
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
        "src/main.rs",
    ];
    let contents = |rel: &str, k: u64| -> String {
        let ids = [HERO, SKY, A, B, SHIP];
        let paths = [
            "textures/hero.png",
            "textures/sky.png",
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
            return format!("id = \"{id}\"\n[dependencies]\nload = [\"{}\"]\n", pick(k / 5));
        }
        if rel.ends_with(".json") {
            return format!(r#"{{"a": "{}", "b": "{}", "c": "{}"}}"#, pick(k), pick(k / 3), ids[(k % 5) as usize]);
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
    for round in 0..500 {
        let mut batch = Vec::new();
        for _ in 0..(1 + next() % 3) {
            let rel = files[(next() % files.len() as u64) as usize];
            // A move as the watcher reports it (a rename), onto another
            // name of the same kind: ids then move, and get duplicated.
            let to = files[(next() % files.len() as u64) as usize];
            if next().is_multiple_of(6)
                && rel != to
                && rel.ends_with(".meta") == to.ends_with(".meta")
                && root.join(rel).is_file()
            {
                std::fs::rename(root.join(rel), root.join(to)).unwrap();
                batch.push(Change::Moved { from: root.join(rel), to: root.join(to) });
            } else if next().is_multiple_of(4) && root.join(rel).exists() {
                batch.push(remove(&root, rel));
            } else {
                batch.push(write(&root, rel, &contents(rel, next() % 1000)));
            }
        }
        eprintln!("round {round}: {batch:?}");
        apply_and_verify(&mut p, batch);
    }
}
