//! `assetry process` on real projects in temporary folders: each processor,
//! the cache (what a second run does and reads), invalidation along build
//! edges, hostile input and the lock. Every run's whole result is asserted:
//! the processed paths, the summary and the exit status.

use std::path::Path;
use std::time::Duration;

use crate::support::{run_assetry, write_file};

const HERO_ID: &str = "0b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11";
const MESH_ID: &str = "5a0c3f6e-3c1f-4f54-9f0e-2d8a3c6b9e12";

/// The result of one `assetry process` run.
#[derive(Debug, PartialEq)]
pub(crate) struct Outcome {
    pub code: i32,
    /// `processed PATH` lines, sorted (they come in completion order).
    pub processed: Vec<String>,
    /// `error: …` lines, in the order printed (sorted by path).
    pub errors: Vec<String>,
    /// The summary line without its time.
    pub summary: String,
}

pub(crate) fn process(dir: &Path, args: &[&str]) -> Outcome {
    let mut all = vec!["process"];
    all.extend_from_slice(args);
    let run = run_assetry(dir, &all, Duration::from_secs(120));
    run.assert_exit(&[0, 1]);
    let mut processed = Vec::new();
    let mut errors = Vec::new();
    let mut summary = String::new();
    for line in run.stdout.lines() {
        if let Some(p) = line.strip_prefix("processed ") {
            processed.push(p.to_owned());
        } else if line.starts_with("error: ") {
            errors.push(line.to_owned());
        } else if let Some((counts, rest)) = line.split_once(" in ") {
            // The time varies; the counts and the profile do not.
            let profile = rest.split_once(' ').map_or("", |(_, p)| p);
            summary = format!("{counts} {profile}");
        } else {
            panic!("unexpected line {line:?} in\n{}", run.stdout);
        }
    }
    processed.sort();
    Outcome { code: run.code.unwrap_or(-1), processed, errors, summary }
}

fn outcome(code: i32, processed: &[&str], errors: &[&str], summary: &str) -> Outcome {
    Outcome {
        code,
        processed: processed.iter().map(|s| s.to_string()).collect(),
        errors: errors.iter().map(|s| s.to_string()).collect(),
        summary: summary.to_owned(),
    }
}

