#!/usr/bin/env bash
# The demo `make demo` runs after building: synthesizes a face dataset (bare and made-up
# pairs, with exact landmarks, masks and palettes), imports it with the built-in MT and
# CelebAMask samples, auto-annotates the faces (detection, landmarks, regions, skin tone),
# splits by subject, freezes a snapshot, trains and evaluates a Monk-shade classifier (twice,
# to compare) and a shade recommender, writes their reports, exports them, serves them over
# HTTP and calls the server, and renders a virtual try-on on a real photo.
set -euo pipefail
build=${1:-build}
kohl="$build/bin/kohl"
out="$build/demo"
mkdir -p "$out"
project="$out/demo.kohl"
rm -rf "$project" "$project-wal" "$project-shm" "$project.thumbs" "$out/synth"

echo "== 1/13  kohl project new $project"
"$kohl" project new "$project" --name "Kohl demo"
echo
echo "== 2/13  synthesize 120 faces as bare/made-up pairs (synthetic: no person depicted)"
"$kohl" data synth "$out/synth" --count 120 --seed 7 --pairs
echo
echo "== 3/13  import it, and the built-in MT and CelebAMask samples (datasets/fixtures/)"
"$kohl" data import "$project" "$out/synth" --format kohl --dataset synthetic-faces
"$kohl" data import "$project" datasets/fixtures/mt --format mt --dataset mt-sample --license "synthetic, CC0"
"$kohl" data import "$project" datasets/fixtures/celebamask --format celebamask --remap mt-14 --dataset celeba-sample
echo
echo "== 4/13  auto-annotate the synthetic faces: boxes, 68 landmarks, MT-14 masks, skin tone"
"$kohl" annotate auto "$project" --dataset synthetic-faces --threads 2
echo
echo "== 5/13  split 60/20/20 by subject, reproducibly"
"$kohl" data split "$project" --ratios 0.6,0.2,0.2 --by-subject --seed 1
echo
echo "== 6/13  freeze snapshot v1, build thumbnails"
"$kohl" data snapshot "$project" v1
"$kohl" data thumbs "$project"
echo
echo "== 7/13  train the small CNN to predict the Monk shade (64 px, 4 epochs; synthetic data, small on purpose)"
run=$("$kohl" train "$project" --snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set monk \
  --epochs 4 --size 64 --batch 16 --lr 0.003 --seed 1)
"$kohl" runs show "$project" "$run"
echo
echo "== 8/13  evaluate $run on the test split (bootstrap 95% intervals, per skin-tone band)"
"$kohl" eval "$project" "$run" --split test --predictions-out "$out/$run-test-predictions.csv"
echo
echo "   ... and a recommender: from each bare face, the foundation and lip shades of its made-up twin (CIELAB)"
rec=$("$kohl" train "$project" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task recommend \
  --regions foundation,lip --epochs 4 --size 64 --batch 16 --lr 0.003 --seed 1)
"$kohl" eval "$project" "$rec" --split test
echo
echo "== 9/13  a second Monk classifier (wider, class-weighted), and the reports: each run, and both compared"
run2=$("$kohl" train "$project" --snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set monk \
  --epochs 4 --size 64 --batch 16 --lr 0.003 --seed 1 --set base_width=24 --class-weights)
"$kohl" eval "$project" "$run2" --split test >/dev/null
rm -rf "$out/report-$run" "$out/report-$rec" "$out/compare"
"$kohl" report "$project" "$run" --out "$out/report-$run"
"$kohl" report "$project" "$rec" --out "$out/report-$rec"
"$kohl" compare "$project" "$run" "$run2" --out "$out/compare"
echo
echo "== 10/13  export: $run as TorchScript, ONNX and a deploy bundle, $rec as a bundle (docs/export.md)"
"$kohl" export "$project" "$run" --format torchscript --out "$out/$run.pt"
"$kohl" export "$project" "$run" --format onnx --out "$out/$run.onnx"
rm -rf "$out/$run-bundle" "$out/$rec-bundle"
"$kohl" export "$project" "$run" --format bundle --out "$out/$run-bundle"
"$kohl" export "$project" "$rec" --format bundle --out "$out/$rec-bundle"
"$kohl" bundle verify "$out/$run-bundle"
echo
echo "== 11/13  serve the bundles over HTTP and call them (docs/serve.md)"
astro=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
face=$(find "$out/synth/images" -name '*.png' -print -quit)
# serve BUNDLE: starts `kohl serve` on a free port; sets $url and $pid.
serve() {
  "$kohl" serve "$1" --port 0 >"$out/serve.out" 2>"$out/serve.err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/listening on //p' "$out/serve.out")
  echo "   kohl serve $1 -> $url"
}
serve "$out/$run-bundle"
echo "   POST $url/v1/predict  ($(basename "$face"), a synthetic face):"
curl -s -H 'Content-Type: image/png' --data-binary @"$face" "$url/v1/predict"; echo
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
serve "$out/$rec-bundle"
echo "   POST $url/v1/recommend  (astronaut.png): face, skin tone, palette, try-on preview"
curl -s -H 'Content-Type: image/png' --data-binary @"$astro" "$url/v1/recommend" >"$out/recommend.json"
/usr/bin/python3 -c "
import json, base64, sys
r = json.load(open('$out/recommend.json'))
open('$out/served-recommend-preview.png', 'wb').write(base64.b64decode(r['preview_png']))
print('   skin:', {k: r['face']['skin'][k] for k in ('monk', 'fitzpatrick', 'undertone', 'hex')})
print('   palette:', {k: v['hex'] for k, v in r['palette'].items()})"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
echo
echo "== 12/13  a real face: detect, then try on lipstick, eyeshadow and blush"
"$kohl" faces detect "$astro" --draw "$out/astronaut-detected.png" 2>/dev/null
"$kohl" tryon "$astro" --out "$out/astronaut-tryon.png" --lip '#a8243a' --eyeshadow '#7a5a8a' --blush '#e08a80' \
  --opacity 0.6 --finish gloss 2>/dev/null
echo
echo "== 13/13  what the project holds"
"$kohl" data ls "$project"
echo
"$kohl" plugins list
echo
echo "Demo project: $project   (open it with: $build/bin/kohl-studio $project)"
echo "Runs:         $run (Monk band), $run2 (wider, class-weighted), $rec (shade recommender) (kohl runs ls $project); predictions: $out/$run-test-predictions.csv"
echo "Reports:      $out/report-$run/index.html  $out/report-$rec/index.html  $out/compare/index.html"
echo "Bundles:      $out/$run-bundle  $out/$rec-bundle  (kohl bundle verify; model_card.md inside)"
echo "Pictures:     $out/astronaut-detected.png  $out/astronaut-tryon.png  $out/served-recommend-preview.png"
