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
