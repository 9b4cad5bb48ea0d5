//! The Bevy flavour end to end: `assetry check` and `assetry fix` on small
//! Bevy-style projects (a `Cargo.toml` naming `bevy`, code with
//! `asset_server.load(…)`, RON `.meta` files, glTF and GLB files). Each
//! test states the whole result: every finding as (code, file, the text its
//! range covers), the exit status, and the flavour the summary names.

use std::collections::BTreeSet;
use std::path::Path;

use crate::check::TIMEOUT;
use crate::support::{CheckReport, check_json, fixture_copy, run_assetry, write_file};

/// (code, severity, path, the exact text the range covers; "" for a whole-file finding).
type Finding = (String, String, String, String);

fn findings(root: &Path, report: &CheckReport) -> BTreeSet<Finding> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let text = std::fs::read_to_string(root.join(&d.path)).unwrap_or_default();
            let lines: Vec<&str> = text.split('\n').collect();
            let (s, e) = (&d.range.start, &d.range.end);
            // The fixtures are ASCII: UTF-16 columns are byte columns.
            let covered = if s.line == e.line {
                lines.get(s.line as usize).map_or("", |l| &l[s.character as usize..e.character as usize]).to_owned()
            } else {
                format!("<lines {}-{}>", s.line, e.line)
            };
            (d.code.clone(), d.severity.clone(), d.path.clone(), covered)
        })
        .collect()
}

fn f(code: &str, severity: &str, path: &str, covered: &str) -> Finding {
    (code.to_owned(), severity.to_owned(), path.to_owned(), covered.to_owned())
}

fn check(root: &Path) -> (i32, CheckReport, BTreeSet<Finding>) {
    let (exit, report) = check_json(root, TIMEOUT);
    let found = findings(root, &report);
    (exit, report, found)
}

fn flavor(report: &CheckReport) -> (&str, &str) {
    (
        report.summary["flavor"].as_str().expect("summary.flavor"),
        report.summary["flavor_reason"].as_str().expect("summary.flavor_reason"),
    )
}

/// A Bevy game with no `.meta` but one RON `.meta`, glTF labels, a template
/// and a URL in a scene, code in `src/` and `examples/`: clean, exit 0,
/// and the summary says why it is a Bevy project. On the old code: a
/// `missing-meta` per asset, the RON `.meta` "not valid TOML", five
/// `unknown-label`s and two template `broken-path`s.
#[test]
fn a_bevy_game_checks_clean_and_says_why() {
    let dir = fixture_copy("bevy/game");
    let (exit, report, found) = check(dir.path());
    assert_eq!(found, BTreeSet::new());
    assert_eq!(exit, 0);
    assert_eq!(flavor(&report), ("bevy", "`Cargo.toml` depends on Bevy"));
    assert_eq!(report.summary["assets"], 4);
    // Scene: sky, 5 labels; code: 3 loads in src, 1 in examples; glTF: 1 uri.
    assert_eq!(report.summary["references"], 11);
    let run = run_assetry(dir.path(), &["check"], TIMEOUT);
    run.assert_exit(&[0]);
    assert_eq!(
        run.stdout,
        "0 errors, 0 warnings in 4 assets (11 references); bevy project: `Cargo.toml` depends on Bevy\n"
    );
}

