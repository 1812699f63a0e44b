#!/bin/sh
# Runs every fuzz target for SECONDS seconds each (default 600), at the lowest CPU priority,
# JOBS targets at a time (default 2), logging to fuzz/logs/<target>.log.
# Usage: fuzz/run.sh [SECONDS] [JOBS]     (needs cargo-fuzz; works on stable through RUSTC_BOOTSTRAP)
set -eu
cd "$(dirname "$0")"
SECONDS_EACH="${1:-600}"
JOBS="${2:-2}"
TARGET_DIR="${FUZZ_TARGET_DIR:-target}"
mkdir -p logs
RUSTC_BOOTSTRAP=1 cargo fuzz build -O -a --target-dir "$TARGET_DIR"
cargo fuzz list | xargs -P "$JOBS" -I{} sh -c \
  "RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -O -a --target-dir '$TARGET_DIR' {} -- \
     -max_total_time=$SECONDS_EACH -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 > logs/{}.log 2>&1; \
   echo \"{}: exit \$?\" >> logs/summary.txt"
cat logs/summary.txt
