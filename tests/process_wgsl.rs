//! WGSL shaders processed by the real binary: module imports
//! (`#import my::lighting`) as graph edges (reprocessing, cycles,
//! go-to-definition), Bevy's own modules from a cargo registry, SPIR-V
//! output, and validation errors that quote the shader.

use std::path::Path;

use serde_json::{Value, json};

use crate::process::{process, save};
use crate::support::lsp::{LspClient, file_uri};
use crate::support::{assetry_bin, write_file};

const LIGHTING: &str = "#define_import_path my::lighting\n\nfn light() -> f32 { return 0.5; }\n";
const SUN: &str = "#define_import_path my::sun\n#import my::lighting::light\n\nfn sun_color() -> vec4<f32> { return vec4<f32>(light()); }\n";
const DAWN: &str = "#import my::{\n    sun::sun_color,\n}\n\n@fragment\nfn dawn() -> @location(0) vec4<f32> {\n    return sun_color();\n}\n";
const SKY: &str =
    "#import my::sun::sun_color\n\n@fragment\nfn sky() -> @location(0) vec4<f32> {\n    return sun_color();\n}\n";

/// Three shaders chained by module imports (sky → sun → lighting), one
/// importing sun in braces over several lines (dawn) and one that imports
/// none of them.
fn modules_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "assets/shaders/lighting.wgsl", LIGHTING);
    write_file(d, "assets/shaders/sun.wgsl", SUN);
    write_file(d, "assets/shaders/sky.wgsl", SKY);
    write_file(d, "assets/shaders/dawn.wgsl", DAWN);
    write_file(
        d,
        "assets/shaders/other.wgsl",
        "@fragment\nfn other() -> @location(0) vec4<f32> { return vec4<f32>(1.0); }\n",
    );
    dir
}

fn artifact(d: &Path, rel: &str) -> String {
    std::fs::read_to_string(d.join(".assetry/out/default").join(rel)).unwrap()
}

#[test]
fn editing_a_module_reprocesses_exactly_its_transitive_importers() {
    let dir = modules_project();
    let d = dir.path();
    let first = process(d, &[]);
    assert_eq!(
        first.processed,
        [
            "assets/shaders/dawn.wgsl",
            "assets/shaders/lighting.wgsl",
            "assets/shaders/other.wgsl",
            "assets/shaders/sky.wgsl",
            "assets/shaders/sun.wgsl"
        ]
    );
    assert!(first.errors.is_empty(), "{first:?}");
    assert!(artifact(d, "shaders/sky.wgsl").contains("0.5"), "{}", artifact(d, "shaders/sky.wgsl"));
    save(d, "assets/shaders/lighting.wgsl", &LIGHTING.replace("0.5", "0.75"));
    let second = process(d, &[]);
    // Before module imports were edges, only lighting.wgsl was processed
    // again and sky's artifact kept the old 0.5.
    assert_eq!(
        second.processed,
        [
            "assets/shaders/dawn.wgsl",
            "assets/shaders/lighting.wgsl",
            "assets/shaders/sky.wgsl",
            "assets/shaders/sun.wgsl"
        ]
    );
    for importer in ["shaders/sky.wgsl", "shaders/dawn.wgsl"] {
        let out = artifact(d, importer);
        assert!(out.contains("0.75") && !out.contains("0.5"), "{importer}: {out}");
    }
    assert_eq!(process(d, &[]).processed, Vec::<String>::new());
}

