//! WESL shaders processed by the real binary as Bevy 0.20 composes them:
//! the project's own modules (`super::util`), Bevy's packages
//! (`bevy_pbr::render::…`) from a cargo registry (a fake one through
//! `CARGO_HOME`, no network), the `constants` module of shader defs;
//! errors at their place; an edited module reprocesses its importers.

use std::path::Path;

use crate::process::save;
use crate::process_wgsl::{REGISTRY, process_with_cargo_home};
use crate::support::write_file;

const UTIL: &str = "const COLOR_MULTIPLIER: vec4<f32> = vec4<f32>(0.5);\n";
const MATERIAL: &str = "import bevy_pbr::render::forward_io::VertexOutput;
// A project module, as Bevy's example imports it.
import super::util::COLOR_MULTIPLIER;

@group(constants::MATERIAL_BIND_GROUP) @binding(0) var<uniform> material_color: vec4<f32>;

@fragment
fn fragment(mesh: VertexOutput) -> @location(0) vec4<f32> {
    return material_color * vec4<f32>(mesh.uv, 0.0, 1.0) * COLOR_MULTIPLIER;
}
";

/// A Bevy 0.20 game: its `Cargo.lock` names `bevy_pbr` 0.20.0, the cargo
/// home holds a tiny `bevy_pbr` 0.20.0 whose `forward_io.wesl` has a field
/// under a shader def (`@if(VERTEX_UVS_A)`, which Bevy sets for a mesh
/// with UVs); `material.wesl` imports it and the project's `util.wesl`.
fn bevy_game() -> (tempfile::TempDir, tempfile::TempDir) {
    let game = tempfile::tempdir().unwrap();
    let d = game.path();
    write_file(d, "Cargo.toml", "[package]\nname = \"game\"\nversion = \"0.1.0\"\n\n[dependencies]\nbevy = \"0.20\"\n");
    write_file(
        d,
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"bevy_pbr\"\nversion = \"0.20.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"game\"\nversion = \"0.1.0\"\n",
    );
    write_file(d, "assets/shaders/util.wesl", UTIL);
    write_file(d, "assets/shaders/material.wesl", MATERIAL);
    let home = tempfile::tempdir().unwrap();
    let pbr = home.path().join(REGISTRY).join("bevy_pbr-0.20.0/src/render");
    write_file(
        &pbr,
        "forward_io.wesl",
        "struct VertexOutput {\n    @builtin(position) position: vec4<f32>,\n    @if(VERTEX_UVS_A) @location(2) uv: vec2<f32>,\n    @if(VERTEX_TANGENTS) @location(4) tangent: vec4<f32>,\n}\n",
    );
    (game, home)
}

fn artifact(d: &Path, rel: &str) -> String {
    std::fs::read_to_string(d.join(".assetry/out/default").join(rel)).unwrap()
}

#[test]
fn a_material_composes_with_a_project_module_bevys_package_and_constants() {
    let (game, home) = bevy_game();
    let d = game.path();
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(
        (processed, errors),
        (vec!["assets/shaders/material.wesl".to_owned(), "assets/shaders/util.wesl".to_owned()], vec![])
    );
    // One module: Bevy's struct with the UV field its def keeps (the
    // tangent's def is off), the project's constant, the bind group of
    // `constants`; the names of imported items mangled as Bevy's are.
    assert_eq!(
        artifact(d, "shaders/material.wgsl"),
        "struct _1bevy_pbr_render_1forward_io_VertexOutput {
    @builtin(position) position: vec4<f32>,
    @location(2) uv: vec2<f32>,
}

const package_shaders_util_1COLOR_MULTIPLIER: vec4<f32> = vec4(0.5f);

@group(3) @binding(0) 
var<uniform> material_color: vec4<f32>;

@fragment 
fn fragment(mesh: _1bevy_pbr_render_1forward_io_VertexOutput) -> @location(0) vec4<f32> {
    let _e2 = material_color;
    return ((_e2 * vec4<f32>(mesh.uv, 0f, 1f)) * package_shaders_util_1COLOR_MULTIPLIER);
}
"
    );
    // A module on its own composes to nothing but its declarations.
    assert!(!d.join(".assetry/out/default/shaders/material.wesl").exists());
    assert!(d.join(".assetry/out/default/shaders/util.wgsl").is_file());
}

