//! The help texts: `assetry --help`, `assetry help [COMMAND]` and each
//! command's `--help`.

pub const USAGE: &str = "\
assetry: an asset pipeline that lives in the editor

usage:
  assetry check [DIR] [--format human|json] [--select CODES] [--ignore CODES]
                                                 check a project, print its diagnostics
  assetry graph [DIR] [--format dot|json] [--from PATH]
                                                 print the dependency graph
  assetry fix [DIR] --to-ids | --repair          rewrite references across a project
  assetry process [DIR] [--profile P] [--jobs N] process assets into .assetry/out/<profile>/
  assetry watch [DIR] [--profile P]              print diagnostics live as files change
  assetry lsp                                    language server on stdio
  assetry help [COMMAND]                         this text, or a command's options
  assetry --version                              print the version

Run `assetry help COMMAND` or `assetry COMMAND --help` for a command's options.
";

const CHECK: &str = "\
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
";

const GRAPH: &str = "\
assetry graph: print the project's dependency graph

usage: assetry graph [DIR] [--format dot|json] [--from PATH]

arguments:
  DIR                    the project folder (default: the current folder)

options:
  --format dot|json      dot (default): Graphviz; json: nodes and edges
  --from PATH            only what this asset reaches (a project-relative path,
                         a path as references write it, or a file-system path)
  -h, --help             print this help
";

const FIX: &str = "\
assetry fix: apply the editor's fixes to a whole project

usage: assetry fix [DIR] --to-ids | --repair

arguments:
  DIR                    the project folder (default: the current folder)

options (at least one):
  --to-ids               rewrite path references as the target's id
  --repair               point broken references at the moved target
  -h, --help             print this help

Every edit is computed first, then each file is replaced whole; the changes
are printed, one per line.
";

const PROCESS: &str = "\
assetry process: process the project's assets into .assetry/out/<profile>/

usage: assetry process [DIR] [--profile P] [--jobs N]

arguments:
  DIR                    the project folder (default: the current folder)

options:
  --profile P            the assetry.toml profile (default: default)
  -j, --jobs N           worker threads (default: one per core)
  -h, --help             print this help

Only assets whose source, settings, processor, references or build
dependencies changed are processed again. A progress bar on a terminal;
otherwise a line per processed asset. Then failures and a summary.

exit status: 0 all processed, 1 an asset failed (the others were processed),
2 could not run (another process holds the project's lock, unknown profile)
";

const WATCH: &str = "\
assetry watch: print the project's diagnostics, then what changes as files change

usage: assetry watch [DIR] [--profile P]

arguments:
  DIR                    the project folder (default: the current folder)

options:
  --profile P            the assetry.toml profile to use (default: default)
  -h, --help             print this help

Stops at the end of standard input (Ctrl-D) or on Ctrl-C.
";

const LSP: &str = "\
assetry lsp: the language server, speaking LSP on standard input and output

usage: assetry lsp [--stdio]

options:
  --stdio                accepted and ignored: stdio is the only transport
  -h, --help             print this help

Started by an editor, not by hand (README.md, \"Language server\").
";

/// The help of `command`, if there is such a command.
pub fn of(command: &str) -> Option<&'static str> {
    Some(match command {
        "check" => CHECK,
        "graph" => GRAPH,
        "fix" => FIX,
        "process" => PROCESS,
        "watch" => WATCH,
        "lsp" => LSP,
        "help" => USAGE,
        _ => return None,
    })
}
