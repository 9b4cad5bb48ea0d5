//! Crash safety of `assetry process`: a generated 2,000-asset project is
//! processed by runs killed with SIGKILL at 20 seeded points (after the
//! k-th asset a run reports, k drawn over the whole run, so the kills land
//! before, during and after the processing and commits). After each, one
//! run completes, and `.assetry/out/` must then be byte for byte what an
//! uninterrupted run wrote: every artifact and the manifest, nothing more.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::process::{png, process};
use crate::support::{assetry_bin, copy_tree, write_file};

const ASSETS: usize = 2000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: small, seeded, the same sequence on every machine.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// 300 images with ids, 500 scenes referring to two of them each, 20
/// shader modules and 180 shaders importing one, 1,000 opaque files.
fn generate(root: &Path, rng: &mut Rng) {
    for i in 0..300 {
        write_file(root, &format!("assets/textures/t{i}.png"), png(2 + (i % 3) as u32, 2, i as u8));
        write_file(
            root,
            &format!("assets/textures/t{i}.png.meta"),
            format!("id = \"00000000-0000-4000-8000-{i:012}\"\n"),
        );
    }
    for i in 0..500 {
        let (a, b) = (rng.next() % 300, rng.next() % 300);
        write_file(
            root,
            &format!("assets/scenes/s{i}.scene.json"),
            format!("{{\n  \"a\": \"textures/t{a}.png\",\n  \"b\": \"textures/t{b}.png\",\n  \"n\": {i}\n}}\n"),
        );
    }
    for i in 0..20 {
        write_file(root, &format!("assets/shaders/common{i}.wgsl"), format!("fn f{i}() {{}}\n"));
    }
    for i in 0..180 {
        write_file(
            root,
            &format!("assets/shaders/s{i}.wgsl"),
            format!("#import \"shaders/common{}.wgsl\"\nfn main() {{}}\n", i % 20),
        );
    }
    for i in 0..1000 {
        let len = 64 + (rng.next() % 2000) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        write_file(root, &format!("assets/data/d{}/{i}.bin", i % 10), bytes);
    }
}

/// Every file under `.assetry/out`, by path.
fn outputs(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let base = root.join(".assetry/out");
    let mut stack = vec![base.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("list outputs") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(&base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&path).expect("read output"));
            }
        }
    }
    out
}

/// Starts a run and SIGKILLs it once it has reported `after` processed
/// assets (0: at once). Returns whether it was killed before it ended.
fn killed_run(root: &Path, after: usize) -> bool {
    let mut child = Command::new(assetry_bin())
        .args(["process", "--jobs", "2"])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn assetry");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut seen = 0;
    if after > 0 {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("processed ") {
                seen += 1;
                if seen == after {
                    break;
                }
            }
        }
    }
    let _ = child.kill(); // SIGKILL
    let status = child.wait().expect("wait");
    status.code().is_none()
}

#[test]
fn runs_killed_at_20_points_are_followed_by_a_run_with_the_uninterrupted_outputs() {
    let mut rng = Rng(0x5EED_2026);
    let base = tempfile::tempdir().unwrap();
    generate(base.path(), &mut rng);

    let reference = tempfile::tempdir().unwrap();
    copy_tree(base.path(), reference.path());
    let run = process(reference.path(), &[]);
    assert_eq!(
        run.summary,
        format!("{ASSETS} processed, 0 skipped, 0 failed, {ASSETS} sources read (profile default)")
    );
    let expected = outputs(reference.path());
    assert_eq!(expected.len(), ASSETS + 1, "every asset's artifact and the manifest");

    let mut killed = 0;
    for round in 0..20 {
        let work = tempfile::tempdir().unwrap();
        copy_tree(base.path(), work.path());
        // Odd rounds are killed twice in a row: a killed run after a killed run.
        for _ in 0..1 + round % 2 {
            let after = (rng.next() % (ASSETS as u64 + 1)) as usize;
            killed += usize::from(killed_run(work.path(), after));
        }
        let run = process(work.path(), &[]);
        assert_eq!((run.code, run.errors.len()), (0, 0), "round {round}: {run:?}");
        let got = outputs(work.path());
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "round {round}: the same files"
        );
        for (path, bytes) in &expected {
            assert!(got[path] == *bytes, "round {round}: {path} differs from the uninterrupted run's");
        }
    }
    assert!(killed >= 20, "only {killed} runs were killed before they ended");
}
