#!/usr/bin/env bash
# make bench -> bench/import/run.sh BUILD_DIR. Work files go to BUILD_DIR/bench-work/import.
set -euo pipefail
build=${1:-build}
"$build/bin/kohl_bench_import" "$build/bin/kohl" "$build/bench-work/import" "${@:2}"
