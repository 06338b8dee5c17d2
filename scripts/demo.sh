#!/usr/bin/env bash
# The demo `make demo` runs after building: creates a project, imports the built-in
# synthetic datasets (Kohl's own format and the MT makeup-transfer layout), splits them by
# subject, freezes a snapshot and shows what the project holds. Later issues grow it into
# the full pipeline (synthesize faces, auto-annotate, train, evaluate).
set -euo pipefail
build=${1:-build}
kohl="$build/bin/kohl"
out="$build/demo"
mkdir -p "$out"
project="$out/demo.kohl"
rm -rf "$project" "$project-wal" "$project-shm" "$project.thumbs"

echo "== 1/6  kohl project new $project"
"$kohl" project new "$project" --name "Kohl demo"
echo
echo "== 2/6  import the built-in synthetic datasets (datasets/fixtures/)"
"$kohl" data import "$project" datasets/fixtures/kohl --format kohl --dataset synthetic-faces
"$kohl" data import "$project" datasets/fixtures/mt --format mt --dataset mt-sample --license "synthetic, CC0"
"$kohl" data import "$project" datasets/fixtures/celebamask --format celebamask --remap mt-14 --dataset celeba-sample
echo
echo "== 3/6  split 60/20/20 by subject, reproducibly"
"$kohl" data split "$project" --ratios 0.6,0.2,0.2 --by-subject --seed 1
echo
echo "== 4/6  freeze snapshot v1"
"$kohl" data snapshot "$project" v1
echo
echo "== 5/6  thumbnails"
"$kohl" data thumbs "$project"
echo
echo "== 6/6  what the project holds"
"$kohl" data ls "$project"
echo
"$kohl" plugins list
echo
echo "Demo project: $project   (open it with: $build/bin/kohl-studio $project)"
