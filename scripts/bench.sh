#!/usr/bin/env bash
# Runs every benchmark under bench/: each bench/<name>/run.sh gets the build folder and
# prints, as its last line, `RESULT <name> ratio=X ...` against a reference measured in
# the same run. Benchmarks are not tests: nothing here asserts a timing.
set -euo pipefail
build=${1:-build}
shopt -s nullglob
runs=(bench/*/run.sh)
if ((${#runs[@]} == 0)); then
  echo "bench: no benchmarks yet (add bench/<name>/run.sh)"
  exit 0
fi
for r in "${runs[@]}"; do
  echo "== $r"
  bash "$r" "$build"
done
