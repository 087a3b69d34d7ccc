#!/usr/bin/env bash
# Makes pgo/splitbrain.profdata, the profile optimised builds use (scripts/pgo-rustc): builds
# an instrumented binary, runs it over what users run most (every protocol's swarm bench, the
# ZooKeeper swarm above all, the default campaign, and the shared histories' checks when
# ../shared/histories is there), and merges what it counted. Run it after changes to the hot
# paths (the kernel, a protocol's handlers, the checkers), then `cargo clean` once and rebuild.
# Needs rustup's llvm-tools component (for llvm-profdata): `rustup component add llvm-tools`.
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot="$(rustc --print sysroot)"
host="$(rustc -vV | sed -n 's/^host: //p')"
profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "error: $profdata not found: rustup component add llvm-tools" >&2
  exit 2
fi
work="${PGO_WORK:-target/pgo}"
rm -rf "$work/raw"
mkdir -p "$work/raw"
raw="$(cd "$work/raw" && pwd)"
echo "== instrumented build ($work/build)"
SPLITBRAIN_PGO=0 RUSTFLAGS="-Cprofile-generate=$raw" \
  cargo build --release --quiet --target-dir "$work/build"
bin="$work/build/release/splitbrain"
echo "== training runs"
"$bin" bench zookeeper --seeds 0..300 --jobs 1 -q
for p in raft zab multipaxos paxos chain; do
  "$bin" bench "$p" --seeds 0..60 --jobs 1 -q
done
"$bin" -q > /dev/null
histories="${SPLITBRAIN_HISTORIES:-../shared/histories}"
if [ -d "$histories" ]; then
  find "$histories" -type f \( -name '*.edn' -o -name '*.log' \) | sort | head -40 |
    while read -r h; do timeout 30 "$bin" check "$h" > /dev/null 2>&1 || true; done
fi
echo "== merge"
"$profdata" merge --sparse -o pgo/splitbrain.profdata "$raw"/*.profraw
rustc -vV | sed -n 's/^commit-hash: //p' > pgo/rustc-commit
ls -l pgo/splitbrain.profdata
echo "made with $(rustc --version); now: cargo clean && cargo build --release"
