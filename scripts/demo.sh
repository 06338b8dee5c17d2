#!/usr/bin/env bash
# The demo `make demo` runs after building: synthesizes a face dataset (bare and made-up
# pairs, with exact landmarks, masks and palettes), imports it with the built-in MT and
# CelebAMask samples, auto-annotates the faces (detection, landmarks, regions, skin tone),
# splits by subject, freezes a snapshot, and renders a virtual try-on on a real photo.
# Later issues grow it into the full pipeline (train, evaluate, report, serve).
set -euo pipefail
build=${1:-build}
kohl="$build/bin/kohl"
out="$build/demo"
mkdir -p "$out"
project="$out/demo.kohl"
rm -rf "$project" "$project-wal" "$project-shm" "$project.thumbs" "$out/synth"

echo "== 1/10  kohl project new $project"
"$kohl" project new "$project" --name "Kohl demo"
echo
echo "== 2/10  synthesize 120 faces as bare/made-up pairs (synthetic: no person depicted)"
"$kohl" data synth "$out/synth" --count 120 --seed 7 --pairs
echo
echo "== 3/10  import it, and the built-in MT and CelebAMask samples (datasets/fixtures/)"
"$kohl" data import "$project" "$out/synth" --format kohl --dataset synthetic-faces
"$kohl" data import "$project" datasets/fixtures/mt --format mt --dataset mt-sample --license "synthetic, CC0"
"$kohl" data import "$project" datasets/fixtures/celebamask --format celebamask --remap mt-14 --dataset celeba-sample
echo
echo "== 4/10  auto-annotate the synthetic faces: boxes, 68 landmarks, MT-14 masks, skin tone"
"$kohl" annotate auto "$project" --dataset synthetic-faces --threads 2
echo
echo "== 5/10  split 60/20/20 by subject, reproducibly"
"$kohl" data split "$project" --ratios 0.6,0.2,0.2 --by-subject --seed 1
echo
echo "== 6/10  freeze snapshot v1, build thumbnails"
"$kohl" data snapshot "$project" v1
"$kohl" data thumbs "$project"
echo
echo "== 7/10  train the small CNN to predict the Monk shade (64 px, 4 epochs; synthetic data, small on purpose)"
run=$("$kohl" train "$project" --snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set monk \
  --epochs 4 --size 64 --batch 16 --lr 0.003 --seed 1)
"$kohl" runs show "$project" "$run"
echo
echo "== 8/10  evaluate $run on the test split (bootstrap 95% intervals, per skin-tone band)"
"$kohl" eval "$project" "$run" --split test --predictions-out "$out/$run-test-predictions.csv"
echo
echo "   ... and a recommender: from each bare face, the foundation shade of its made-up twin (CIELAB)"
rec=$("$kohl" train "$project" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task recommend \
  --regions foundation --epochs 4 --size 64 --batch 16 --lr 0.003 --seed 1)
"$kohl" eval "$project" "$rec" --split test
echo
echo "   ... export both: $run as TorchScript, ONNX and a deploy bundle, $rec as a bundle (docs/export.md)"
"$kohl" export "$project" "$run" --format torchscript --out "$out/$run.pt"
"$kohl" export "$project" "$run" --format onnx --out "$out/$run.onnx"
rm -rf "$out/$run-bundle" "$out/$rec-bundle"
"$kohl" export "$project" "$run" --format bundle --out "$out/$run-bundle"
"$kohl" export "$project" "$rec" --format bundle --out "$out/$rec-bundle"
"$kohl" bundle verify "$out/$run-bundle"
echo
echo "== 9/10  a real face: detect, then try on lipstick, eyeshadow and blush"
astro=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
"$kohl" faces detect "$astro" --draw "$out/astronaut-detected.png" 2>/dev/null
"$kohl" tryon "$astro" --out "$out/astronaut-tryon.png" --lip '#a8243a' --eyeshadow '#7a5a8a' --blush '#e08a80' \
  --opacity 0.6 --finish gloss 2>/dev/null
echo
echo "== 10/10  what the project holds"
"$kohl" data ls "$project"
echo
"$kohl" plugins list
echo
echo "Demo project: $project   (open it with: $build/bin/kohl-studio $project)"
echo "Run:          $run (kohl runs show $project $run); predictions: $out/$run-test-predictions.csv"
echo "Bundles:      $out/$run-bundle  $out/$rec-bundle  (kohl bundle verify; model_card.md inside)"
echo "Pictures:     $out/astronaut-detected.png  $out/astronaut-tryon.png"
