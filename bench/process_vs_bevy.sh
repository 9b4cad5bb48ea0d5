#!/bin/sh
# Processing, side by side in one run: Bevy's AssetProcessor (the bevy-peer
# harness, `--copy`: every file copied) and `assetry process` with every
# asset on the copy processor (`processor = "none"` added to each .meta), on
# one generated project: a cold run (no outputs yet) and a no-op run (the
# same tree again). Prints /usr/bin/time lines; asserts nothing.
#
# Usage: bench/process_vs_bevy.sh [ASSETS] [RUNS]
#   ASSETRY=target/release/assetry  BEVY=/tmp/bevy-peer-target/release/bevy-peer
# (build bevy-peer as /work/shared/peers/bevy-peer/README.md says).
set -eu
N=${1:-10000}; RUNS=${2:-3}
ASSETRY=${ASSETRY:-target/release/assetry}
BEVY=${BEVY:-/tmp/bevy-peer-target/release/bevy-peer}
GEN=${GEN:-/work/shared/bench/gen_project.py}
FMT="wall_s=%e user_s=%U sys_s=%S maxrss_kb=%M"
SRC=/tmp/pvb-src-$N
NOMETA=/tmp/pvb-nometa-$N
rm -rf "$SRC" "$NOMETA" /tmp/pvb-bevy-$N-* /tmp/pvb-assetry-$N-*
python3 "$GEN" --out "$SRC" --assets "$N" --seed 10 >/dev/null
# Bevy would read the generator's TOML .meta files as its RON meta: left out.
mkdir -p "$NOMETA"; cp -r "$SRC/assets" "$NOMETA/"; find "$NOMETA" -name '*.meta' -delete
# The copy processor for every asset with a .meta (the id stays on line 1).
find "$SRC/assets" -name '*.meta' -exec sed -i '1a processor = "none"' {} +
for i in $(seq "$RUNS"); do
  mkdir -p "/tmp/pvb-bevy-$N-$i" "/tmp/pvb-assetry-$N-$i"
  cp -r "$NOMETA/assets" "/tmp/pvb-bevy-$N-$i/"
  cp -r "$SRC/assets" "/tmp/pvb-assetry-$N-$i/"
done
# Let the copies reach the disk, and wait out the inodes the `rm -rf` above
# freed: ext4 without a journal (this machine's) skips, when it allocates an
# inode, any freed in the last minutes (`recently_deleted`; 65 s after a
# `sync` was not enough here), and creating files right after a mass delete
# then costs both tools several times more, unevenly.
sync; sleep ${SETTLE:-330}
# Cold runs first, then the no-op runs (a tool's no-op run may delete and
# remake files, which would slow the next cold run). `sync` before each
# timed run: no tool pays for writing back what the one before it left in
# the page cache (Assetry's `syncfs` would).
for i in $(seq "$RUNS"); do
  b=/tmp/pvb-bevy-$N-$i; a=/tmp/pvb-assetry-$N-$i
  sync; echo "bevy cold:     $(/usr/bin/time -f "$FMT" "$BEVY" process "$b" --copy --no-watch 2>&1 | tr '\n' ' ')"
  sync; echo "assetry cold:  $( { /usr/bin/time -f "$FMT" "$ASSETRY" process "$a" | tail -1; } 2>&1 | tr '\n' ' ')"
done
for i in $(seq "$RUNS"); do
  b=/tmp/pvb-bevy-$N-$i; a=/tmp/pvb-assetry-$N-$i
  sync; echo "bevy no-op:    $(/usr/bin/time -f "$FMT" "$BEVY" process "$b" --copy --no-watch 2>&1 | tr '\n' ' ')"
  sync; echo "assetry no-op: $( { /usr/bin/time -f "$FMT" "$ASSETRY" process "$a" | tail -1; } 2>&1 | tr '\n' ' ')"
done