#[test]
fn a_type_error_is_reported_at_its_line_and_column_in_the_shader() {
    let (game, home) = bevy_game();
    let d = game.path();
    save(
        d,
        "assets/shaders/material.wesl",
        &MATERIAL.replace("return material_color", "let v: vec2<f32> = vec3<f32>(1.0);\n    return material_color"),
    );
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(processed, ["assets/shaders/util.wesl"]);
    // `v` is where naga places this error (its `let`), found in the asset
    // although the composed output naga read is laid out differently.
    assert_eq!(
        errors,
        [
            "error: assets/shaders/material.wesl:9:9: processing-failed: invalid shader: the type of `v` is expected to be `vec2<f32>`, but got `vec3<f32>`"
        ]
    );
}

#[test]
fn a_type_error_in_an_imported_project_module_names_it_in_the_importer() {
    let (game, home) = bevy_game();
    let d = game.path();
    save(d, "assets/shaders/util.wesl", &UTIL.replace("= vec4<f32>(0.5)", "= vec3<f32>(0.5)"));
    let (processed, errors) = process_with_cargo_home(d, home.path());
    // On its own a module is stripped to what entry points use: nothing.
    assert_eq!(processed, ["assets/shaders/util.wesl"]);
    let message = "invalid shader: the type of `COLOR_MULTIPLIER` is expected to be `vec4<f32>`, but got `vec3<f32>`";
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wesl: processing-failed: in `assets/shaders/util.wesl` (`COLOR_MULTIPLIER`): {message}"
        ),]
    );
}

#[test]
fn an_import_of_a_missing_package_or_module_names_it() {
    let (game, home) = bevy_game();
    let d = game.path();
    // Imports are resolved lazily, as in Bevy: only a used item's module.
    let with = |import: &str| {
        let item = import.rsplit("::").next().unwrap();
        MATERIAL
            .replacen("import bevy_pbr", &format!("import {import};\nimport bevy_pbr"), 1)
            .replace("    return material_color", &format!("    var unused: {item};\n    return material_color"))
    };
    save(d, "assets/shaders/material.wesl", &with("bevy_sprite_render::mesh2d::Mesh2d"));
    let (_, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wesl:1:8: processing-failed: cannot import `bevy_sprite_render::mesh2d`: \
             `bevy_sprite_render::mesh2d` is Bevy's, but {} names no crate `bevy_sprite_render` (is the `bevy` feature \
             that brings it off?)",
            d.join("Cargo.lock").display()
        )]
    );
    save(d, "assets/shaders/material.wesl", &with("bevy_pbr::render::nothing::X"));
    let (_, errors) = process_with_cargo_home(d, home.path());
    let file = home.path().join(REGISTRY).join("bevy_pbr-0.20.0/src/render/nothing.wesl");
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wesl:1:8: processing-failed: cannot import `bevy_pbr::render::nothing`: \
             crate `bevy_pbr` 0.20.0 has no module `bevy_pbr::render::nothing` (no {})",
            file.display()
        )]
    );
    save(d, "assets/shaders/material.wesl", &with("mylib::colors::RED"));
    let (_, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(
        errors,
        [
            "error: assets/shaders/material.wesl:1:8: processing-failed: cannot import `mylib::colors`: no package `mylib`: \
          neither a Bevy crate (`bevy_…`) nor `constants`"
        ]
    );
}