#[test]
fn module_imports_in_check_unresolved_foreign_broken_own_and_cycles() {
    let dir = modules_project();
    let d = dir.path();
    // Another crate's module is not judged; a module under a first segment
    // the project declares (`my::`) that nobody declares is broken.
    write_file(
        d,
        "assets/shaders/foreign.wgsl",
        "#import bevy_pbr::forward_io::VertexOutput\n#import my::nothing::x\n",
    );
    write_file(d, "assets/shaders/a.wgsl", "#define_import_path my::a\n#import my::b::f\nfn g() {}\n");
    write_file(d, "assets/shaders/b.wgsl", "#define_import_path my::b\n#import my::a::g\nfn f() {}\n");
    let (_, report) = crate::support::check_json(d, std::time::Duration::from_secs(60));
    // Every shader lacks a `.meta`: that warning is not what is tested.
    let diags: Vec<_> = report.diagnostics.iter().filter(|x| x.code != "missing-meta").collect();
    let found: Vec<(String, String, u32)> =
        diags.iter().map(|x| (x.path.clone(), x.code.clone(), x.range.start.line)).collect();
    assert_eq!(
        found,
        [
            ("assets/shaders/a.wgsl".to_owned(), "cycle".to_owned(), 1),
            ("assets/shaders/b.wgsl".to_owned(), "cycle".to_owned(), 1),
            ("assets/shaders/foreign.wgsl".to_owned(), "broken-path".to_owned(), 1),
        ]
    );
    let broken = diags[2];
    assert_eq!((broken.range.start.character, broken.range.end.character), (8, 22));
    assert_eq!(
        broken.message,
        "no shader in the project declares `#define_import_path my::nothing::x` (nor a module `my::nothing::x` is inside)"
    );
}

#[test]
fn go_to_definition_on_a_module_import_opens_the_shader_declaring_it() {
    let dir = modules_project();
    let d = dir.path();
    let (mut client, _) = LspClient::start(&assetry_bin(), &[d]);
    let sky = file_uri(&d.join("assets/shaders/sky.wgsl"));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": sky, "languageId": "wgsl", "version": 1, "text": SKY}}),
    );
    // The open document is checked: its diagnostics are the event (no
    // `.meta`: the only finding; the import resolves).
    let codes: Vec<Value> = client.diagnostics(&sky).iter().map(|x| x["code"].clone()).collect();
    assert_eq!(codes, [json!("missing-meta")]);
    let at = |character: u32| json!({"textDocument": {"uri": sky}, "position": {"line": 0, "character": character}});
    let def = client.request_ok("textDocument/definition", at(12));
    let range = json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}});
    assert_eq!(def, json!({"uri": file_uri(&d.join("assets/shaders/sun.wgsl")), "range": range}));
    // `#import` itself is no reference.
    assert_eq!(client.request_ok("textDocument/definition", at(3)), Value::Null);
    // Every import of the project resolves: no shader has a finding but its missing `.meta`.
    for (uri, diags) in client.shutdown_with_last_diagnostics() {
        let codes: Vec<&Value> = diags.iter().map(|x| &x["code"]).collect();
        assert_eq!(codes, [&json!("missing-meta")], "{uri}");
    }
}

