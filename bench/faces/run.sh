#!/usr/bin/env bash
# make bench -> bench/faces/run.sh BUILD_DIR. Needs python3-skimage's astronaut.png and
# libdlib-data's landmark model (both installed by scripts/setup.sh).
set -euo pipefail
build=${1:-build}
"$build/bin/kohl_bench_faces" "${@:2}"