#[test]
fn bevy_sources_not_downloaded_name_the_crate_version_and_cargo_fetch() {
    let (game, home) = bevy_game();
    let d = game.path();
    let lock = std::fs::read_to_string(d.join("Cargo.lock")).unwrap();
    save(d, "Cargo.lock", &lock.replace("0.20.0", "0.20.1"));
    let (_, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(
        errors,
        [format!(
            "error: assets/shaders/material.wesl:1:8: processing-failed: cannot import `bevy_pbr::render::forward_io`: \
             `bevy_pbr::render::forward_io` is Bevy's, but the sources of crate `bevy_pbr` 0.20.1 are not in {}: \
             run `cargo fetch` in {}",
            home.path().join("registry/src").display(),
            d.display()
        )]
    );
}

#[test]
fn editing_an_imported_project_module_reprocesses_its_importer() {
    let (game, home) = bevy_game();
    let d = game.path();
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!((processed.len(), errors), (2, vec![]));
    assert!(artifact(d, "shaders/material.wgsl").contains("vec4(0.5f)"));
    save(d, "assets/shaders/util.wesl", &UTIL.replace("0.5", "0.25"));
    let (processed, errors) = process_with_cargo_home(d, home.path());
    // Without the import as a build edge only util.wesl was processed
    // again, and material's artifact kept 0.5.
    assert_eq!(
        (processed, errors),
        (vec!["assets/shaders/material.wesl".to_owned(), "assets/shaders/util.wesl".to_owned()], vec![])
    );
    let out = artifact(d, "shaders/material.wgsl");
    assert!(out.contains("vec4(0.25f)") && !out.contains("0.5f"), "{out}");
    assert_eq!(process_with_cargo_home(d, home.path()), (vec![], vec![]));
}

#[test]
fn bevy_020s_blocks_of_declarations_and_baked_comparisons_compose() {
    let (game, home) = bevy_game();
    let d = game.path();
    // As Bevy 0.20's mesh_view_bindings.wesl writes them: an `@if(…) { … }`
    // block over declarations, with `@else`, on a comparison Bevy bakes
    // into a flag (8 storage buffers: at least 6); in a function, a block
    // of statements whose `let` is used after it, as Bevy's examples do.
    let pbr = home.path().join(REGISTRY).join("bevy_pbr-0.20.0/src/render");
    write_file(
        &pbr,
        "limits.wesl",
        "@if(AVAILABLE_STORAGE_BUFFER_BINDINGS__GE_6) {\nconst STORAGE: f32 = 6.0;\n@if(VERTEX_TANGENTS) const TANGENTS: f32 = 1.0;\n} @else {\nconst STORAGE: f32 = 0.0;\n}\n",
    );
    write_file(
        d,
        "assets/shaders/limits.wesl",
        "import bevy_pbr::render::limits::STORAGE;\n\n@fragment\nfn f() -> @location(0) vec4<f32> {\n    @if(VERTEX_UVS_A) {\n    let k = 2.0;\n    }\n    @else {\n    let k = 3.0;\n    }\n    return vec4<f32>(STORAGE * k);\n}\n",
    );
    let (processed, errors) = process_with_cargo_home(d, home.path());
    assert_eq!(errors, Vec::<String>::new());
    assert!(processed.contains(&"assets/shaders/limits.wesl".to_owned()), "{processed:?}");
    assert_eq!(
        artifact(d, "shaders/limits.wgsl"),
        "const _1bevy_pbr_render_limits_STORAGE: f32 = 6f;\n\n@fragment \nfn f() -> @location(0) vec4<f32> {\n    return vec4((_1bevy_pbr_render_limits_STORAGE * 2f));\n}\n"
    );
}

#[test]
fn outside_a_bevy_project_wesl_is_copied_and_naming_the_processor_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "assets/shaders/util.wesl", UTIL);
    write_file(d, "assets/shaders/other.wesl", UTIL);
    write_file(
        d,
        "assets/shaders/other.wesl.meta",
        "id = \"0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\nprocessor = \"wesl\"\n",
    );
    let run = crate::process::process(d, &[]);
    assert_eq!(run.processed, ["assets/shaders/util.wesl"]);
    assert_eq!(artifact(d, "shaders/util.wesl"), UTIL);
    assert_eq!(
        run.errors,
        [
            "error: assets/shaders/other.wesl: processing-failed: the wesl processor needs the bevy flavour (`flavor = \"bevy\"`, or a Cargo.toml depending on bevy): only there are WESL imports tracked"
        ]
    );
}