/// `assetry process` with `CARGO_HOME` set: (processed paths, error lines).
pub(crate) fn process_with_cargo_home(d: &Path, cargo_home: &Path) -> (Vec<String>, Vec<String>) {
    let out = std::process::Command::new(assetry_bin())
        .arg("process")
        .current_dir(d)
        .env("CARGO_HOME", cargo_home)
        .output()
        .expect("run assetry process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut processed: Vec<String> =
        stdout.lines().filter_map(|l| l.strip_prefix("processed ")).map(str::to_owned).collect();
    processed.sort();
    let errors = stdout.lines().filter(|l| l.starts_with("error: ")).map(str::to_owned).collect();
    (processed, errors)
}

/// Where cargo unpacks crates.io sources under `CARGO_HOME`.
pub(crate) const REGISTRY: &str = "registry/src/index.crates.io-1949cf8c6b5b557f";

/// A game depending on Bevy whose `Cargo.lock` names `bevy_pbr` at
/// `version`, a material shader importing two of its modules, and a
/// cargo home holding a tiny `bevy_pbr` 0.19.1 with those modules (one
/// needing the shader defs Bevy sets: a vertex attribute's `#ifdef`, a
/// light count's `#{…}`); one import in braces over several lines.
fn bevy_game(version: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let game = tempfile::tempdir().unwrap();
    let d = game.path();
    write_file(d, "Cargo.toml", "[package]\nname = \"game\"\nversion = \"0.1.0\"\n\n[dependencies]\nbevy = \"0.19\"\n");
    write_file(
        d,
        "Cargo.lock",
        format!(
            "version = 4\n\n[[package]]\nname = \"bevy_pbr\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"game\"\nversion = \"0.1.0\"\n"
        ),
    );
    write_file(
        d,
        "assets/shaders/material.wgsl",
        "#import bevy_pbr::forward_io::VertexOutput\n#import bevy_pbr::{\n    mesh_view_bindings::view,\n}\n\n@fragment\nfn fragment(mesh: VertexOutput) -> @location(0) vec4<f32> {\n    return vec4<f32>(mesh.uv, view.lights[0].x, 1.0);\n}\n",
    );
    let home = tempfile::tempdir().unwrap();
    let pbr = home.path().join(REGISTRY).join("bevy_pbr-0.19.1/src/render");
    write_file(
        &pbr,
        "forward_io.wgsl",
        "#define_import_path bevy_pbr::forward_io\n\nstruct VertexOutput {\n    @builtin(position) position: vec4<f32>,\n#ifdef VERTEX_UVS_A\n    @location(2) uv: vec2<f32>,\n#endif\n};\n",
    );
    write_file(
        &pbr,
        "mesh_view_types.wgsl",
        "#define_import_path bevy_pbr::mesh_view_types\n\nstruct View {\n    lights: array<vec4<f32>, #{MAX_DIRECTIONAL_LIGHTS}>,\n};\n",
    );
    write_file(
        &pbr,
        "mesh_view_bindings.wgsl",
        "#define_import_path bevy_pbr::mesh_view_bindings\n#import bevy_pbr::mesh_view_types as types\n\n@group(0) @binding(0) var<uniform> view: types::View;\n",
    );
    (game, home)
}

#[test]
fn a_material_shader_composes_with_bevys_modules_from_the_cargo_registry() {
    let (game, home) = bevy_game("0.19.1");
    let d = game.path();
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!((processed, errors), (vec!["assets/shaders/material.wgsl".to_owned()], vec![]));
    let out = artifact(d, "shaders/material.wgsl");
    // Bevy's modules are in the artifact, with Bevy's defs applied.
    assert!(out.contains("@location(2) uv: vec2<f32>") && out.contains("array<vec4<f32>, 10>"), "{out}");
}

#[test]
fn bevy_sources_not_downloaded_fail_naming_the_crate_version_and_cargo_fetch() {
    let (game, home) = bevy_game("0.19.2");
    let d = game.path();
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(processed, Vec::<String>::new());
    let src = home.path().join("registry/src");
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wgsl:1:9: processing-failed: `bevy_pbr::forward_io::VertexOutput` is Bevy's, \
             but the sources of crate `bevy_pbr` 0.19.2 are not in {}: run `cargo fetch` in {}",
            src.display(),
            d.display()
        )]
    );
    // A Bevy without bevy_pbr at all (its feature off).
    let lock = std::fs::read_to_string(d.join("Cargo.lock")).unwrap();
    save(d, "Cargo.lock", &lock.replace("bevy_pbr", "bevy_app"));
    let (_, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wgsl:1:9: processing-failed: `bevy_pbr::forward_io::VertexOutput` is Bevy's, \
             but {} names no crate `bevy_pbr` (is the `bevy` feature that brings it off?)",
            d.join("Cargo.lock").display()
        )]
    );
}

#[test]
fn format_spirv_writes_a_spv_that_naga_reads_back_with_its_entry_points() {
    let dir = modules_project();
    let d = dir.path();
    write_file(d, "assetry.toml", "[profiles.vulkan]\nsettings.wgsl = { format = \"spirv\" }\n");
    let run = process(d, &["--profile", "vulkan"]);
    assert!(run.errors.is_empty(), "{run:?}");
    let spv = std::fs::read(d.join(".assetry/out/vulkan/shaders/sky.spv")).unwrap();
    assert_eq!(spv[..4], 0x0723_0203u32.to_le_bytes(), "SPIR-V's magic number");
    let module = naga::front::spv::parse_u8_slice(&spv, &naga::front::spv::Options::default()).expect("SPIR-V parses");
    let entries: Vec<(&str, naga::ShaderStage)> =
        module.entry_points.iter().map(|e| (e.name.as_str(), e.stage)).collect();
    assert_eq!(entries, [("sky", naga::ShaderStage::Fragment)]);
    // It validates as the WGSL did.
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::all())
        .validate(&module)
        .expect("the SPIR-V validates");
    // The default profile still writes WGSL.
    assert!(!d.join(".assetry/out/vulkan/shaders/sky.wgsl").exists());
    let default = process(d, &[]);
    assert!(default.errors.is_empty(), "{default:?}");
    assert!(artifact(d, "shaders/sky.wgsl").contains("fn sky()"));
}

