//! The command line as a user meets it: help for every command, bad
//! arguments refused, and the exact text of `check`'s human report.

use std::time::Duration;

use crate::support::{run_assetry, write_file};

const T: Duration = Duration::from_secs(60);
const COMMANDS: [&str; 5] = ["check", "graph", "fix", "watch", "lsp"];

#[test]
fn every_command_prints_its_own_help_by_flag_and_by_help_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    for command in COMMANDS {
        let by_help = run_assetry(dir.path(), &["help", command], T);
        by_help.assert_exit(&[0]);
        assert!(by_help.stdout.starts_with(&format!("assetry {command}: ")), "{}", by_help.stdout);
        assert!(by_help.stdout.contains(&format!("\nusage: assetry {command}")), "{}", by_help.stdout);
        assert!(by_help.stdout.contains("\n  -h, --help             print this help\n"), "{}", by_help.stdout);
        for flag in ["--help", "-h"] {
            let run = run_assetry(dir.path(), &[command, flag], T);
            run.assert_exit(&[0]);
            assert_eq!(run.stdout, by_help.stdout, "`assetry {command} {flag}`");
            assert_eq!(run.stderr, "");
        }
    }
    // The help of one command, whole.
    assert_eq!(
        run_assetry(dir.path(), &["check", "--help"], T).stdout,
        "\
assetry check: check a project once and print its diagnostics

usage: assetry check [DIR] [--format human|json] [--select CODES] [--ignore CODES]

arguments:
  DIR                    the project folder (default: the current folder)

options:
  --format human|json    human (default): a compiler-style report; json: one
                         object for tools (docs/REFERENCE.md, \"Command line\")
  --select CODES         report only these codes (comma-separated, e.g. broken-path,cycle)
  --ignore CODES         leave these codes out of this run
  -h, --help             print this help

exit status: 0 no errors, 1 errors found, 2 could not run
"
    );
    // `--help` wins over what would otherwise be an error.
    assert_eq!(run_assetry(dir.path(), &["fix", "--help"], T).code, Some(0));
}

#[test]
fn help_without_a_command_lists_the_commands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let help = run_assetry(dir.path(), &["help"], T);
    help.assert_exit(&[0]);
    for command in COMMANDS {
        assert!(help.stdout.contains(&format!("\n  assetry {command} ")), "{command} missing:\n{}", help.stdout);
    }
    assert_eq!(run_assetry(dir.path(), &["--help"], T).stdout, help.stdout);
    assert_eq!(run_assetry(dir.path(), &[], T).stdout, help.stdout);
    let unknown = run_assetry(dir.path(), &["help", "nope"], T);
    unknown.assert_exit(&[2]);
    assert_eq!(unknown.stderr, format!("error: unknown command `nope`\n\n{}\n", help.stdout));
}

#[test]
fn lsp_with_an_unknown_flag_is_a_usage_error_not_a_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Before, the server started and waited on standard input for a client.
    let run = run_assetry(dir.path(), &["lsp", "--bogus"], T);
    run.assert_exit(&[2]);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "error: lsp: invalid option '--bogus' (see `assetry lsp --help`)\n");
    for args in [&["check", "--bogus"][..], &["check", ".", "extra"]] {
        let run = run_assetry(dir.path(), args, T);
        run.assert_exit(&[2]);
        assert!(run.stderr.ends_with(" (see `assetry check --help`)\n"), "{}", run.stderr);
    }
}

#[test]
fn lsp_accepts_the_stdio_flag_editors_pass() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Standard input is empty: the server starts, reads the end of input and
    // exits with status 1 (no `shutdown` was asked), saying nothing.
    let run = run_assetry(dir.path(), &["lsp", "--stdio"], T);
    run.assert_exit(&[1]);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}

#[test]
fn human_report_of_one_asset_counts_in_the_singular_and_names_whole_file_findings_without_a_source_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write_file(root, "assets/hero.gltf", "{}\n");
    write_file(root, "assets/scene.json", "{\"mesh\": \"hero.gltf#Body\"}\n");
    write_file(root, "assets/scene.json.meta", "id = \"1b6d3f6e-3c1f-4f54-9f0e-2d8a3c6b9e11\"\n");
    let run = run_assetry(root, &["check"], T);
    run.assert_exit(&[1]);
    assert_eq!(
        run.stdout,
        "\
warning[missing-meta]: `hero.gltf` has no `.meta`, so it has no stable id; create `hero.gltf.meta` (a quick fix can)
  --> assets/hero.gltf

error[unknown-label]: `assets/hero.gltf` has no label `Body`: it has no .meta, where labels are declared (create `assets/hero.gltf.meta`)
  --> assets/scene.json:1:11
    |
  1 | {\"mesh\": \"hero.gltf#Body\"}
    |           ^^^^^^^^^^^^^^

1 error, 1 warning in 2 assets (1 reference)
"
    );
    std::fs::remove_file(root.join("assets/hero.gltf")).expect("remove");
    write_file(root, "assets/scene.json", "{\"mesh\": \"hero.png\"}\n");
    let run = run_assetry(root, &["check"], T);
    run.assert_exit(&[1]);
    assert_eq!(run.stdout.lines().last(), Some("1 error, 0 warnings in 1 asset (1 reference)"));
}