/// The same tree is an assetry project without the Cargo.toml, or when
/// `assetry.toml` says so: `.meta` files are then required and TOML.
#[test]
fn the_flavour_is_detected_or_set() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "assetry.toml", "[project]\nflavor = \"assetry\"\n");
    let (exit, report, found) = check(root);
    assert_eq!(flavor(&report), ("assetry", "set by `project.flavor` in assetry.toml"));
    assert_eq!(exit, 1);
    let missing = |p: &str| f("missing-meta", "warning", p, "");
    assert!(found.contains(&missing("assets/textures/hero.png")), "{found:#?}");
    assert!(found.contains(&missing("assets/models/ship.gltf")), "{found:#?}");
    assert!(found.iter().any(|d| d.0 == "invalid-meta" && d.2 == "assets/textures/sky.png.meta"), "{found:#?}");

    // No Cargo.toml, no setting: the default.
    std::fs::remove_file(root.join("assetry.toml")).expect("remove");
    std::fs::remove_file(root.join("Cargo.toml")).expect("remove");
    let (_, report, found) = check(root);
    assert_eq!(flavor(&report).0, "assetry");
    assert!(found.contains(&missing("assets/textures/hero.png")), "{found:#?}");

    // A workspace whose member depends on Bevy; the member's code is read.
    write_file(root, "Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
    write_file(
        root,
        "crates/game/Cargo.toml",
        "[package]\nname = \"game\"\n[dependencies]\nbevy = { workspace = true }\n",
    );
    write_file(root, "crates/game/src/lib.rs", "fn f(s: &AssetServer) { s.load(\"textures/gone.png\"); }\n");
    let (exit, report, found) = check(root);
    assert_eq!(flavor(&report), ("bevy", "`crates/game/Cargo.toml` depends on Bevy"));
    assert_eq!(found, BTreeSet::from([f("broken-path", "error", "crates/game/src/lib.rs", "textures/gone.png")]));
    assert_eq!(exit, 1);
}

/// Bevy's `.meta` files are RON: a malformed one is `invalid-meta` where
/// the RON parser stopped; a TOML one says Bevy will fail to load the asset.
#[test]
fn bevy_meta_files_are_read_as_ron() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(
        root,
        "assets/textures/hero.png.meta",
        "(\n    meta_format_version: \"1.0\",\n    asset: Lod(loader: \"x\", settings: ()),\n)\n",
    );
    write_file(root, "assets/models/ship.gltf.meta", "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    let (exit, report, found) = check(root);
    assert_eq!(
        found,
        BTreeSet::from([
            f("invalid-meta", "error", "assets/textures/hero.png.meta", "Lod"),
            f("invalid-meta", "error", "assets/models/ship.gltf.meta", "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\""),
        ])
    );
    assert_eq!(exit, 1);
    let toml = report.diagnostics.iter().find(|d| d.path.ends_with("ship.gltf.meta")).expect("toml finding");
    assert!(toml.message.contains("Bevy will fail to load its asset"), "{}", toml.message);
}

/// A GLB: header, JSON chunk, BIN chunk.
fn glb(json: &str) -> Vec<u8> {
    let mut json = json.as_bytes().to_vec();
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    let bin = [0u8; 8];
    let mut out = Vec::new();
    out.extend(b"glTF");
    out.extend(2u32.to_le_bytes());
    out.extend(((12 + 8 + json.len() + 8 + bin.len()) as u32).to_le_bytes());
    out.extend((json.len() as u32).to_le_bytes());
    out.extend(b"JSON");
    out.extend(&json);
    out.extend((bin.len() as u32).to_le_bytes());
    out.extend(b"BIN\0");
    out.extend(bin);
    out
}

/// Labels come from the glTF or GLB file, in Bevy's syntax; a label on a
/// file whose loader Assetry does not know is not judged.
#[test]
fn gltf_and_glb_labels_are_read_from_the_file() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "assets/models/fox.glb", glb(r#"{"asset":{"version":"2.0"},"scenes":[{},{}],"skins":[{}]}"#));
    write_file(
        root,
        "assets/scenes/more.scn.ron",
        r#"(
    a: "models/ship.gltf#Scene1",
    b: "models/ship.gltf#Mesh0/Primitive2",
    c: "models/ship.gltf#Texture0",
    d: "models/fox.glb#Scene1",
    e: "models/fox.glb#Skin0/InverseBindMatrices",
    f: "models/fox.glb#Scene2",
    g: "textures/hero.png#Whatever",
    h: "models/ship.gltf#Mesh0/Primitive1/MorphTargets",
)
"#,
    );
    let (exit, _, found) = check(root);
    let label = |covered: &str| f("unknown-label", "error", "assets/scenes/more.scn.ron", covered);
    assert_eq!(
        found,
        BTreeSet::from([
            label("models/ship.gltf#Scene1"),
            label("models/ship.gltf#Mesh0/Primitive2"),
            label("models/ship.gltf#Texture0"),
            label("models/fox.glb#Scene2"),
        ])
    );
    assert_eq!(exit, 1);
}

