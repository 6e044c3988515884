#!/usr/bin/env bash
# pgo-build.sh — build a profile-guided (PGO) release binary of rampart.
#
#   usage: scripts/pgo-build.sh [TRAINING_CAPTURE_OR_FOLDER...]
#
# Profile-guided optimisation lets LLVM inline, lay out and split code by how often each
# branch ran on real traffic instead of by guesswork. Rampart's per-packet path crosses
# many large dissector and record-building functions, and the time it loses is mostly
# instruction-cache misses (BENCHMARKS.md), which is what PGO's code layout reduces.
#
# 1. builds an instrumented binary (-Cprofile-generate) in $PGO_DIR/gen;
# 2. runs it on every training capture three ways: `rampart analyze` (detection on),
#    `--no-detect` (the sensor pipeline alone) and `--out DIR` (every output written);
# 3. merges the raw profiles with llvm-profdata;
# 4. builds the release binary with -Cprofile-use in $PGO_DIR/use and prints its path.
#
# Training captures: the arguments (files, or folders searched for *.pcap and *.pcapng);
# else every capture in ../shared/captures when that folder exists (each file once); else
# the captures the repository ships (samples/).
# Which set trained a binary changes its speed, not its output: PGO changes code layout and
# inlining, never behaviour.
#
# Environment: PGO_SOURCE [this checkout: the source tree to build, e.g. another commit's worktree]
#   PGO_DIR [target/pgo]  PROFDATA [the toolchain's llvm-profdata, else the newest
#   llvm-profdata-N on PATH, else llvm-profdata; a path or a command name]  RUSTFLAGS (kept;
#   the PGO flag is appended).
# Needs: an llvm-profdata that reads the toolchain's raw profiles: the toolchain's own
#   (rustup component add llvm-tools), or LLVM 19 or newer (Debian: apt-get install -y llvm-19).
set -euo pipefail
export LC_ALL=C
here=$(cd "${PGO_SOURCE:-$(dirname "$0")/..}" && pwd)
PGO_DIR=${PGO_DIR:-$here/target/pgo}
mkdir -p "$PGO_DIR"
PGO_DIR=$(cd "$PGO_DIR" && pwd)

# The toolchain's own llvm-profdata matches its LLVM; else the newest versioned one on PATH
# (an unversioned llvm-profdata is often an older LLVM, as Debian's llvm-14 is).
find_profdata() {
  if [ -n "${PROFDATA:-}" ]; then command -v "$PROFDATA" || true; return; fi
  local own versioned
  own=$(ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata 2> /dev/null | head -1 || true)
  if [ -n "$own" ]; then echo "$own"; return; fi
  versioned=$(compgen -c llvm-profdata- | sort -t- -k3 -n | tail -1 || true)
  if [ -n "$versioned" ]; then command -v "$versioned"; return; fi
  command -v llvm-profdata || true
}

captures_in() { find "$@" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort; }

training_captures() {
  if [ $# -gt 0 ]; then captures_in "$@"; return; fi
  local shared=$here/../shared/captures
  if [ -d "$shared" ]; then captures_in "$shared"; else captures_in "$here/samples"; fi
}

profdata=$(find_profdata)
[ -n "$profdata" ] && [ -x "$profdata" ] || {
  echo "pgo-build: no llvm-profdata found: rustup component add llvm-tools, or install LLVM 19 or newer (Debian: apt-get install -y llvm-19), or set PROFDATA" >&2
  exit 1
}
mapfile -t captures < <(training_captures "$@")
[ ${#captures[@]} -gt 0 ] || { echo "pgo-build: no training captures" >&2; exit 1; }

raw=$PGO_DIR/raw
rm -rf "$raw" && mkdir -p "$raw"
echo "pgo-build: instrumented build in $PGO_DIR/gen" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$raw" CARGO_TARGET_DIR=$PGO_DIR/gen \
  cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p rampart-cli
gen=$PGO_DIR/gen/release/rampart

echo "pgo-build: training on ${#captures[@]} captures" >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for capture in "${captures[@]}"; do
  for mode in detect no-detect out; do
    case $mode in
      detect) args=() ;;
      no-detect) args=(--no-detect) ;;
      out) rm -rf "$out" && mkdir -p "$out" && args=(--out "$out") ;;
    esac
    # A capture Rampart rejects (other link type, corrupt) still trains the error path.
    LLVM_PROFILE_FILE=$raw/%p-%m.profraw "$gen" analyze -q --progress never "${args[@]}" "$capture" \
      > /dev/null 2>&1 || true
  done
done

merged=$PGO_DIR/merged.profdata
"$profdata" merge -o "$merged" "$raw"/*.profraw || {
  echo "pgo-build: $profdata ($("$profdata" --version | grep -m1 -o 'version [0-9.]*')) could not merge the toolchain's profiles ($(rustc -vV | grep LLVM)); use LLVM 19 or newer" >&2
  exit 1
}

echo "pgo-build: optimised build in $PGO_DIR/use" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$merged" CARGO_TARGET_DIR=$PGO_DIR/use \
  cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p rampart-cli
echo "$PGO_DIR/use/release/rampart"
