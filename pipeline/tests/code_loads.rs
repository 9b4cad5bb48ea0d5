//! Consts used as asset paths in another file of the crate: the diagnostic
//! sits on the string in the const, with the use as related information,
//! and a one-file change re-parses that file only (the other file is
//! reached through the const index). Every step is checked against a fresh
//! scan of the same files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assetry_pipeline::{Change, ChangeBatch, Code, Diagnostic, Project, TextRange};

const CONSTS: &str = "src/consts.rs";
const GAME: &str = "src/game.rs";

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "assets/shaders/water.wgsl", "fn f() {}");
    write(&root, "assets/shaders/water.wgsl.meta", "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    write(
        &root,
        CONSTS,
        "pub const WATER_SHADER: &str = \"shaders/zz_water.wgsl\";\npub const SCREENSHOT: &str = \"shot.png\";\n",
    );
    write(
        &root,
        GAME,
        "fn setup(a: Res<AssetServer>) {\n    let h: Handle<Shader> = a.load(consts::WATER_SHADER);\n}\n",
    );
    (dir, root)
}

fn full(p: &Project) -> BTreeMap<String, Vec<Diagnostic>> {
    p.all_diagnostics().into_iter().map(|f| (f.path, f.diagnostics)).collect()
}

fn range_of(text: &str, needle: &str) -> TextRange {
    let start = text.find(needle).unwrap_or_else(|| panic!("{needle} in {text}")) as u32;
    TextRange::new(start, start + needle.len() as u32)
}

/// Writes `rel` and applies the change; checks the state against a fresh
/// scan and that exactly one file was parsed.
fn edit(p: &mut Project, rel: &str, text: &str) {
    let path = write(p.root(), rel, text);
    let parsed = p.files_parsed();
    p.apply(ChangeBatch::from(vec![Change::Disk(path)]));
    assert_eq!(p.files_parsed(), parsed + 1, "a one-file change parses that file only");
    let fresh = Project::open(p.root()).unwrap();
    assert_eq!(full(p), full(&fresh), "incremental state differs from a fresh scan");
    assert_eq!(p.reference_count(), fresh.reference_count());
}

#[test]
fn a_const_used_in_another_file_is_reported_where_it_is_written() {
    let (_dir, root) = project();
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let consts = std::fs::read_to_string(root.join(CONSTS)).unwrap();
    let game = std::fs::read_to_string(root.join(GAME)).unwrap();
    let d = p.diagnostics_of(CONSTS);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].code, d[0].range), (Code::BrokenPath, range_of(&consts, "shaders/zz_water.wgsl")));
    assert_eq!(d[0].related.len(), 1);
    assert_eq!((d[0].related[0].path.as_str(), d[0].related[0].range), (GAME, range_of(&game, "WATER_SHADER")));
    assert_eq!(d[0].related[0].message, "`WATER_SHADER` is used as an asset path here");
    // The screenshot name is used nowhere as a path: not a reference.
    assert_eq!(p.reference_count(), 1);
    assert!(p.diagnostics_of(GAME).is_empty());

    // The use goes away: the const is no longer a reference.
    edit(&mut p, GAME, "fn setup(a: Res<AssetServer>) {\n    save(consts::WATER_SHADER);\n}\n");
    assert!(p.diagnostics_of(CONSTS).is_empty());
    assert_eq!(p.reference_count(), 0);
    // It comes back, twice, further down: both uses are related.
    let two =
        "// moved\nfn setup(a: Res<AssetServer>) {\n    a.load(WATER_SHADER);\n    a.load(consts::WATER_SHADER);\n}\n";
    edit(&mut p, GAME, two);
    let d = p.diagnostics_of(CONSTS);
    assert_eq!(d.len(), 1);
    let uses: Vec<u32> = d[0].related.iter().map(|r| r.range.start).collect();
    assert_eq!(uses, [two.find("WATER_SHADER").unwrap() as u32, two.rfind("WATER_SHADER").unwrap() as u32]);
    // The const is fixed: clean, and the use still resolves through it.
    edit(&mut p, CONSTS, "pub const WATER_SHADER: &str = \"shaders/water.wgsl\";\n");
    assert!(full(&p).values().all(|d| d.iter().all(|d| d.code != Code::BrokenPath)), "{:#?}", full(&p));
    assert_eq!(p.reference_count(), 1);
    // The const is renamed away: the use names nothing, the string is not a reference.
    edit(&mut p, CONSTS, "pub const LAKE_SHADER: &str = \"shaders/zz_gone.wgsl\";\n");
    assert_eq!(p.reference_count(), 0);
    // The using file is removed.
    edit(&mut p, CONSTS, "pub const WATER_SHADER: &str = \"shaders/zz_water.wgsl\";\n");
    assert_eq!(p.diagnostics_of(CONSTS).len(), 1);
    std::fs::remove_file(root.join(GAME)).unwrap();
    p.apply(ChangeBatch::from(vec![Change::Removed(root.join(GAME))]));
    assert!(p.diagnostics_of(CONSTS).is_empty());
    assert_eq!(full(&p), full(&Project::open(&root).unwrap()));
}