/// `embedded://` paths are checked against the code's `embedded_asset!`
/// calls; a `[sources]` source maps to a folder; URLs and unmapped sources
/// are never looked up.
#[test]
fn asset_sources_resolve_where_bevy_loads_them() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "assetry.toml", "[sources]\nremote = \"remote_assets\"\n");
    write_file(root, "remote_assets/clouds.png", "PNG");
    write_file(root, "src/render/mod.rs", "fn build(app: &mut App) {\n    embedded_asset!(app, \"glow.wgsl\");\n}\n");
    write_file(root, "src/render/glow.wgsl", "fn glow() {}\n");
    write_file(
        root,
        "src/effects.rs",
        r#"fn setup(s: Res<AssetServer>) {
    let _a: Handle<Shader> = s.load("embedded://game/render/glow.wgsl");
    let _b: Handle<Shader> = s.load("embedded://game/render/dim.wgsl");
    let _c: Handle<Image> = s.load("remote://clouds.png");
    let _d: Handle<Image> = s.load("remote://rain.png");
    let _e: Handle<Image> = s.load("cdn://anything.png");
    let _f: Handle<Scene> = s.load("https://example.com/scene.gltf#Scene0");
}
"#,
    );
    let (exit, report, found) = check(root);
    assert_eq!(
        found,
        BTreeSet::from([
            f("broken-path", "error", "src/effects.rs", "embedded://game/render/dim.wgsl"),
            f("broken-path", "error", "src/effects.rs", "remote://rain.png"),
        ])
    );
    assert_eq!(exit, 1);
    let embedded = report.diagnostics.iter().find(|d| d.message.contains("dim.wgsl")).expect("embedded finding");
    assert!(embedded.message.contains("no `embedded_asset!` call"), "{}", embedded.message);
}

/// `AssetPlugin { file_path }` moves the asset root of the code that sets
/// it (Bevy's own examples do); `examples/` is a code folder by default.
#[test]
fn asset_plugin_file_path_moves_the_root() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "examples/files/icon.png", "PNG");
    write_file(
        root,
        "examples/settings.rs",
        r#"fn main() {
    App::new().add_plugins(DefaultPlugins.set(AssetPlugin {
        file_path: "examples/files".to_string(),
        ..default()
    }));
}
fn setup(s: Res<AssetServer>) {
    let _a: Handle<Image> = s.load("icon.png");
    let _b: Handle<Image> = s.load("textures/hero.png");
}
"#,
    );
    let (exit, report, found) = check(root);
    assert_eq!(found, BTreeSet::from([f("broken-path", "error", "examples/settings.rs", "textures/hero.png")]));
    assert_eq!(exit, 1);
    assert!(
        report.diagnostics[0].message.contains("examples/files/textures/hero.png"),
        "{}",
        report.diagnostics[0].message
    );
}

/// In Bevy a load is a handle that never blocks its loader: scenes naming
/// each other are no cycle there (they are in the assetry flavour).
#[test]
fn loads_naming_each_other_are_no_cycle_in_bevy() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "assets/scenes/a.scn.ron", "(next: \"scenes/b.scn.ron\")\n");
    write_file(root, "assets/scenes/b.scn.ron", "(next: \"scenes/a.scn.ron\")\n");
    let (exit, _, found) = check(root);
    assert_eq!(found, BTreeSet::new());
    assert_eq!(exit, 0);
}

/// No fix writes an id into a Bevy project: `fix --to-ids` refuses and
/// changes nothing.
#[test]
fn fix_to_ids_refuses_in_a_bevy_project() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    let before = std::fs::read_to_string(root.join("src/main.rs")).expect("read");
    let run = run_assetry(root, &["fix", "--to-ids"], TIMEOUT);
    run.assert_exit(&[2]);
    assert!(run.stderr.contains("loads assets by path"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(root.join("src/main.rs")).expect("read"), before);
    assert!(!root.join("assets/textures/hero.png.meta").exists());
}