/// A PNG of `w`×`h` RGBA pixels, stored (uncompressed) deflate: a real file
/// any decoder reads, made without a compression library.
pub(crate) fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&[seed, (x * 40) as u8, (y * 40) as u8, 255]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        z.extend_from_slice(&(b.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(b.len() as u16)).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = !0u32;
    for &byte in kind.iter().chain(data) {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
}

/// Width and height from a PNG's header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let n = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (n(16), n(20))
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

fn touch(dir: &Path, rel: &str) {
    let f = std::fs::File::options().append(true).open(dir.join(rel)).expect("open to touch");
    let later = std::fs::metadata(dir.join(rel)).and_then(|m| m.modified()).expect("mtime") + Duration::from_secs(5);
    f.set_modified(later).expect("set mtime");
}

/// Saves as editors do: a whole new file renamed over the old one, so a
/// watcher never sees it half written.
pub(crate) fn save(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    let tmp = path.with_file_name(format!(".{}.saving", path.file_name().unwrap().to_string_lossy()));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

pub(crate) fn kinds_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_file(d, "assets/textures/hero.png", png(8, 4, 1));
    write_file(d, "assets/textures/hero.png.meta", format!("id = \"{HERO_ID}\"\n"));
    write_file(
        d,
        "assets/models/ship.gltf.meta",
        format!("id = \"a1b2c3d4-0000-4000-8000-000000000001\"\n[[labels]]\nname = \"Mesh0\"\nid = \"{MESH_ID}\"\n"),
    );
    write_file(d, "assets/models/ship.gltf", "{}");
    write_file(
        d,
        "assets/scenes/level.scene.json",
        "{\n  \"sky\": \"textures/hero.png\",\n  \"ship\": \"models/ship.gltf#Mesh0\",\n  \"name\": \"Level 1\"\n}\n",
    );
    write_file(d, "assets/scenes/level.ron", "Scene( // the level\n  sky: \"textures/hero.png\",\n  count: 3,\n)\n");
    write_file(d, "assets/shaders/common.wgsl", "fn shade() -> f32 { return 1.0; }\n");
    write_file(d, "assets/shaders/lit.wgsl", "#import \"shaders/common.wgsl\"\nfn main() {}\n");
    write_file(d, "assets/notes.txt", "as is\n");
    dir
}

pub(crate) const KINDS: &[&str] = &[
    "assets/models/ship.gltf",
    "assets/notes.txt",
    "assets/scenes/level.ron",
    "assets/scenes/level.scene.json",
    "assets/shaders/common.wgsl",
    "assets/shaders/lit.wgsl",
    "assets/textures/hero.png",
];

#[test]
fn each_processor_writes_its_artifact_and_a_second_run_reads_nothing() {
    let dir = kinds_project();
    let d = dir.path();
    assert_eq!(
        process(d, &[]),
        outcome(0, KINDS, &[], "7 processed, 0 skipped, 0 failed, 7 sources read (profile default)")
    );
    let out = ".assetry/out/default";
    assert_eq!(
        String::from_utf8(read(d, &format!("{out}/scenes/level.scene.json"))).unwrap(),
        format!("{{\"sky\":\"{HERO_ID}\",\"ship\":\"{MESH_ID}\",\"name\":\"Level 1\"}}")
    );
    assert_eq!(
        String::from_utf8(read(d, &format!("{out}/scenes/level.ron"))).unwrap(),
        format!("Scene(sky:\"{HERO_ID}\",count:3,)")
    );
    assert_eq!(read(d, &format!("{out}/notes.txt")), b"as is\n");
    // The composed shader: the import is resolved into the module itself.
    assert_eq!(read(d, &format!("{out}/shaders/lit.wgsl")), b"fn main() {\n    return;\n}\n\n");
    assert_eq!(png_size(&read(d, &format!("{out}/textures/hero.png"))), (8, 4));
    let manifest: serde_json::Value = serde_json::from_slice(&read(d, &format!("{out}/manifest.json"))).unwrap();
    let scene = &manifest["assets"].as_array().unwrap()[3];
    assert_eq!(scene["path"], "assets/scenes/level.scene.json");
    assert_eq!(scene["artifact"], "scenes/level.scene.json");
    assert_eq!(scene["load"], serde_json::json!([HERO_ID, "a1b2c3d4-0000-4000-8000-000000000001"]));

    // Nothing changed: nothing processed, not one source read.
    assert_eq!(
        process(d, &[]),
        outcome(0, &[], &[], "0 processed, 7 skipped, 0 failed, 0 sources read (profile default)")
    );
    // A touched file is read and hashed, and found unchanged.
    touch(d, "assets/notes.txt");
    assert_eq!(
        process(d, &[]),
        outcome(0, &[], &[], "0 processed, 7 skipped, 0 failed, 1 sources read (profile default)")
    );
    assert_eq!(
        process(d, &[]),
        outcome(0, &[], &[], "0 processed, 7 skipped, 0 failed, 0 sources read (profile default)")
    );
}

#[test]
fn a_meta_setting_and_a_profile_reprocess_that_image_only() {
    let dir = kinds_project();
    let d = dir.path();
    write_file(d, "assetry.toml", "[profiles.mobile]\ninherits = \"default\"\nsettings.image = { max_size = 2 }\n");
    assert_eq!(process(d, &[]).code, 0);
    write_file(d, "assets/textures/hero.png.meta", format!("id = \"{HERO_ID}\"\n[settings]\nmax_size = 4\n"));
    assert_eq!(
        process(d, &[]),
        outcome(
            0,
            &["assets/textures/hero.png"],
            &[],
            "1 processed, 6 skipped, 0 failed, 1 sources read (profile default)"
        )
    );
    assert_eq!(png_size(&read(d, ".assetry/out/default/textures/hero.png")), (4, 2));
    // The mobile profile's max_size layers over the .meta's general one.
    assert_eq!(
        process(d, &["--profile", "mobile"]).summary,
        "7 processed, 0 skipped, 0 failed, 7 sources read (profile mobile)"
    );
    assert_eq!(png_size(&read(d, ".assetry/out/mobile/textures/hero.png")), (2, 1));
    assert_eq!(png_size(&read(d, ".assetry/out/default/textures/hero.png")), (4, 2));
    // A format setting changes the artifact's name; the old one goes.
    write_file(d, "assets/textures/hero.png.meta", format!("id = \"{HERO_ID}\"\n[settings]\nformat = \"jpeg\"\n"));
    assert_eq!(process(d, &[]).processed, ["assets/textures/hero.png"]);
    assert_eq!(&read(d, ".assetry/out/default/textures/hero.jpg")[..3], b"\xff\xd8\xff");
    assert!(!d.join(".assetry/out/default/textures/hero.png").exists());
}

#[test]
fn an_import_change_reprocesses_exactly_its_transitive_importers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "assets/shaders/common.wgsl", "fn a() {}\n");
    write_file(d, "assets/shaders/light.wgsl", "#import \"shaders/common.wgsl\"\n");
    write_file(d, "assets/shaders/pbr.wgsl", "#import \"shaders/light.wgsl\"\n");
    write_file(d, "assets/shaders/other.wgsl", "fn b() {}\n");
    write_file(d, "assets/shaders/uses_other.wgsl", "#import \"shaders/other.wgsl\"\n");
    assert_eq!(process(d, &[]).processed.len(), 5);
    write_file(d, "assets/shaders/common.wgsl", "fn a() { let x = 1; }\n");
    assert_eq!(
        process(d, &[]),
        outcome(
            0,
            &["assets/shaders/common.wgsl", "assets/shaders/light.wgsl", "assets/shaders/pbr.wgsl"],
            &[],
            "3 processed, 2 skipped, 0 failed, 3 sources read (profile default)"
        )
    );
}

