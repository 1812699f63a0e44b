#!/bin/sh
# Runs every fuzz target (or the TARGETs named) for SECONDS seconds each (default 600), at the lowest CPU priority,
# JOBS targets at a time (default 2), logging to fuzz/logs/<target>.log.
# Debug assertions and overflow checks come from the release profile in Cargo.toml.
# Usage: fuzz/run.sh [SECONDS] [JOBS] [TARGET...]     (needs cargo-fuzz; works on stable through RUSTC_BOOTSTRAP)
set -eu
cd "$(dirname "$0")"
SECONDS_EACH="${1:-600}"
JOBS="${2:-2}"
shift $(( $# < 2 ? $# : 2 ))
TARGET_DIR="${FUZZ_TARGET_DIR:-target}"
mkdir -p logs
RUSTC_BOOTSTRAP=1 cargo fuzz build -O --target-dir "$TARGET_DIR"
if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cargo fuzz list; fi | xargs -P "$JOBS" -I{} sh -c \
  "RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -O --target-dir '$TARGET_DIR' {} -- \
     -max_total_time=$SECONDS_EACH -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 > logs/{}.log 2>&1; \
   echo \"{}: exit \$?\" >> logs/summary.txt"
cat logs/summary.txt
