//! `assetry process` when nothing changed since the last clean run: the
//! answer comes from the snapshot of the inputs and outputs, without a
//! scan, and any change to either takes the full path again.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::process::{KINDS, Outcome, kinds_project, process};
use crate::support::write_file;

const UNCHANGED: &str =
    "0 processed, 7 skipped, 0 failed, 0 sources read (profile default; nothing changed since the last run)";

/// Every file of the project (outputs excluded) as if written in 2001,
/// always the same instant (so a file aged twice keeps its stat): a stat
/// taken now is then not racy (a file written within two seconds of the
/// walk could change again without changing its stat).
fn age(dir: &Path) {
    let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".assetry") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let f = std::fs::File::options().append(true).open(&path).unwrap();
                f.set_modified(long_ago).unwrap();
            }
        }
    }
}

fn summary(o: &Outcome) -> &str {
    &o.summary
}

#[test]
fn a_run_with_nothing_changed_is_answered_without_a_scan_and_any_change_takes_the_full_path() {
    let dir = kinds_project();
    let d = dir.path();
    age(d);
    let first = process(d, &[]);
    assert_eq!(
        (first.code, first.processed.as_slice()),
        (0, &KINDS.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..])
    );
    let again = process(d, &[]);
    assert_eq!((again.code, again.processed.len(), summary(&again)), (0, 0, UNCHANGED));

    // An output deleted by hand: the full plan notices and writes it again.
    std::fs::remove_file(d.join(".assetry/out/default/notes.txt")).unwrap();
    let restored = process(d, &[]);
    assert_eq!(restored.processed, ["assets/notes.txt"]);
    assert_eq!(summary(&restored), "1 processed, 6 skipped, 0 failed, 1 sources read (profile default)");
    assert_eq!(summary(&process(d, &[])), UNCHANGED);

    // A source edited (a fresh stat, written just now: no snapshot is
    // recorded while it is that recent).
    write_file(d, "assets/notes.txt", "edited\n");
    let edited = process(d, &[]);
    assert_eq!(edited.processed, ["assets/notes.txt"]);
    assert_eq!(summary(&process(d, &[])), "0 processed, 7 skipped, 0 failed, 0 sources read (profile default)");
    age(d);
    assert_eq!(summary(&process(d, &[])), "0 processed, 7 skipped, 0 failed, 1 sources read (profile default)");
    assert_eq!(summary(&process(d, &[])), UNCHANGED);

    // A new asset, even one with an old stat.
    write_file(d, "assets/more.txt", "more\n");
    age(d);
    let added = process(d, &[]);
    assert_eq!(added.processed, ["assets/more.txt"]);
    assert_eq!(
        summary(&process(d, &[])),
        "0 processed, 8 skipped, 0 failed, 0 sources read (profile default; nothing changed since the last run)"
    );

    // A file removed: its output goes.
    std::fs::remove_file(d.join("assets/more.txt")).unwrap();
    assert_eq!(summary(&process(d, &[])), "0 processed, 7 skipped, 0 failed, 0 sources read (profile default)");
    assert!(!d.join(".assetry/out/default/more.txt").exists());
    assert_eq!(summary(&process(d, &[])), UNCHANGED);

    // The configuration: a profile setting for the image processor.
    write_file(d, "assetry.toml", "[profiles.default.settings.image]\nmax_size = 4\n");
    age(d);
    let configured = process(d, &[]);
    assert_eq!(configured.processed, ["assets/textures/hero.png"]);
    assert_eq!(summary(&process(d, &[])), UNCHANGED);

    // Another profile has no snapshot of its own yet.
    write_file(d, "assetry.toml", "[profiles.default.settings.image]\nmax_size = 4\n[profiles.ship]\n");
    age(d);
    assert_eq!(process(d, &["--profile", "ship"]).processed.len(), 7);
    assert_eq!(
        summary(&process(d, &["--profile", "ship"])),
        "0 processed, 7 skipped, 0 failed, 0 sources read (profile ship; nothing changed since the last run)"
    );
}
