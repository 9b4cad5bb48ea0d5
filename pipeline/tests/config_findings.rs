//! Findings the scan makes about `assetry.toml` and folders, kept equal to
//! a fresh scan as folders come and go.

use assetry_pipeline::{Change, ChangeBatch, Code, Project, Severity};

fn batch(changes: Vec<Change>) -> ChangeBatch {
    ChangeBatch { changes }
}

#[test]
fn a_missing_root_is_a_warning_until_it_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let config = "[project]\nroots = [\"assets\", \"dlc\"]\n";
    std::fs::write(root.join("assetry.toml"), config).unwrap();
    std::fs::create_dir_all(root.join("assets")).unwrap();
    let mut project = Project::open(&root).unwrap();
    let found = project.diagnostics_of("assetry.toml").to_vec();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].code, found[0].severity), (Code::InvalidConfig, Severity::Warning));
    let at = found[0].range;
    assert_eq!(&config[at.start as usize..at.end as usize], "dlc");
    let pos = project.line_index("assetry.toml").unwrap().position(at.start);
    assert_eq!((pos.line, pos.character), (1, 20));

    std::fs::create_dir_all(root.join("dlc")).unwrap();
    let changed = project.apply(batch(vec![Change::Disk(root.join("dlc"))]));
    assert!(changed.iter().any(|f| f.path == "assetry.toml" && f.diagnostics.is_empty()), "{changed:?}");
    assert_eq!(project.all_diagnostics(), Project::open(&root).unwrap().all_diagnostics());

    std::fs::remove_dir(root.join("dlc")).unwrap();
    let changed = project.apply(batch(vec![Change::Removed(root.join("dlc"))]));
    assert_eq!(changed.iter().filter(|f| f.path == "assetry.toml").count(), 1, "{changed:?}");
    assert_eq!(project.diagnostics_of("assetry.toml"), found);
    assert_eq!(project.all_diagnostics(), Project::open(&root).unwrap().all_diagnostics());

    // The same settings a line lower: not a rescan, but the warning follows.
    let parsed = project.files_parsed();
    std::fs::write(root.join("assetry.toml"), format!("# assets\n{config}")).unwrap();
    let changed = project.apply(batch(vec![Change::Disk(root.join("assetry.toml"))]));
    assert_eq!(project.files_parsed(), parsed);
    assert_eq!(changed.len(), 1, "{changed:?}");
    let pos = project.line_index("assetry.toml").unwrap().position(changed[0].diagnostics[0].range.start);
    assert_eq!((pos.line, pos.character), (2, 20));
    assert_eq!(project.all_diagnostics(), Project::open(&root).unwrap().all_diagnostics());
}
