#!/usr/bin/python3
# bench/infer reference: batch-1 latency of the same network in PyTorch eager mode, Python
# (Debian's python3-torch and python3-torchvision). The network is torchvision's resnet18
# with the bundle's weights: Kohl's resnet18 has torchvision's layout and parameter names,
# and the TorchScript export names each tensor after its module path ("layer1.0.conv1.weight"
# -> attribute "t_layer1_0_conv1_weight"), so the state dict maps one to one; the script
# checks that eager and the exported module give the same outputs on the benchmark's image
# before timing. Input prepared as Kohl does (preprocessing.json: INTER_AREA resize, RGB,
# /255, mean/std). Also times torch.jit.optimize_for_inference on the exported module, for
# context (what a Python user could do too).
#
# Usage: reference.py BUNDLE IMAGE [--threads 2] [--repeat 200]
import argparse
import json
import os
import time

import cv2
import numpy as np
import torch
import torchvision

ap = argparse.ArgumentParser()
ap.add_argument("bundle")
ap.add_argument("image")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=200)
ap.add_argument("--warmup", type=int, default=20)
a = ap.parse_args()
torch.set_num_threads(a.threads)

pre = json.load(open(os.path.join(a.bundle, "preprocessing.json")))
classes = json.load(open(os.path.join(a.bundle, "labels.json")))["classes"]
s = pre["size"]
img = cv2.imread(a.image, cv2.IMREAD_COLOR)
x = cv2.resize(img, (s, s), interpolation=cv2.INTER_AREA)[:, :, ::-1].astype(np.float32) / 255
x = (x - np.array(pre["mean"], np.float32)) / np.array(pre["std"], np.float32)
x = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))

exported = torch.jit.load(os.path.join(a.bundle, "model.pt")).eval()
ts_state = exported.state_dict()
eager = torchvision.models.resnet18(num_classes=len(classes)).eval()
state = {}
for k in eager.state_dict():
    if k.endswith("num_batches_tracked"):
        continue
    state[k] = ts_state["t_" + k.replace(".", "_")]
missing, unexpected = eager.load_state_dict(state, strict=False)
assert all(k.endswith("num_batches_tracked") for k in missing) and not unexpected, (missing, unexpected)

with torch.inference_mode():
    diff = (eager(x) - exported(x)).abs().max().item()
assert diff <= 1e-4, f"eager and exported outputs differ by {diff}: not the same network"


def median_ms(f):
    with torch.inference_mode():
        for _ in range(a.warmup):
            f(x)
        ts = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            f(x)
            ts.append((time.perf_counter() - t) * 1e3)
    ts.sort()
    return ts[len(ts) // 2], ts[len(ts) * 9 // 10]


eager_med, eager_p90 = median_ms(eager)
optimized = torch.jit.optimize_for_inference(torch.jit.load(os.path.join(a.bundle, "model.pt")).eval())
opt_med, _ = median_ms(optimized)
print(json.dumps({"eager_median_ms": eager_med, "eager_p90_ms": eager_p90, "same_network_max_abs_diff": diff,
                  "python_optimize_for_inference_median_ms": opt_med, "threads": a.threads, "torch": torch.__version__}))