#[test]
fn a_const_used_in_its_own_file_names_the_use() {
    let (_dir, root) = project();
    let text = "const SKY: &str = \"textures/zz_sky.png\";\nfn f(a: Res<AssetServer>) {\n    commands.spawn(children![ImageNode::new(a.load(SKY))]);\n}\n";
    write(&root, GAME, text);
    let p = Project::open(&root).unwrap();
    let d = p.diagnostics_of(GAME);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].range, range_of(text, "textures/zz_sky.png"));
    let related: Vec<(&str, TextRange)> = d[0].related.iter().map(|r| (r.path.as_str(), r.range)).collect();
    let use_at = text.rfind("SKY").unwrap() as u32;
    assert_eq!(related, [(GAME, TextRange::new(use_at, use_at + 3))]);
}

/// Applies one change and checks the state against a fresh scan.
fn apply_verified(p: &mut Project, change: Change) {
    p.apply(ChangeBatch::from(vec![change]));
    let fresh = Project::open(p.root()).unwrap();
    assert_eq!(full(p), full(&fresh), "incremental state differs from a fresh scan");
    assert_eq!(p.reference_count(), fresh.reference_count());
}

#[test]
fn embedded_files_and_folders_follow_the_disk() {
    let (_dir, root) = project();
    let text = "fn build(app: &mut App, a: Res<AssetServer>) {\n    warn!(include_str!(\"notes/warning.txt\"));\n    embedded_asset!(app, \"files/light.png\");\n    a.load_folder(\"textures/rpg\");\n}\n";
    write(&root, GAME, text);
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let broken: Vec<(Code, TextRange, String)> =
        p.diagnostics_of(GAME).iter().map(|d| (d.code, d.range, d.message.clone())).collect();
    assert_eq!(
        broken,
        [
            (
                Code::BrokenPath,
                range_of(text, "notes/warning.txt"),
                "`notes/warning.txt` does not exist (no asset at `src/notes/warning.txt`)".to_owned()
            ),
            (
                Code::BrokenPath,
                range_of(text, "files/light.png"),
                "`files/light.png` does not exist (no asset at `src/files/light.png`)".to_owned()
            ),
            (
                Code::BrokenPath,
                range_of(text, "textures/rpg"),
                "`textures/rpg` does not exist (no asset at `assets/textures/rpg`)".to_owned()
            ),
        ]
    );
    // The text file appears beside the code (no project file: not an
    // asset, not code), then the image, then a file in the folder.
    apply_verified(&mut p, Change::Disk(write(&root, "src/notes/warning.txt", "careful")));
    assert_eq!(p.diagnostics_of(GAME).len(), 2);
    apply_verified(&mut p, Change::Disk(write(&root, "src/files/light.png", "PNG")));
    assert_eq!(p.diagnostics_of(GAME).len(), 1);
    apply_verified(&mut p, Change::Disk(write(&root, "assets/textures/rpg/hero.png", "PNG")));
    assert!(p.diagnostics_of(GAME).is_empty(), "{:#?}", p.diagnostics_of(GAME));
    // And they go away again.
    std::fs::remove_file(root.join("assets/textures/rpg/hero.png")).unwrap();
    apply_verified(&mut p, Change::Removed(root.join("assets/textures/rpg/hero.png")));
    std::fs::remove_file(root.join("src/notes/warning.txt")).unwrap();
    apply_verified(&mut p, Change::Removed(root.join("src/notes/warning.txt")));
    assert_eq!(p.diagnostics_of(GAME).len(), 2);
}

#[test]
fn embedded_files_follow_renames_and_never_become_ids() {
    let (_dir, root) = project();
    let text = "fn build(a: Res<AssetServer>) {\n    let src = include_str!(\"../assets/shaders/water.wgsl\");\n    let h: Handle<Shader> = a.load(\"shaders/water.wgsl\");\n}\n";
    write(&root, GAME, text);
    let p = Project::open(&root).unwrap();
    assert!(p.diagnostics_of(GAME).is_empty(), "{:#?}", p.diagnostics_of(GAME));
    // To ids: the load becomes the id, the embedded file name stays.
    let change =
        assetry_pipeline::ide::fix_project(&p, assetry_pipeline::ide::ProjectFixes { to_ids: true, repair: false });
    let edits: Vec<TextRange> = change.edits[GAME].iter().map(|e| e.range).collect();
    assert_eq!(
        edits,
        [TextRange::new(text.rfind("shaders/water.wgsl").unwrap() as u32, text.rfind(".wgsl").unwrap() as u32 + 5)]
    );
    // A rename rewrites both, each in its own form.
    let change = assetry_pipeline::ide::rename(
        &p,
        &[("assets/shaders/water.wgsl".to_owned(), "assets/shaders/lake.wgsl".to_owned())],
    );
    let new: Vec<&str> = change.edits[GAME].iter().map(|e| e.new_text.as_str()).collect();
    assert_eq!(new, ["../assets/shaders/lake.wgsl", "shaders/lake.wgsl"]);
}

