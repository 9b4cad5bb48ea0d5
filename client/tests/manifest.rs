//! The manifest reader on real files in the layout `assetry process` writes.

use assetry_client::{Change, ChangeKind, Manifest};

const MANIFEST: &str = r#"{
  "assets": [
    {"path": "assets/shaders/lit.wgsl", "id": "2B6D3F6E-3C1F-4F54-9F0E-2D8A3C6B9E13", "artifact": "shaders/lit.wgsl", "hash": "11", "load": []},
    {"path": "assets/textures/hero.png", "id": "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11", "artifact": "textures/hero.png", "hash": "22", "load": []},
    {"path": "assets/textures/plain.png", "id": null, "artifact": "textures/plain.ktx2", "hash": "33", "load": ["assets/textures/hero.png"]}
  ]
}
"#;

fn project(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(".assetry/out/default");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("manifest.json"), text).unwrap();
    dir
}

#[test]
fn resolves_a_uuid_in_any_case_or_a_path_to_its_artifact() {
    let dir = project(MANIFEST);
    let m = Manifest::load(dir.path(), "default").unwrap();
    let out = dir.path().join(".assetry/out/default");
    assert_eq!(m.resolve("0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"), Some(out.join("textures/hero.png")));
    assert_eq!(m.resolve("0B6D3F6E-3C1F-4F54-9F0E-2D8A3C6B9E11"), Some(out.join("textures/hero.png")));
    assert_eq!(m.resolve("2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13"), Some(out.join("shaders/lit.wgsl")));
    assert_eq!(m.resolve("assets/textures/plain.png"), Some(out.join("textures/plain.ktx2")));
    assert_eq!(m.get("assets/textures/plain.png").unwrap().load, vec!["assets/textures/hero.png"]);
    assert_eq!(m.resolve("assets/none.png"), None);
}

#[test]
fn diff_and_apply_agree() {
    let dir = project(MANIFEST);
    let old = Manifest::load(dir.path(), "default").unwrap();
    let newer_text = MANIFEST
        .replace("\"hash\": \"22\"", "\"hash\": \"44\"")
        .replace(
            "    {\"path\": \"assets/shaders/lit.wgsl\", \"id\": \"2B6D3F6E-3C1F-4F54-9F0E-2D8A3C6B9E13\", \"artifact\": \"shaders/lit.wgsl\", \"hash\": \"11\", \"load\": []},\n",
            "    {\"path\": \"assets/a.json\", \"id\": null, \"artifact\": \"a.json\", \"hash\": \"55\"},\n",
        );
    let newer_dir = project(&newer_text);
    let newer = Manifest::load(newer_dir.path(), "default").unwrap();
    let changes = old.diff(&newer);
    let change = |path: &str, artifact: &str, hash: &str, id: Option<&str>, kind| Change {
        id: id.map(str::to_owned),
        path: path.to_owned(),
        artifact: artifact.to_owned(),
        hash: hash.to_owned(),
        kind,
    };
    assert_eq!(
        changes,
        vec![
            change("assets/a.json", "a.json", "55", None, ChangeKind::Added),
            change(
                "assets/shaders/lit.wgsl",
                "shaders/lit.wgsl",
                "11",
                Some("2B6D3F6E-3C1F-4F54-9F0E-2D8A3C6B9E13"),
                ChangeKind::Removed
            ),
            change(
                "assets/textures/hero.png",
                "textures/hero.png",
                "44",
                Some("0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11"),
                ChangeKind::Modified
            ),
        ]
    );
    let mut applied = old.clone();
    applied.apply(&changes);
    assert!(applied.diff(&newer).is_empty());
    let paths: Vec<&str> = applied.entries().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["assets/a.json", "assets/textures/hero.png", "assets/textures/plain.png"]);
}

#[test]
fn a_missing_or_malformed_manifest_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = Manifest::load(dir.path(), "default").unwrap_err().to_string();
    assert!(e.starts_with(&dir.path().join(".assetry/out/default/manifest.json").display().to_string()), "{e}");
    let dir = project("{\"assets\": 3}");
    let e = Manifest::load(dir.path(), "default").unwrap_err().to_string();
    assert!(e.contains("manifest.json: not a manifest: invalid type"), "{e}");
}

/// Each changeset applied in turn (saves, an id given, an asset added and
/// one removed in the same changeset, then more saves) leaves every path
/// and id resolving to its entry, as a manifest read from disk would.
#[test]
fn lookups_follow_every_kind_of_change() {
    let dir = project(MANIFEST);
    let mut m = Manifest::load(dir.path(), "default").unwrap();
    let change = |path: &str, id: Option<&str>, hash: &str, kind| Change {
        id: id.map(str::to_owned),
        path: path.to_owned(),
        artifact: path.trim_start_matches("assets/").to_owned(),
        hash: hash.to_owned(),
        kind,
    };
    let hero = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
    let plain_id = "7a0c3f6e-3c1f-4f54-9f0e-2d8a3c6b9e14";
    m.apply(&[change("assets/textures/hero.png", Some(hero), "23", ChangeKind::Modified)]);
    assert_eq!(m.get(hero).map(|e| e.hash.as_str()), Some("23"));
    m.apply(&[change("assets/textures/plain.png", Some(plain_id), "34", ChangeKind::Modified)]);
    assert_eq!(m.get(&plain_id.to_ascii_uppercase()).map(|e| e.path.as_str()), Some("assets/textures/plain.png"));
    m.apply(&[
        change("assets/a.json", None, "55", ChangeKind::Added),
        change("assets/shaders/lit.wgsl", None, "11", ChangeKind::Removed),
        change("assets/textures/hero.png", Some(hero), "24", ChangeKind::Modified),
        change("assets/textures/plain.png", None, "35", ChangeKind::Modified),
    ]);
    let paths: Vec<&str> = m.entries().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["assets/a.json", "assets/textures/hero.png", "assets/textures/plain.png"]);
    for e in m.entries() {
        assert_eq!(m.get(&e.path).map(|g| g.path.as_str()), Some(e.path.as_str()));
    }
    assert_eq!(m.get(hero).map(|e| (e.path.as_str(), e.hash.as_str())), Some(("assets/textures/hero.png", "24")));
    assert_eq!(m.get("2b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e13"), None, "the removed shader's id");
    assert_eq!(m.get(plain_id), None, "plain.png's id was taken away");
    assert_eq!(m.get("assets/shaders/lit.wgsl"), None);
}
