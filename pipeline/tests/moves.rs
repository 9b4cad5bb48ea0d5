//! A move when two `.meta` files share an id (a copy made in a file
//! manager): where the asset went is what the watcher saw, never a guess
//! from the id; when the id alone is all there is, every copy is offered and
//! none is preferred.

use std::path::{Path, PathBuf};

use assetry_pipeline::ide::{Fix, code_actions};
use assetry_pipeline::{Change, ChangeBatch, Code, Project, TextRange};

const ID: &str = "b1111111-1111-4111-8111-111111111111";
const SCENE: &str = "assets/s.scene.json";
const SCENE_TEXT: &str = "{\"sky\": \"textures/sky.png\"}\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `sky.png` and a copy, `a_copy.png`, whose `.meta` has the same id and
/// sorts first; then `sky.png` is renamed `sky_day.png` with its `.meta`.
fn duplicated_then_moved() -> (tempfile::TempDir, PathBuf, Project) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, SCENE, SCENE_TEXT);
    write(&root, "assets/s.scene.json.meta", "id = \"a1111111-1111-4111-8111-111111111111\"\n");
    for name in ["sky", "a_copy"] {
        write(&root, &format!("assets/textures/{name}.png"), "png");
        write(&root, &format!("assets/textures/{name}.png.meta"), &format!("id = \"{ID}\"\n"));
    }
    let project = Project::open(&root).unwrap();
    project.prepare_for_changes();
    for suffix in ["", ".meta"] {
        std::fs::rename(
            root.join(format!("assets/textures/sky.png{suffix}")),
            root.join(format!("assets/textures/sky_day.png{suffix}")),
        )
        .unwrap();
    }
    (dir, root, project)
}

fn broken_message(project: &Project) -> String {
    let found: Vec<_> = project.diagnostics_of(SCENE).iter().filter(|d| d.code == Code::BrokenPath).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].message.clone()
}

/// The broken-path repairs at the reference: (title, preferred, new text).
fn repairs(project: &Project) -> Vec<(String, bool, String)> {
    let at = SCENE_TEXT.find("textures/sky.png").unwrap() as u32;
    code_actions(project, SCENE, TextRange::new(at, at))
        .into_iter()
        .filter(|f: &Fix| f.fixes == Some(Code::BrokenPath))
        .map(|f| {
            let edits = &f.change.edits[SCENE];
            assert_eq!(edits.len(), 1, "{f:?}");
            (f.title, f.preferred, edits[0].new_text.clone())
        })
        .collect()
}

#[test]
fn a_move_the_watcher_saw_names_the_file_that_moved() {
    let (_dir, root, mut project) = duplicated_then_moved();
    let at = |rel: &str| root.join(rel);
    project.apply(ChangeBatch::from(vec![
        Change::Moved { from: at("assets/textures/sky.png"), to: at("assets/textures/sky_day.png") },
        Change::Moved { from: at("assets/textures/sky.png.meta"), to: at("assets/textures/sky_day.png.meta") },
    ]));
    assert_eq!(
        broken_message(&project),
        "`textures/sky.png` does not exist: the asset moved to `assets/textures/sky_day.png`"
    );
    assert_eq!(
        repairs(&project),
        [("`sky.png` moved: use `textures/sky_day.png`".to_owned(), true, "textures/sky_day.png".to_owned())]
    );
}

#[test]
fn a_move_known_only_by_a_duplicated_id_offers_each_copy_and_prefers_none() {
    let (_dir, root, mut project) = duplicated_then_moved();
    let at = |rel: &str| root.join(rel);
    // As an editor's file events report it: deletions and creations.
    project.apply(ChangeBatch::from(vec![
        Change::Removed(at("assets/textures/sky.png")),
        Change::Removed(at("assets/textures/sky.png.meta")),
        Change::Disk(at("assets/textures/sky_day.png")),
        Change::Disk(at("assets/textures/sky_day.png.meta")),
    ]));
    let message = broken_message(&project);
    assert!(
        message.contains("its id is now in `assets/textures/a_copy.png` and `assets/textures/sky_day.png`"),
        "{message}"
    );
    assert_eq!(
        repairs(&project),
        [
            (
                "`sky.png` moved, maybe to `textures/a_copy.png` (its id is duplicated)".to_owned(),
                false,
                "textures/a_copy.png".to_owned()
            ),
            (
                "`sky.png` moved, maybe to `textures/sky_day.png` (its id is duplicated)".to_owned(),
                false,
                "textures/sky_day.png".to_owned()
            ),
        ]
    );
}

/// The watcher's answer lasts while the moved asset still carries the id,
/// and the memory as long as no `.meta` is back at the old path: a new id
/// on the moved copy leaves the other copy the only one with it; a `.meta`
/// back at the old path ends the story.
#[test]
fn a_seen_move_holds_while_its_asset_keeps_the_id_and_ends_when_a_meta_comes_back() {
    let (_dir, root, mut project) = duplicated_then_moved();
    let at = |rel: &str| root.join(rel);
    project.apply(ChangeBatch::from(vec![
        Change::Moved { from: at("assets/textures/sky.png"), to: at("assets/textures/sky_day.png") },
        Change::Moved { from: at("assets/textures/sky.png.meta"), to: at("assets/textures/sky_day.png.meta") },
    ]));
    write(&root, "assets/textures/sky_day.png.meta", "id = \"c1111111-1111-4111-8111-111111111111\"\n");
    let delta = project.apply(ChangeBatch::from(vec![Change::Disk(at("assets/textures/sky_day.png.meta"))]));
    assert!(delta.iter().any(|f| f.path == SCENE), "the scene's finding changes with the id's owners");
    assert_eq!(
        broken_message(&project),
        "`textures/sky.png` does not exist: the asset moved to `assets/textures/a_copy.png`"
    );
    // A `.meta` back at the old path (its asset still gone): no move to tell.
    write(&root, "assets/textures/sky.png.meta", &format!("id = \"{ID}\"\n"));
    project.apply(ChangeBatch::from(vec![Change::Disk(at("assets/textures/sky.png.meta"))]));
    assert_eq!(broken_message(&project), "`textures/sky.png` does not exist (no asset at `assets/textures/sky.png`)");
}
