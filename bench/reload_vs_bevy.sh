#!/bin/sh
# Hot-reload latency, Assetry and Bevy side by side in one run (BENCHMARKS.md,
# "Hot reload"). Usage: bench/reload_vs_bevy.sh [ASSETS] [SAVES]
# Needs: cargo build --release -p assetry, and the Bevy peer built with
#   (cd ../shared/peers/bevy-peer && CARGO_TARGET_DIR=/tmp/bevy-peer-target cargo build --release --locked)
set -eu
ASSETS=${1:-2000}; SAVES=${2:-200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ASSETRY=${ASSETRY:-$ROOT/target/release/assetry}
BEVY=${BEVY:-/tmp/bevy-peer-target/release/bevy-peer}
P=/tmp/assetry-reload-bench-$ASSETS
python3 "$ROOT/bench/gen_project.py" --out "$P" --assets "$ASSETS" --seed 10 --force >/dev/null
# The generator injects faults (55 of 2,000 assets fail to process; before
# failures were kept by key they were tried again on every run, ~100 ms):
# "clean" is the same project without the assets that fail (repeated until
# none does), the other row keeps them.
C=$P-clean
rm -rf "$C"; cp -r "$P" "$C"
for _ in 1 2 3 4 5; do
  FAILING=$("$ASSETRY" process "$C" 2>&1 | sed -nE 's/^error: ([^:]+):.*processing-failed.*/\1/p' | sort -u)
  [ -z "$FAILING" ] && break
  for f in $FAILING; do rm -f "$C/$f" "$C/$f.meta"; done
done
rm -rf "$C/.assetry" "$P/.assetry"
cd "$C"
# The smallest texture, and the shader the most others import (ties: first by path).
TEX=$(find assets -name '*.png' -printf '%s %p\n' | sort -n | head -1 | cut -d' ' -f2)
SHADER=$(grep -rhoE '#import "[^"]+"' assets --include='*.wgsl' | sort | uniq -c | sort -k1,1nr -k2 | head -1 | sed -E 's/.*"(.*)"/\1/')
SHADER=assets/${SHADER#assets/}
[ -f "$SHADER" ] || SHADER=$(find assets -name '*.wgsl' | sort | head -1)
cd "$ROOT"
echo "== assetry $(git rev-parse --short HEAD), $ASSETS assets, $SAVES saves each"
for run in "$C $TEX 1" "$C $TEX 50" "$C $SHADER 1" "$P $TEX 1"; do
  set -- $run
  echo "-- project $1"
  cargo bench -q -p assetry-client --bench reload -- --assetry "$ASSETRY" --project "$1" --file "$2" --saves "$SAVES" --clients "$3"
done
[ "${SKIP_BEVY:-}" ] && exit 0
echo "== bevy_asset 0.20.1 hot reload (200 loaded, $SAVES writes)"
B=/tmp/assetry-reload-bench-bevy
rm -rf "$B"; mkdir -p "$B"; cp -r "$P/assets" "$B/"; find "$B" -name '*.meta' -delete
"$BEVY" hot "$B" --count 200 --writes "$SAVES" --gap-ms 400 | grep -v _all_