/// `[diagnostics]` sets each code's severity (or turns it off), in any
/// flavour; `check --select/--ignore` narrows one run.
#[test]
fn diagnostics_severities_and_select() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write_file(root, "assets/hero.png", "PNG");
    write_file(root, "assets/scene.json", "{\"a\": \"hero.png\", \"b\": \"gone.png\"}\n");
    write_file(root, "assets/scene.json.meta", "id = \"1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    let (exit, _, found) = check(root);
    let broken = f("broken-path", "error", "assets/scene.json", "gone.png");
    let missing = f("missing-meta", "warning", "assets/hero.png", "");
    assert_eq!(found, BTreeSet::from([broken.clone(), missing.clone()]));
    assert_eq!(exit, 1);

    let json = |args: &[&str]| {
        let mut all = vec!["check", "--format", "json"];
        all.extend(args);
        let run = run_assetry(root, &all, TIMEOUT);
        run.assert_exit(&[0, 1]);
        let report = crate::support::parse_check_json(&run.stdout);
        (run.code.unwrap_or(-1), findings(root, &report))
    };
    assert_eq!(json(&["--select", "missing-meta"]), (0, BTreeSet::from([missing.clone()])));
    assert_eq!(json(&["--ignore", "missing-meta,cycle"]), (1, BTreeSet::from([broken.clone()])));
    let run = run_assetry(root, &["check", "--select", "missing_meta"], TIMEOUT);
    run.assert_exit(&[2]);
    assert!(run.stderr.contains("--select `missing_meta`: not a diagnostic code"), "{}", run.stderr);

    write_file(root, "assetry.toml", "[diagnostics]\nmissing-meta = \"off\"\nbroken-path = \"warning\"\n");
    let (exit, _, found) = check(root);
    assert_eq!(found, BTreeSet::from([f("broken-path", "warning", "assets/scene.json", "gone.png")]));
    assert_eq!(exit, 0);

    write_file(root, "assetry.toml", "[diagnostics]\nbroken-path = \"loud\"\n");
    let run = run_assetry(root, &["check"], TIMEOUT);
    run.assert_exit(&[2]);
    assert!(
        run.stderr.contains("line 2, column 16: diagnostics.broken-path: `\"loud\"` is not a severity"),
        "{}",
        run.stderr
    );
}

/// Shaders: naga_oil module imports resolve through the project's
/// `#define_import_path` declarations (Bevy's own modules and unknown
/// packages are not judged); WESL `package::`/`super::` imports are
/// `.wesl` files.
#[test]
fn shader_module_imports_resolve_through_declarations() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "assets/shaders/common.wgsl", "#define_import_path my_game::common\nfn f() {}\n");
    write_file(
        root,
        "assets/shaders/water.wgsl",
        "#import my_game::common::f\n#import my_game::missing\n#import bevy_pbr::forward_io::VertexOutput\n\
         #import \"shaders/common.wgsl\"\n#import other_crate::x\n",
    );
    write_file(root, "assets/shaders/util.wesl", "fn dots() {}\n");
    write_file(
        root,
        "assets/shaders/glass.wesl",
        "import package::shaders::util::dots;\nimport super::util;\nimport super::nothing::X;\nimport bevy_pbr::render::x;\n",
    );
    let (exit, report, found) = check(root);
    assert_eq!(
        found,
        BTreeSet::from([
            f("broken-path", "error", "assets/shaders/water.wgsl", "my_game::missing"),
            f("broken-path", "error", "assets/shaders/glass.wesl", "super::nothing::X"),
        ])
    );
    assert_eq!(exit, 1);
    let module = report.diagnostics.iter().find(|d| d.path.ends_with("water.wgsl")).expect("module finding");
    assert!(module.message.contains("declares `#define_import_path my_game::missing`"), "{}", module.message);
    // The imports are build edges of the graph.
    let run = run_assetry(root, &["graph", "--format", "json"], TIMEOUT);
    run.assert_exit(&[0]);
    let graph: serde_json::Value = serde_json::from_str(&run.stdout).expect("graph json");
    let edges = graph["edges"].as_array().expect("edges");
    let has = |from: &str, to: &str| edges.iter().any(|e| e["from"] == from && e["to"] == to && e["kind"] == "build");
    assert!(has("assets/shaders/water.wgsl", "assets/shaders/common.wgsl"), "{edges:#?}");
    assert!(has("assets/shaders/glass.wesl", "assets/shaders/util.wesl"), "{edges:#?}");
}

