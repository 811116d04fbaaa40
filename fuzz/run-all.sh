#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after another,
# at low priority; logs go to fuzz/logs/. cargo-fuzz wants nightly flags, and
# the machine has one stable toolchain: RUSTC_BOOTSTRAP=1 lets it take them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-600}
mkdir -p fuzz/logs
for target in reply ehlo address letter dot_stuffing visible; do
  echo "== $target for ${seconds}s"
  RUSTC_BOOTSTRAP=1 nice -n 10 cargo fuzz run -O "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    >"fuzz/logs/$target.log" 2>&1 || { echo "$target FAILED: see fuzz/logs/$target.log"; exit 1; }
  grep -E "^Done" "fuzz/logs/$target.log"
done
