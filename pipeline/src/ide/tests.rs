//! IDE queries on small projects written to temporary folders.

use std::path::Path;

use crate::change::{Change, ChangeBatch};
use crate::project::Project;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn moved_project() -> (tempfile::TempDir, Project) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "assets/s.scene.json", "{\"sky\": \"textures/sky.png\"}\n");
    write(root, "assets/s.scene.json.meta", "id = \"a1111111-1111-4111-8111-111111111111\"\n");
    write(root, "assets/textures/sky.png", "png");
    write(root, "assets/textures/sky.png.meta", "id = \"b1111111-1111-4111-8111-111111111111\"\n");
    let project = Project::open(root).unwrap();
    std::fs::create_dir_all(root.join("assets/textures/env")).unwrap();
    for suffix in ["", ".meta"] {
        std::fs::rename(
            root.join(format!("assets/textures/sky.png{suffix}")),
            root.join(format!("assets/textures/env/sky.png{suffix}")),
        )
        .unwrap();
    }
    (dir, project)
}

fn moved(project: &Project) -> Option<String> {
    project.moved_to("assets/textures/sky.png").map(|f| project.path(f).to_owned())
}

#[test]
fn a_move_reported_twice_keeps_where_the_asset_went() {
    let abs = |dir: &tempfile::TempDir, rel: &str| dir.path().canonicalize().unwrap().join(rel);
    let (old, new) = ("assets/textures/sky.png", "assets/textures/env/sky.png");
    let (old_meta, new_meta) = ("assets/textures/sky.png.meta", "assets/textures/env/sky.png.meta");
    // As the watcher reports it.
    let watcher: &dyn Fn(&tempfile::TempDir) -> ChangeBatch = &|dir| {
        ChangeBatch::from(vec![
            Change::Moved { from: abs(dir, old), to: abs(dir, new) },
            Change::Moved { from: abs(dir, old_meta), to: abs(dir, new_meta) },
        ])
    };
    // As an editor's didChangeWatchedFiles reports it.
    let client: &dyn Fn(&tempfile::TempDir) -> ChangeBatch = &|dir| {
        ChangeBatch::from(vec![
            Change::Removed(abs(dir, old)),
            Change::Removed(abs(dir, old_meta)),
            Change::Disk(abs(dir, new)),
            Change::Disk(abs(dir, new_meta)),
        ])
    };
    for (name, first, second) in [("watcher first", watcher, client), ("client first", client, watcher)] {
        let (dir, mut project) = moved_project();
        project.apply(first(&dir));
        assert_eq!(moved(&project).as_deref(), Some(new), "{name}: after the first report");
        project.apply(second(&dir));
        assert_eq!(moved(&project).as_deref(), Some(new), "{name}: after the second report");
    }
}

#[test]
fn a_label_given_in_code_gets_no_fix_that_rewrites_the_literal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "assets/models/ship.gltf", "{}");
    write(
        root,
        "assets/models/ship.gltf.meta",
        "id = \"c1111111-1111-4111-8111-111111111111\"\n[[labels]]\nname = \"Scene0\"\nid = \"d1111111-1111-4111-8111-111111111111\"\n",
    );
    let code = "fn f(a: Res<AssetServer>) {\n    a.load(GltfAssetLabel::Scene(0).from_asset(\"models/ship.gltf\"));\n    \
                a.load(GltfAssetLabel::Scene(7).from_asset(\"models/ship.gltf\"));\n    a.load(\"models/ship.gltf#Scene7\");\n}\n";
    write(root, "src/main.rs", code);
    let p = Project::open(root).unwrap();
    let titles = |nth: usize| {
        let at = code.match_indices("models/ship.gltf").nth(nth).unwrap().0 as u32 + 3;
        let fixes = super::code_actions(&p, "src/main.rs", crate::TextRange::new(at, at));
        fixes.into_iter().map(|f| f.title).collect::<Vec<_>>()
    };
    // The label's id or the label written into the literal would lose the
    // label given in code (or add a second one): neither is offered.
    assert_eq!(titles(0), Vec::<String>::new());
    assert_eq!(titles(1), Vec::<String>::new());
    // Written in the string, the same mistake has its fix.
    assert_eq!(titles(2), ["Change to `models/ship.gltf#Scene0`"]);
    let d = p.diagnostics_of("src/main.rs");
    let found: Vec<_> = d.iter().map(|d| (d.code, &code[d.range.start as usize..d.range.end as usize])).collect();
    assert_eq!(
        found,
        [
            (crate::Code::UnknownLabel, "GltfAssetLabel::Scene(7)"),
            (crate::Code::UnknownLabel, "models/ship.gltf#Scene7")
        ]
    );
    assert_eq!(d[0].message, "`assets/models/ship.gltf` has no label `Scene7`: its labels are `Scene0`");
}
