//! The scan's own folder walk (`pipeline/src/walk.rs`) against the walker
//! it replaces, `ignore::WalkBuilder`, on a few hundred random trees
//! written to disk: nested `.gitignore` and `.ignore` files with globs,
//! anchors and negations, dotfiles, always-skipped folders, and symbolic
//! links (to files, to folders, back up to an ancestor, to nothing). The set
//! of files the project holds must be exactly the set of files the real
//! walker yields. A seeded generator: a failure names the tree's seed.

use std::collections::BTreeSet;
use std::path::Path;

use assetry_pipeline::Project;

const TREES: u64 = 200;
const SEED: u64 = 0x0a1c_e5ee_d000;

/// Names in the trees; none matches `assets` itself, the walked root.
const NAMES: &[&str] = &["p.png", "q.json", "r.txt", "sub", "deep", "x.png", "tmp", ".hid", "target", "y.wgsl"];
const FOLDERS: &[&str] = &["sub", "deep", "tmp", "lib", ".dot", "node_modules", "keep"];
const PATTERNS: &[&str] = &[
    "*.png",
    "!x.png",
    "sub/",
    "/q.json",
    "**/tmp",
    "!sub",
    "*.txt",
    "!r.txt",
    "deep/*.json",
    "# comment",
    "",
    "keep/**/*.png",
    "!keep/",
    "lib",
    "/deep",
    "y.*",
    "!*.wgsl",
    "sub/**",
    "\\#x.png",
    "[pq].*",
];

struct Tree {
    rng: fastrand::Rng,
    /// The ignore files this tree uses. One kind per tree, or both in one
    /// folder only: across folders the two walkers rank them differently on
    /// purpose (`ignore` puts every `.ignore` above every `.gitignore`;
    /// Assetry lets the deepest file with an opinion win, as git does and
    /// REFERENCE.md says), so mixing them there would compare two rules.
    kinds: &'static [&'static str],
}

impl Tree {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.usize(..items.len())]
    }

    fn ignore_file(&mut self, dir: &Path) {
        for &name in self.kinds {
            if self.rng.u8(..3) == 0 {
                let lines: Vec<&str> = (0..self.rng.usize(1..5)).map(|_| self.pick(PATTERNS)).collect();
                std::fs::write(dir.join(name), lines.join("\n") + "\n").expect("write ignore file");
            }
        }
    }

    fn folder(&mut self, dir: &Path, depth: usize, folders: &mut Vec<std::path::PathBuf>) {
        std::fs::create_dir_all(dir).expect("create folder");
        folders.push(dir.to_path_buf());
        self.ignore_file(dir);
        for _ in 0..self.rng.usize(1..5) {
            let name = self.pick(NAMES);
            let _ = std::fs::write(dir.join(name), "{}");
        }
        if depth < 3 {
            for _ in 0..self.rng.usize(0..3) {
                let name = self.pick(FOLDERS);
                let sub = dir.join(name);
                if !sub.is_file() {
                    self.folder(&sub, depth + 1, folders);
                }
            }
        }
    }

    /// Links from random folders to random folders (loops included), to
    /// files, and to nothing.
    #[cfg(unix)]
    fn links(&mut self, folders: &[std::path::PathBuf]) {
        for i in 0..self.rng.usize(0..3) {
            let from = &folders[self.rng.usize(..folders.len())];
            let link = from.join(format!("link{i}"));
            let target = match self.rng.u8(..4) {
                0 => from.join("nowhere"),
                1 => from.join("p.png"),
                _ => folders[self.rng.usize(..folders.len())].clone(),
            };
            let _ = std::os::unix::fs::symlink(target, link);
        }
    }
}

/// The files `ignore::WalkBuilder` yields under `root/assets`, configured
/// as Assetry's rules read (REFERENCE.md, "Project layout").
fn real_walk(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let walker = ignore::WalkBuilder::new(root.join("assets"))
        .hidden(true)
        .parents(true)
        .ignore(true)
        .git_ignore(true)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .follow_links(true)
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | "node_modules")))
        .build();
    // Errors (a loop, a link to nothing) are entries neither walk lists.
    for entry in walker.flatten() {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let rel = entry.path().strip_prefix(root).expect("under the root");
            out.insert(rel.to_str().expect("UTF-8 names").replace('\\', "/"));
        }
    }
    out
}

#[test]
fn walk_lists_what_ignore_walkbuilder_lists() {
    let mut nonempty = 0;
    for n in 0..TREES {
        let seed = SEED + n;
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let mut tree = Tree { rng: fastrand::Rng::with_seed(seed), kinds: &[".gitignore"] };
        let mode = tree.rng.u8(..3);
        tree.kinds = [&[".gitignore"][..], &[".ignore"][..], &[".gitignore", ".ignore"][..]][usize::from(mode)];
        let mut folders = Vec::new();
        if mode == 2 {
            // Both kinds, in the asset root only.
            std::fs::create_dir_all(root.join("assets")).expect("create assets");
            tree.ignore_file(&root.join("assets"));
            tree.kinds = &[];
        } else {
            // Ignore files above the asset root count too.
            tree.ignore_file(root);
        }
        tree.folder(&root.join("assets"), 0, &mut folders);
        #[cfg(unix)]
        tree.links(&folders);

        let want = real_walk(root);
        let project = Project::open(root).expect("project opens");
        let got: BTreeSet<String> = project.files_by_path().map(|(p, _)| p.to_owned()).collect();
        if got != want {
            let listing = std::process::Command::new("sh")
                .arg("-c")
                .arg("find . -ls; for f in $(find . -name '.*ignore'); do echo \"== $f\"; cat \"$f\"; done")
                .current_dir(root)
                .output()
                .map(|o| o.stdout);
            panic!(
                "tree seed {seed:#x}: the walks differ\n--- only ignore::WalkBuilder\n{:?}\n--- only Assetry\n{:?}\n--- tree\n{}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>(),
                String::from_utf8_lossy(&listing.unwrap_or_default()),
            );
        }
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty as u64 > TREES / 2, "most trees hold files ({nonempty})");
}