#[test]
fn an_unknown_format_fails_the_shader_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(
        d,
        "assets/shaders/sky.wgsl",
        SKY.replace("#import my::sun::sun_color\n", "fn sun_color() -> vec4<f32> { return vec4<f32>(1.0); }\n"),
    );
    write_file(
        d,
        "assets/shaders/sky.wgsl.meta",
        "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n[settings]\nformat = \"dxil\"\n",
    );
    let run = process(d, &[]);
    assert_eq!(
        run.errors,
        [
            "error: assets/shaders/sky.wgsl: processing-failed: wgsl setting `format = \"dxil\"`: expected \"wgsl\" or \"spirv\""
        ]
    );
}

/// The `processing-failed` diagnostics the server publishes for `uri` once
/// it has processed it (the check's own publish comes first).
fn processing_failures(client: &mut LspClient, uri: &str) -> Vec<Value> {
    loop {
        let failed: Vec<Value> =
            client.diagnostics(uri).into_iter().filter(|d| d["code"] == "processing-failed").collect();
        if !failed.is_empty() {
            return failed;
        }
    }
}

#[test]
fn type_errors_quote_the_shader_not_nagas_handles() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().canonicalize().unwrap();
    let mat = "fn h() {\n    let m = mat2x2<f32>(1.0, 0.0, 0.0, 1.0);\n    let q = m * vec3<f32>(1.0);\n}\n";
    write_file(&d, "assets/shaders/mat.wgsl", mat);
    write_file(&d, "assets/shaders/ret.wgsl", "fn bad() -> f32 {\n    let y = 2.0;\n    return y > 1.0;\n}\n");
    write_file(&d, "assets/shaders/ret2.wgsl", "fn f() -> vec2<f32> {\n    return vec3<f32>(1.0);\n}\n");
    write_file(&d, "assets/shaders/m.wgsl", format!("#define_import_path my::m\n{mat}"));
    write_file(&d, "assets/shaders/user.wgsl", "#import my::m::h\nfn u() { h(); }\n");
    let mut client = LspClient::spawn(&assetry_bin(), &d);
    client.request_ok(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": file_uri(&d),
            "workspaceFolders": [{"uri": file_uri(&d), "name": "game"}],
            "capabilities": {},
            "initializationOptions": {"process": true},
        }),
    );
    client.notify("initialized", json!({}));
    let range =
        |l: u32, c1: u32, c2: u32| json!({"start": {"line": l, "character": c1}, "end": {"line": l, "character": c2}});
    let multiply = "invalid shader: `m * vec3<f32>(1.0)`: cannot multiply mat2x2<f32> and vec3<f32>";
    for (file, expected_range, message) in [
        ("mat.wgsl", range(2, 12, 30), multiply.to_owned()),
        ("m.wgsl", range(3, 12, 30), multiply.to_owned()),
        (
            "ret.wgsl",
            range(2, 11, 18),
            "invalid shader: `y > 1.0`: the value returned is not of the function's return type `f32`".to_owned(),
        ),
        (
            "ret2.wgsl",
            range(1, 11, 25),
            "invalid shader: `vec3<f32>(1.0)`: the value returned is not of the function's return type `vec2<f32>`"
                .to_owned(),
        ),
        // In an imported module: named, and not placed in the importer.
        ("user.wgsl", range(0, 0, 0), format!("in module `my::m`: {multiply}")),
    ] {
        let uri = file_uri(&d.join("assets/shaders").join(file));
        let failed = processing_failures(&mut client, &uri);
        let got: Vec<(&Value, &Value)> = failed.iter().map(|x| (&x["range"], &x["message"])).collect();
        assert_eq!(got, [(&expected_range, &json!(message))], "{file}");
    }
    client.shutdown_with_last_diagnostics();
}

