#!/usr/bin/env bash
# Shared by bench/infer and bench/serve: WORK/bundle, a deploy bundle of a ResNet-18-style
# classifier (org.kohl.backbone.resnet18, width 1.0, 128 px, Monk labels) trained for one
# epoch on 48 synthetic faces, and WORK/face.jpg, a synthetic 128 px face to send it.
# Timing does not depend on the weights; one epoch makes a real run to export.
# Usage: make_bundle.sh KOHL_BINARY WORK
set -euo pipefail
kohl=$1
work=$2
if [[ -f $work/bundle/manifest.json && -f $work/face.jpg ]]; then exit 0; fi
rm -rf "$work"
mkdir -p "$work"
p=$work/p.kohl
"$kohl" project new "$p" --name bench-infer >/dev/null
"$kohl" data synth "$work/synth" --count 48 --seed 1 --size 128 --threads 2 >/dev/null 2>&1
"$kohl" data import "$p" "$work/synth" --format kohl --dataset faces >/dev/null 2>&1
"$kohl" data split "$p" --ratios 0.6,0.2,0.2 --by-subject --seed 1 >/dev/null
"$kohl" data snapshot "$p" v1 >/dev/null
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.resnet18 --set width=1.0 --label-set monk --size 128 \
  --batch 16 --epochs 1 --seed 1 >/dev/null 2>&1
"$kohl" export "$p" run-1 --format bundle --out "$work/bundle" >/dev/null 2>&1
/usr/bin/python3 -c "
import cv2, glob
f = sorted(glob.glob('$work/synth/images/**/*.png', recursive=True))[0]
cv2.imwrite('$work/face.jpg', cv2.imread(f), [cv2.IMWRITE_JPEG_QUALITY, 92])"