#[test]
fn external_tools_succeed_fail_and_are_killed_after_their_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(
        d,
        "assetry.toml",
        r#"
[processors.upper]
command = ["sh", "-c", "tr a-z A-Z < \"$0\" > \"$1\"", "{input}", "{output}"]
output_extension = "up"
[processors.broken]
command = ["sh", "-c", "echo 'cannot parse line 3' >&2; exit 3"]
[processors.hang]
command = ["sh", "-c", "sleep 1000; echo never > \"$0\"", "{output}"]
timeout = 0.5
[processors.chatty]
command = ["sh", "-c", "head -c 100000000 /dev/zero | tr '\\0' x >&2; exit 1"]
[processors.escape]
command = ["cp", "{input}", "{output}"]
output_extension = "../../../evil"
"#,
    );
    for (name, processor) in [("a", "upper"), ("b", "broken"), ("c", "hang"), ("d", "chatty"), ("e", "escape")] {
        write_file(d, &format!("assets/{name}.txt"), "hello\n");
        write_file(
            d,
            &format!("assets/{name}.txt.meta"),
            format!(
                "id = \"00000000-0000-4000-8000-00000000000{}\"\nprocessor = \"{processor}\"\n",
                name.as_bytes()[0] - b'a'
            ),
        );
    }
    write_file(d, "assets/plain.txt", "plain\n");
    let run = process(d, &[]);
    assert_eq!(run.processed, ["assets/a.txt", "assets/plain.txt"]);
    assert_eq!(run.summary, "2 processed, 0 skipped, 4 failed, 6 sources read (profile default)");
    assert_eq!(run.errors.len(), 4, "{:?}", run.errors);
    assert_eq!(
        run.errors[0],
        "error: assets/b.txt: processing-failed: `broken` exited with status 3: cannot parse line 3"
    );
    assert_eq!(
        run.errors[1],
        "error: assets/c.txt: processing-failed: `hang` did not finish within 0.5 s; its processes were killed"
    );
    let chatty = &run.errors[2];
    assert!(
        chatty.starts_with("error: assets/d.txt: processing-failed: `chatty` exited with status 1: xxxx"),
        "{chatty:.200}"
    );
    assert_eq!(
        chatty.len(),
        "error: assets/d.txt: processing-failed: `chatty` exited with status 1: ".len() + 16 * 1024
    );
    assert_eq!(
        run.errors[3],
        "error: assets/e.txt: processing-failed: output extension `../../../evil` is not a plain extension (letters, digits, `_`, `-`)"
    );
    assert_eq!(read(d, ".assetry/out/default/a.up"), b"HELLO\n");
    assert_eq!(run.code, 1);
}

