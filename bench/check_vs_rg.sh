#!/usr/bin/env bash
# `assetry check` against the floor of reading every file once: `rg` counting
# UUID-shaped strings over the same generated tree, side by side in one run
# (the machine is shared, so only ratios measured together mean much).
#
# usage: bench/check_vs_rg.sh [ASSETS...]        default: 10000 100000
#        ASSETRY=path/to/assetry bench/check_vs_rg.sh 2000
#
# For each size it generates (or reuses) /tmp/assetry-bench-<N> with
# gen_project.py, then prints for both tools the median wall time and peak
# RSS of 7 warm runs (after one untimed warm-up; the two tools alternate)
# and one cold-cache run
# (skipped, with a message, when dropping the page cache is not permitted).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
runs=7
seed=7
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

gen=$repo/../shared/bench/gen_project.py
[ -f "$gen" ] || gen=$repo/bench/gen_project.py

# ASSETRY=/path/to/assetry measures a prebuilt binary instead.
assetry=${ASSETRY:-}
if [ -z "$assetry" ]; then
  echo "building target/release/assetry" >&2
  cargo build --release -q -p assetry
  assetry=$repo/target/release/assetry
fi

# One timed run of "$@" with stdout discarded; prints "seconds KiB". The
# command's own exit status is checked by the caller's `accept` list, so a
# crash is never timed as if it were a result.
timed() {
  local accept=$1 out status
  shift
  out=$(mktemp)
  status=0
  /usr/bin/time -o "$out" -f '%e %M' "$@" >/dev/null 2>/dev/null || status=$?
  if [[ " $accept " != *" $status "* ]]; then
    echo "error: \`$*\` exited with $status (accepted: $accept)" >&2
    rm -f "$out"
    exit 1
  fi
  tail -n 1 "$out"
  rm -f "$out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

drop_caches() {
  sync
  { echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null
}

cold_ok=yes
if ! drop_caches; then
  cold_ok=no
  echo "note: cannot write /proc/sys/vm/drop_caches here (needs root outside a container); cold-cache runs skipped" >&2
fi

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, assetry $(git -C "$repo" rev-parse --short HEAD), $(rg --version | sed -n 1p)"
printf '%-8s %-8s %12s %14s %10s %14s\n' assets tool warm_s warm_peak_MiB cold_s cold_peak_MiB
echo "# warm_s: median of $runs warm runs, alternating with rg; warm_peak_MiB: the largest peak RSS among them"

for n in "${sizes[@]}"; do
  dir=/tmp/assetry-bench-$n
  if ! python3 -c 'import json, sys; t = json.load(open(sys.argv[1])); sys.exit(t["assets"] != int(sys.argv[2]) or t["seed"] != int(sys.argv[3]))' \
      "$dir/truth.json" "$n" "$seed" 2>/dev/null; then
    echo "generating $n assets in $dir" >&2
    rm -rf "$dir"
    python3 "$gen" --out "$dir" --assets "$n" --seed "$seed" >/dev/null
  fi

  # Exit 1 is expected from check: generated projects carry injected faults.
  assetry_cmd=("$assetry" check "$dir" --format json)
  rg_cmd=(rg --count-matches "$uuid_re" "$dir")
  # Warm-up pages the tree in; then the two tools alternate, so a slow
  # moment of a shared machine (or pages the kernel reclaimed) hits both.
  timed "0 1" "${assetry_cmd[@]}" >/dev/null
  timed "0" "${rg_cmd[@]}" >/dev/null
  a_s=() a_k=() r_s=() r_k=()
  for _ in $(seq "$runs"); do
    read -r s k <<<"$(timed "0 1" "${assetry_cmd[@]}")"; a_s+=("$s") a_k+=("$k")
    read -r s k <<<"$(timed "0" "${rg_cmd[@]}")"; r_s+=("$s") r_k+=("$k")
  done
  for tool in assetry rg; do
    if [ $tool = assetry ]; then
      cmd=("${assetry_cmd[@]}"); accept="0 1"; secs=("${a_s[@]}"); kib=("${a_k[@]}")
    else
      cmd=("${rg_cmd[@]}"); accept="0"; secs=("${r_s[@]}"); kib=("${r_k[@]}")
    fi
    warm_s=$(printf '%s\n' "${secs[@]}" | median)
    warm_mib=$(printf '%s\n' "${kib[@]}" | sort -g | tail -n 1 | awk '{ printf "%.0f", $1 / 1024 }')
    cold_s=- cold_mib=-
    if [ $cold_ok = yes ] && drop_caches; then
      r=$(timed "$accept" "${cmd[@]}")
      read -r s k <<<"$r"
      cold_s=$s
      cold_mib=$(awk -v k="$k" 'BEGIN { printf "%.0f", k / 1024 }')
    fi
    printf '%-8s %-8s %12s %14s %10s %14s\n' "$n" "$tool" "$warm_s" "$warm_mib" "$cold_s" "$cold_mib"
  done
done
