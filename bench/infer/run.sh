#!/usr/bin/env bash
# make bench -> bench/infer/run.sh BUILD_DIR. Batch-1 latency of an exported model: Kohl
# (the bundle's model.pt through core::InferenceModel, as `kohl serve` runs it: frozen and
# rewritten by torch::jit::optimize_for_inference) against PyTorch eager in Python (Debian's
# python3-torch: torchvision's resnet18 with the same weights, checked to give the same
# outputs), same input, same thread count (2), in the same run. Goal: Kohl at most 0.7x.
# Also prints, for context, Kohl without the rewrite and Python with it.
# Work files: BUILD_DIR/bench-work/infer (the bundle is reused by bench/serve).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$build/bench-work/infer
threads=${KOHL_BENCH_INFER_THREADS:-2}
repeat=${KOHL_BENCH_INFER_REPEAT:-200}
bash "$here/make_bundle.sh" "$build/bin/kohl" "$work"
kohl_opt=$("$build/bin/kohl_bench_infer" --bundle "$work/bundle" --image "$work/face.jpg" --threads "$threads" --repeat "$repeat")
kohl_raw=$("$build/bin/kohl_bench_infer" --bundle "$work/bundle" --image "$work/face.jpg" --threads "$threads" --repeat "$repeat" --no-optimize)
python=$(/usr/bin/python3 "$here/reference.py" "$work/bundle" "$work/face.jpg" --threads "$threads" --repeat "$repeat")
echo "kohl (optimized):   $kohl_opt"
echo "kohl (as loaded):   $kohl_raw"
echo "python:             $python"
/usr/bin/python3 - "$kohl_opt" "$kohl_raw" "$python" <<'PY'
import json, sys
k, r, p = (json.loads(a) for a in sys.argv[1:])
print(f"RESULT infer ratio={k['median_ms'] / p['eager_median_ms']:.3f} kohl_ms={k['median_ms']:.2f} "
      f"python_eager_ms={p['eager_median_ms']:.2f} kohl_unoptimized_ms={r['median_ms']:.2f} "
      f"python_optimized_ms={p['python_optimize_for_inference_median_ms']:.2f} threads={k['threads']} "
      f"size={k['size']} goal<=0.7")
PY
