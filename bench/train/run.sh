#!/usr/bin/env bash
# make bench -> bench/train/run.sh BUILD_DIR. Work files go to BUILD_DIR/bench-work/train.
# Makes a project of N synthetic 128 px faces (kohl data synth, split 0.6/0.2/0.2, snapshot),
# then measures, in this run:
#   kohl:         `kohl train --backbone org.kohl.backbone.resnet18 --set width=1.0 --size 128
#                 --batch 32 --threads 2 --label-set monk`, the engine's own train images_per_s
#                 metric (`kohl runs show --json`: training part of each epoch, from the
#                 first batch asked of the loader to the last optimizer step; validation and
#                 checkpoint not counted), over epochs 2..E (epoch 1 is warm-up);
#   pytorch:      reference.py with /usr/bin/python3 (Debian's python3-torch and
#                 python3-torchvision): torchvision resnet18, Adam lr 1e-3, same PNGs and
#                 preprocessing, DataLoader num_workers=2, torch.set_num_threads(2), same
#                 epochs, same measure;
#   compute-only: kohl_bench_train, the engine's step on one batch already in memory;
#   ceiling:      profile_step.py, the most any engine could gain over PyTorch at equal work
#                 here (the step if only the convolutions cost, at oneDNN's best rate).
# Rates over epochs 2..E are total images / total time (the harmonic mean of the epochs).
# Environment: KOHL_BENCH_TRAIN_IMAGES (default 512 faces, about 300 for training),
# KOHL_BENCH_TRAIN_EPOCHS (default 3).
set -euo pipefail
build=${1:-build}
bin=$build/bin
kohl=$bin/kohl
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
n=${KOHL_BENCH_TRAIN_IMAGES:-512}
epochs=${KOHL_BENCH_TRAIN_EPOCHS:-3}
work=$build/bench-work/train
if ! "$py" -c "import torch, torchvision, cv2" 2>/dev/null; then
  echo "bench/train: needs python3-torch, python3-torchvision and python3-opencv (scripts/setup.sh installs them)" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
p=$work/p.kohl
t0=$(date +%s.%N)
"$kohl" project new "$p" --name bench-train >/dev/null
"$kohl" data synth "$work/synth" --count "$n" --seed 1 --size 128 --threads 2 >/dev/null 2>&1
"$kohl" data import "$p" "$work/synth" --format kohl --dataset faces >/dev/null 2>&1
"$kohl" data split "$p" --ratios 0.6,0.2,0.2 --by-subject --seed 1 >/dev/null
"$kohl" data snapshot "$p" v1 >/dev/null
"$kohl" data export "$p" --format csv --snapshot v1 --out "$work/export" >/dev/null 2>&1
t1=$(date +%s.%N)
echo "data: $n synthetic 128 px faces, split, snapshot v1 ($(python3 -c "print(f'{$t1 - $t0:.1f}')") s)"

# Kohl end to end.
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.resnet18 --set width=1.0 --size 128 --batch 32 \
  --threads 2 --epochs "$epochs" --label-set monk --seed 1 >"$work/kohl-run.txt" 2>"$work/kohl-train.log"
run=$(tail -n 1 "$work/kohl-run.txt")
"$kohl" runs show "$p" "$run" --json >"$work/kohl-run.json"
read -r kohl_ips classes train_n kohl_epochs < <(python3 -c "
import json
d = json.load(open('$work/kohl-run.json'))
r = [v for e, v in d['metrics']['train']['images_per_s'] if e >= 2] or [v for e, v in d['metrics']['train']['images_per_s']]
print(f'{len(r) / sum(1 / v for v in r):.2f}', ','.join(d['config']['classes']), d['config']['data']['train'],
      ' '.join(f'{v:.2f}' for e, v in d['metrics']['train']['images_per_s']))")
echo "kohl:         $kohl_ips images/s (epochs 2..$epochs; per epoch: ${kohl_epochs// /, }; $train_n training images)"

# PyTorch + torchvision.
"$py" "$here/reference.py" "$work/export/labels.csv" --classes "$classes" --label-set monk --size 128 --batch 32 \
  --threads 2 --workers 2 --epochs "$epochs" >"$work/pytorch.json" 2>"$work/pytorch.log"
read -r py_ips py_epochs < <(python3 -c "
import json
d = json.load(open('$work/pytorch.json'))
r = d['images_per_s'][1:] or d['images_per_s']
print(f'{len(r) / sum(1 / v for v in r):.2f}', ' '.join(f'{v:.2f}' for v in d['images_per_s']))")
echo "pytorch:      $py_ips images/s (epochs 2..$epochs; per epoch: ${py_epochs// /, }; torch $("$py" -c 'import torch; print(torch.__version__)'))"

# Kohl compute only.
"$bin/kohl_bench_train" --backbone org.kohl.backbone.resnet18 --width 1.0 --size 128 --batch 32 --threads 2 \
  --classes "$(awk -F, '{print NF}' <<<"$classes")" --steps 20 --warmup 3 >"$work/compute.txt"
head -n 1 "$work/compute.txt"
co_ips=$(sed -n 's/^compute_only_images_per_s=//p' "$work/compute.txt")
echo "compute-only: $co_ips images/s"

# The ceiling at equal work: the step if only the convolutions cost, at oneDNN's best rate here.
"$py" "$here/profile_step.py" --threads 2 >"$work/ceiling.txt" 2>"$work/ceiling.log"
grep -v '^RESULT' "$work/ceiling.txt" | sed 's/^/ceiling:      /'
ceiling_ips=$(sed -n 's/^RESULT .* ceiling_images_per_s=\([0-9.]*\).*/\1/p' "$work/ceiling.txt")

python3 -c "
k, p, c, top = $kohl_ips, $py_ips, $co_ips, $ceiling_ips
print(f'ceiling:      at equal work no engine passes {top:.1f} images/s = {top / p:.2f}x the reference end to end '
      f'(the goal 1.5x needs {1.5 * p:.1f}; Kohl compute-only {c:.1f})')
print(f'RESULT train ratio={k / p:.3f} kohl_images_per_s={k:.2f} pytorch_images_per_s={p:.2f} '
      f'compute_only_images_per_s={c:.2f} pipeline_overhead={1 - k / c:.3f} ratio_ceiling={top / p:.2f} '
      f'images=$n train_images=$train_n '
      f'epochs=$epochs size=128 batch=32 threads=2 backbone=resnet18')"