#[test]
fn hostile_input_fails_that_asset_only_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = png(4, 4, 7);
    write_file(d, "assets/good.png", &good);
    write_file(d, "assets/truncated.png", &good[..good.len() / 2]);
    // A 16k×16k header over a few bytes of data: refused, never allocated.
    let mut bomb = png(1, 1, 0);
    bomb.truncate(8);
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&16384u32.to_be_bytes());
    ihdr.extend_from_slice(&16384u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut bomb, b"IHDR", &ihdr);
    chunk(&mut bomb, b"IDAT", &[0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1]);
    chunk(&mut bomb, b"IEND", &[]);
    write_file(d, "assets/bomb.png", &bomb);
    write_file(d, "assets/shaders/a.wgsl", "#import \"shaders/b.wgsl\"\n");
    write_file(d, "assets/shaders/b.wgsl", "#import \"shaders/a.wgsl\"\n");
    write_file(d, "assets/shaders/above.wgsl", "#import \"shaders/a.wgsl\"\n");
    write_file(d, "assets/bad.json", "{\n  \"a\": 1,\n  \"b\": ]\n}\n");
    write_file(d, "assets/broken_ref.json", "{\"sky\": \"textures/nowhere.png\"}");
    let run = process(d, &[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.processed, ["assets/good.png"]);
    assert_eq!(
        run.errors,
        [
            "error: assets/bad.json:3:8: processing-failed: invalid JSON: expected value at line 3 column 8",
            "error: assets/bomb.png: processing-failed: the image is 16384×16384: decoding it would take 1024 MiB, more than the 256 MiB allowed",
            "error: assets/broken_ref.json:1:10: processing-failed: `textures/nowhere.png` does not resolve to an asset",
            "error: assets/shaders/a.wgsl: processing-failed: build dependency cycle: assets/shaders/a.wgsl → assets/shaders/b.wgsl → assets/shaders/a.wgsl",
            "error: assets/shaders/above.wgsl: processing-failed: its build dependency `assets/shaders/a.wgsl` could not be processed",
            "error: assets/shaders/b.wgsl: processing-failed: build dependency cycle: assets/shaders/a.wgsl → assets/shaders/b.wgsl → assets/shaders/a.wgsl",
            "error: assets/truncated.png: processing-failed: cannot decode the image: unexpected end of file",
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_second_process_names_the_lock_holder_and_exits_2() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let dir = kinds_project();
    let d = dir.path();
    std::fs::create_dir_all(d.join(".assetry")).unwrap();
    let mut held = std::fs::File::create(d.join(".assetry/lock")).unwrap();
    write!(held, "4242").unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(held.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    let run = run_assetry(d, &["process"], Duration::from_secs(60));
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: another assetry process (pid 4242) is processing this project (lock {})",
            d.canonicalize().unwrap().join(".assetry/lock").display()
        )
    );
    assert!(!d.join(".assetry/out").exists(), "nothing written while the lock is held");
    drop(held);
    assert_eq!(process(d, &[]).code, 0);
}

/// `assetry watch` processes at start and after each batch, on its own thread.
#[test]
fn watch_processes_after_each_change_and_reports_failures_then_their_fix() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "assets/shaders/common.wgsl", "fn a() {}\n");
    write_file(d, "assets/shaders/lit.wgsl", "#import \"shaders/common.wgsl\"\n");
    write_file(d, "assets/shaders/other.wgsl", "fn b() {}\n");
    write_file(d, "assets/level.json", "{\"n\": 1}\n");
    let mut child = Command::new(crate::support::assetry_bin())
        .arg("watch")
        .arg(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("assetry watch runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    // Everything printed for one run, up to its `processing:` line (the
    // processed lines of a run come sorted).
    let mut run = || -> Vec<String> {
        let mut out = Vec::new();
        for line in lines.by_ref() {
            let last = line.starts_with("processing: ");
            if last || line.starts_with("processed ") || line.starts_with("error[processing-failed]") {
                out.push(line);
            }
            if last {
                return out;
            }
        }
        panic!("assetry watch ended; got {out:?}");
    };
    assert_eq!(
        run(),
        [
            "processed assets/level.json",
            "processed assets/shaders/common.wgsl",
            "processed assets/shaders/lit.wgsl",
            "processed assets/shaders/other.wgsl",
            "processing: 4 processed, 0 failed"
        ]
    );
    save(d, "assets/level.json", "{\"n\": }\n");
    assert_eq!(
        run(),
        [
            "error[processing-failed] assets/level.json:1:7: invalid JSON: expected value at line 1 column 7",
            "processing: 0 processed, 1 failed"
        ]
    );
    save(d, "assets/level.json", "{\"n\": 2}\n");
    assert_eq!(run(), ["processed assets/level.json", "processing: 1 processed, 0 failed"]);
    save(d, "assets/shaders/common.wgsl", "fn a() { }\n");
    assert_eq!(
        run(),
        [
            "processed assets/shaders/common.wgsl",
            "processed assets/shaders/lit.wgsl",
            "processing: 2 processed, 0 failed"
        ]
    );
    assert_eq!(read(d, ".assetry/out/default/level.json"), b"{\"n\":2}");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

#[test]
fn shaders_are_composed_with_quoted_and_module_imports_and_type_errors_are_placed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "assets/shaders/common.wgsl", "fn shade() -> f32 { return 0.25; }\n");
    write_file(
        d,
        "assets/shaders/lit.wgsl",
        "#import \"shaders/common.wgsl\"::shade\n\n@fragment\nfn main() -> @location(0) vec4<f32> {\n    return vec4<f32>(shade());\n}\n",
    );
    write_file(
        d,
        "assets/shaders/lighting.wgsl",
        "#define_import_path my::lighting\n\nfn light() -> f32 { return 0.5; }\n",
    );
    write_file(
        d,
        "assets/shaders/sun.wgsl",
        "#import my::lighting::light\n\n@fragment\nfn sun() -> @location(0) vec4<f32> {\n    return vec4<f32>(light());\n}\n",
    );
    // A type error on line 3: a bool returned where an f32 is declared.
    write_file(d, "assets/shaders/bad.wgsl", "fn bad() -> f32 {\n    let y = 2.0;\n    return y > 1.0;\n}\n");
    let run = process(d, &[]);
    assert_eq!(
        run.processed,
        [
            "assets/shaders/common.wgsl",
            "assets/shaders/lighting.wgsl",
            "assets/shaders/lit.wgsl",
            "assets/shaders/sun.wgsl"
        ]
    );
    assert_eq!(
        run.errors,
        [
            "error: assets/shaders/bad.wgsl:3:12: processing-failed: invalid shader: `y > 1.0`: the value returned is not of the function's return type `f32`"
        ]
    );
    for (artifact, called, value) in [("lit.wgsl", "shade", "0.25"), ("sun.wgsl", "light", "0.5")] {
        let out = String::from_utf8(read(d, &format!(".assetry/out/default/shaders/{artifact}"))).unwrap();
        // One self-contained module: the imported function's body is in it.
        assert!(!out.contains("#import") && out.contains(value) && out.contains(called), "{artifact}:\n{out}");
    }
}

