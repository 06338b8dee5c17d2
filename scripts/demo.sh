#!/usr/bin/env bash
# The demo `make demo` runs after building: today it creates a project and shows the
# plugins Kohl loads. Later issues grow it into the full pipeline (synthesize faces,
# import, annotate, train, evaluate).
set -euo pipefail
build=${1:-build}
kohl="$build/bin/kohl"
out="$build/demo"
mkdir -p "$out"
project="$out/demo.kohl"
rm -f "$project" "$project-wal" "$project-shm"

echo "== 1/3  kohl --version"
"$kohl" --version
echo
echo "== 2/3  kohl project new $project --name 'Kohl demo'"
"$kohl" project new "$project" --name "Kohl demo"
"$kohl" project info "$project"
echo
echo "== 3/3  kohl plugins list"
"$kohl" plugins list
echo
echo "Demo project: $project   (open it with: $build/bin/kohl-studio $project)"