/// A texture moved with a file manager while `assetry watch` runs: in a
/// Bevy project (no ids) the move is recognised by its path, and the broken
/// load says where the texture went.
#[test]
fn a_move_outside_the_editor_is_recognised_without_ids() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    let mut watch = crate::watch::Watch::start(&root);
    watch.expect("with the initial totals", |l| l.starts_with("0 errors, 0 warnings in 4 assets"));
    std::fs::create_dir_all(root.join("assets/ui")).expect("mkdir");
    std::fs::rename(root.join("assets/textures/hero.png"), root.join("assets/ui/hero.png")).expect("rename");
    // The watcher may see the move as a delete, then (once it watches the
    // new folder) a create: the findings may first say "does not exist",
    // then where the texture went. Printed by path: the glTF's image, then
    // the code's load.
    let moved = "the asset moved to `assets/ui/hero.png`";
    watch.expect("for the glTF image, moved", |l| {
        l.starts_with("+ error[broken-path] assets/models/ship.gltf:8:23:") && l.ends_with(moved)
    });
    watch.expect("for the load, moved", |l| {
        l.starts_with("+ error[broken-path] src/main.rs:4:58:") && l.ends_with(moved)
    });
    watch.expect("with the new totals", |l| l == "2 errors, 0 warnings in 4 assets");
}

/// The flavour is a preset: each of its options can be set on its own.
#[test]
fn each_option_of_the_preset_can_be_set_alone() {
    let dir = fixture_copy("bevy/game");
    let root = dir.path();
    write_file(root, "assetry.toml", "[meta]\nrequired = true\n[fix]\nids_in_code = true\n");
    let (exit, report, found) = check(root);
    assert_eq!(flavor(&report).0, "bevy");
    let missing = |p: &str| f("missing-meta", "warning", p, "");
    assert_eq!(
        found,
        BTreeSet::from([
            missing("assets/textures/hero.png"),
            missing("assets/models/ship.gltf"),
            missing("assets/scenes/level.scn.ron"),
        ])
    );
    assert_eq!(exit, 0);
    // Allowed now; there is no id to write (Bevy .meta files carry none).
    let run = run_assetry(root, &["fix", "--to-ids"], TIMEOUT);
    run.assert_exit(&[0]);

    // An assetry project whose `.meta` files are Bevy's RON: the RON
    // `.meta` reads and none is required, but labels and templates follow
    // the assetry flavour (labels from `.meta` files; no templates).
    write_file(root, "assetry.toml", "[project]\nflavor = \"assetry\"\n[meta]\nsyntax = \"ron\"\nrequired = false\n");
    let (exit, report, found) = check(root);
    assert_eq!(flavor(&report).0, "assetry");
    let scene = "assets/scenes/level.scn.ron";
    let label = |covered: &str| f("unknown-label", "error", scene, covered);
    assert_eq!(
        found,
        BTreeSet::from([
            f("broken-path", "error", scene, "textures/${name}.png"),
            f("broken-path", "error", scene, "textures/frame_{}.png"),
            label("models/ship.gltf#Scene0"),
            label("models/ship.gltf#Mesh0/Primitive1"),
            label("models/ship.gltf#Material0"),
            label("models/ship.gltf#Animation0"),
            label("models/ship.gltf#Node1"),
            f("unknown-label", "error", "src/main.rs", "models/ship.gltf#Scene0"),
        ])
    );
    assert_eq!(exit, 1);
}