/// The bundled demo is what the README runs `assetry watch` and the
/// hot-reload game on: every asset of it must process.
#[test]
fn the_demo_project_processes_without_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = crate::support::repo_root().join("examples/demo");
    let status = std::process::Command::new("cp").arg("-r").arg(demo.join(".")).arg(dir.path()).status().unwrap();
    assert!(status.success());
    let run = process(dir.path(), &[]);
    assert_eq!((run.code, run.errors.as_slice()), (0, &[][..]), "{run:?}");
    assert_eq!(run.summary, "30 processed, 0 skipped, 0 failed, 30 sources read (profile default)");
}

/// A Bevy project knows assets by path (its `.meta` files hold no id): a
/// scene's output keeps its references as written, checked and minified.
#[test]
fn in_a_bevy_project_a_scene_keeps_its_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_file(d, "assetry.toml", "[project]\nflavor = \"bevy\"\n");
    write_file(d, "assets/textures/sky.png", png(2, 2, 7));
    write_file(d, "assets/models/ship.gltf", "{\"asset\":{\"version\":\"2.0\"},\"scenes\":[{}]}");
    write_file(
        d,
        "assets/scenes/level.scn.ron",
        "( // the level\n  sky: \"textures/sky.png\",\n  ship: \"models/ship.gltf#Scene0\",\n)\n",
    );
    let run = process(d, &[]);
    assert_eq!(run.errors, Vec::<String>::new());
    assert_eq!(
        String::from_utf8(read(d, ".assetry/out/default/scenes/level.scn.ron")).unwrap(),
        "(sky:\"textures/sky.png\",ship:\"models/ship.gltf#Scene0\",)"
    );
    // A path that names nothing still fails the scene, at the path.
    write_file(d, "assets/scenes/level.scn.ron", "(sky: \"textures/none.png\")\n");
    let run = process(d, &[]);
    assert_eq!(
        run.errors,
        ["error: assets/scenes/level.scn.ron:1:8: processing-failed: `textures/none.png` does not resolve to an asset"]
    );
}