#[test]
fn definition_at_a_const_name_used_as_a_path() {
    let (_dir, root) = project();
    write(&root, CONSTS, "pub const WATER_SHADER: &str = \"shaders/water.wgsl\";\n");
    let game = "const LOCAL: &str = \"shaders/water.wgsl\";\nfn f(a: Res<AssetServer>) {\n    a.load(consts::WATER_SHADER);\n    a.load(LOCAL);\n    save(LOCAL);\n}\n";
    write(&root, GAME, game);
    let p = Project::open(&root).unwrap();
    let at = |needle: &str, nth_from_end: bool| {
        let i = if nth_from_end { game.rfind(needle) } else { game.find(needle) }.unwrap();
        assetry_pipeline::ide::definition(&p, GAME, i as u32 + 2).map(|t| t.path)
    };
    assert_eq!(at("WATER_SHADER", false).as_deref(), Some("assets/shaders/water.wgsl"));
    assert_eq!(at("LOCAL);\n    save", false).as_deref(), Some("assets/shaders/water.wgsl"));
    // Not a path position: nothing.
    assert_eq!(at("LOCAL);\n}", true), None);
    // Hover on the name: the asset, over the name.
    let i = game.find("WATER_SHADER").unwrap();
    let h = assetry_pipeline::ide::hover(&p, GAME, i as u32 + 3).unwrap();
    assert_eq!((h.path.as_str(), h.range), ("assets/shaders/water.wgsl", range_of(game, "WATER_SHADER")));
    assert_eq!(assetry_pipeline::ide::hover(&p, GAME, game.rfind("LOCAL").unwrap() as u32 + 1), None);
}

#[test]
fn folder_loads_follow_folder_renames() {
    let (_dir, root) = project();
    write(&root, "assets/textures/rpg/hero.png", "PNG");
    let game =
        "fn f(a: Res<AssetServer>) {\n    a.load_folder(\"textures/rpg\");\n    a.load_folder(\"shaders\");\n}\n";
    write(&root, GAME, game);
    let p = Project::open(&root).unwrap();
    assert!(p.diagnostics_of(GAME).is_empty(), "{:#?}", p.diagnostics_of(GAME));
    let edits = |from: &str, to: &str| -> Vec<(TextRange, String)> {
        let change = assetry_pipeline::ide::rename(&p, &[(from.to_owned(), to.to_owned())]);
        change.edits.get(GAME).map_or(Vec::new(), |e| e.iter().map(|e| (e.range, e.new_text.clone())).collect())
    };
    let rpg = range_of(game, "textures/rpg");
    assert_eq!(edits("assets/textures/rpg", "assets/textures/chars"), [(rpg, "textures/chars".to_owned())]);
    assert_eq!(edits("assets/textures", "assets/tex"), [(rpg, "tex/rpg".to_owned())]);
    // A folder of the same name elsewhere, or a file: no edit.
    assert_eq!(edits("assets/other/rpg", "assets/other/x"), []);
    assert_eq!(edits("assets/textures/rpg/hero.png", "assets/textures/rpg/h.png"), []);
}

/// `GltfAssetLabel::Scene(1).from_asset("…")` is judged by what the glTF
/// file holds now: it follows edits of the file and of the code, each step
/// equal to a fresh scan.
#[test]
fn a_label_given_in_code_follows_the_gltf_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "Cargo.toml", "[package]\nname = \"game\"\n[dependencies]\nbevy = \"0.16\"\n");
    let one_scene = "{\"asset\": {\"version\": \"2.0\"}, \"scenes\": [{}]}";
    write(&root, "assets/models/ship.gltf", one_scene);
    let code =
        "fn setup(a: Res<AssetServer>) {\n    a.load(GltfAssetLabel::Scene(1).from_asset(\"models/ship.gltf\"));\n}\n";
    write(&root, GAME, code);
    let mut p = Project::open(&root).unwrap();
    p.prepare_for_changes();
    let d = p.diagnostics_of(GAME);
    assert_eq!(
        d.iter().map(|d| (d.code, d.range)).collect::<Vec<_>>(),
        [(Code::UnknownLabel, range_of(code, "GltfAssetLabel::Scene(1)"))]
    );
    // A second scene: the label exists.
    edit(&mut p, "assets/models/ship.gltf", "{\"asset\": {\"version\": \"2.0\"}, \"scenes\": [{}, {}]}");
    assert_eq!(p.diagnostics_of(GAME), []);
    // The code asks for a third.
    let third = code.replace("Scene(1)", "Scene(2)");
    edit(&mut p, GAME, &third);
    let d = p.diagnostics_of(GAME);
    assert_eq!(
        d.iter().map(|d| (d.code, d.range)).collect::<Vec<_>>(),
        [(Code::UnknownLabel, range_of(&third, "GltfAssetLabel::Scene(2)"))]
    );
    // A variable index: the path alone is checked.
    edit(&mut p, GAME, &code.replace("Scene(1)", "Scene(i)"));
    assert_eq!(p.diagnostics_of(GAME), []);
}