#[test]
fn a_new_bevy_version_in_the_lock_reprocesses_the_shaders_importing_bevy_and_only_them() {
    let (game, home) = bevy_game("0.19.1");
    let d = game.path();
    write_file(d, "assets/shaders/plain.wgsl", "fn plain() -> f32 { return 1.0; }\n");
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!((processed.len(), errors), (2, vec![]));
    // Bevy 0.19.2, downloaded, whose VertexOutput has its uv at location 3.
    let old = home.path().join(REGISTRY).join("bevy_pbr-0.19.1");
    let new = home.path().join(REGISTRY).join("bevy_pbr-0.19.2");
    crate::support::copy_tree(&old, &new);
    let io = new.join("src/render/forward_io.wgsl");
    std::fs::write(&io, std::fs::read_to_string(&io).unwrap().replace("@location(2)", "@location(3)")).unwrap();
    let lock = std::fs::read_to_string(d.join("Cargo.lock")).unwrap();
    save(d, "Cargo.lock", &lock.replace("0.19.1", "0.19.2"));
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!((processed, errors), (vec!["assets/shaders/material.wgsl".to_owned()], vec![]));
    assert!(artifact(d, "shaders/material.wgsl").contains("@location(3) uv: vec2<f32>"));
}

#[test]
fn a_bevy_whose_shaders_are_wesl_fails_saying_naga_oil_cannot_compose_them() {
    let (game, home) = bevy_game("0.20.1");
    let d = game.path();
    // Bevy after 0.19 ships `.wesl` modules, no `#define_import_path`.
    let pbr = home.path().join(REGISTRY).join("bevy_pbr-0.20.1/src/render");
    write_file(&pbr, "forward_io.wesl", "struct VertexOutput { @builtin(position) position: vec4<f32> };\n");
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(processed, Vec::<String>::new());
    assert_eq!(
        errors,
        ["error: assets/shaders/material.wgsl:1:9: processing-failed: `bevy_pbr::forward_io::VertexOutput`: crate \
             `bevy_pbr` 0.20.1 has no WGSL shader modules (its shaders are WESL): write this shader as a `.wesl` file, composed as Bevy composes WESL"]
    );
}

#[test]
fn a_git_bevy_is_read_from_cargos_checkout_and_a_path_bevy_fails_clearly() {
    let (game, home) = bevy_game("0.19.1");
    let d = game.path();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let registry = "source = \"registry+https://github.com/rust-lang/crates.io-index\"";
    let lock = std::fs::read_to_string(d.join("Cargo.lock")).unwrap();
    let git = format!("source = \"git+https://github.com/bevyengine/bevy?rev=0123456#{commit}\"");
    save(d, "Cargo.lock", &lock.replace(registry, &git));
    // Not checked out yet: where cargo would put it, and what to run.
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(processed, Vec::<String>::new());
    let checkouts = home.path().join("git/checkouts");
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wgsl:1:9: processing-failed: `bevy_pbr::forward_io::VertexOutput` is Bevy's, \
             but the sources of crate `bevy_pbr` 0.19.1 are not in {}: run `cargo fetch` in {}",
            checkouts.display(),
            d.display()
        )]
    );
    // Checked out as cargo does: the repository's crates/bevy_pbr at the commit.
    let krate = checkouts.join("bevy-5f9c1a2b3c4d5e6f/0123456/crates/bevy_pbr");
    crate::support::copy_tree(&home.path().join(REGISTRY).join("bevy_pbr-0.19.1"), &krate);
    write_file(&krate, "Cargo.toml", "[package]\nname = \"bevy_pbr\"\nversion = \"0.19.1\"\n");
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!((processed, errors), (vec!["assets/shaders/material.wgsl".to_owned()], vec![]));
    // A path dependency: the lock does not say where it is.
    save(d, "Cargo.lock", &lock.replace(&format!("{registry}\n"), ""));
    let (_, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(
        errors,
        [
            "error: assets/shaders/material.wgsl:1:9: processing-failed: `bevy_pbr::forward_io::VertexOutput` is Bevy's, \
             but crate `bevy_pbr` 0.19.1 is a path dependency, whose shader modules are not read (only crates.io and \
             git sources are)"
        ]
    );
}