#[test]
fn a_failure_is_not_tried_again_until_its_key_changes_and_is_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The tool appends a line to a counter file each time it runs: the witness.
    let counter = d.join("runs.log");
    write_file(
        d,
        "assetry.toml",
        format!(
            "[processors.strict]\ncommand = [\"sh\", \"-c\", \"echo run >> '{}'; echo 'bad value on line 2' >&2; exit 1\", \"{{input}}\"]\n",
            counter.display()
        ),
    );
    write_file(d, "assets/a.txt", "one\n");
    write_file(d, "assets/a.txt.meta", "id = \"00000000-0000-4000-8000-000000000001\"\nprocessor = \"strict\"\n");
    write_file(d, "assets/plain.txt", "plain\n");
    let runs = || std::fs::read_to_string(&counter).unwrap_or_default().lines().count();
    let error = "error: assets/a.txt: processing-failed: `strict` exited with status 1: bad value on line 2";
    let first = process(d, &[]);
    assert_eq!(
        first,
        outcome(
            1,
            &["assets/plain.txt"],
            &[error],
            "1 processed, 0 skipped, 1 failed, 2 sources read (profile default)"
        )
    );
    assert_eq!(runs(), 1);
    // Same key: the failure comes from the store, the tool does not run.
    let second = process(d, &[]);
    assert_eq!(second, outcome(1, &[], &[error], "0 processed, 1 skipped, 1 failed, 0 sources read (profile default)"));
    assert_eq!(runs(), 1);
    // A new source is a new key: tried again.
    save(d, "assets/a.txt", "two\n");
    let third = process(d, &[]);
    assert_eq!(third, outcome(1, &[], &[error], "0 processed, 1 skipped, 1 failed, 1 sources read (profile default)"));
    assert_eq!(runs(), 2);
    // So is a new setting in its `.meta`.
    save(
        d,
        "assets/a.txt.meta",
        "id = \"00000000-0000-4000-8000-000000000001\"\nprocessor = \"strict\"\n[settings]\nlevel = 2\n",
    );
    assert_eq!(process(d, &[]).code, 1);
    assert_eq!(runs(), 3);
}

/// A failure of the machine (the tool is not installed yet) is not the
/// asset's verdict: installing the tool is enough, the asset is not touched.
#[test]
fn a_tool_installed_after_a_failure_is_run_without_touching_the_asset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tool = d.join("tools/copy.sh");
    write_file(
        d,
        "assetry.toml",
        format!("[processors.copier]\ncommand = [\"{}\", \"{{input}}\", \"{{output}}\"]\n", tool.display()),
    );
    write_file(d, "assets/a.txt", "one\n");
    write_file(d, "assets/a.txt.meta", "id = \"00000000-0000-4000-8000-000000000002\"\nprocessor = \"copier\"\n");
    let first = process(d, &[]);
    assert_eq!(first.code, 1);
    assert_eq!(first.errors.len(), 1);
    assert!(
        first.errors[0]
            .starts_with(&format!("error: assets/a.txt: processing-failed: cannot run `{}`: ", tool.display())),
        "{first:?}"
    );
    write_file(d, "tools/copy.sh", "#!/bin/sh\ncp \"$1\" \"$2\"\n");
    let mut perms = std::fs::metadata(&tool).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&tool, perms).unwrap();
    let second = process(d, &[]);
    assert_eq!((second.code, second.processed.as_slice()), (0, &["assets/a.txt".to_owned()][..]), "{second:?}");
    assert_eq!(read(d, ".assetry/out/default/a.txt"), b"one\n");
}
