#!/usr/bin/python3
"""Oracle for Kohl's exporters: loads what the exporters wrote with the outside runtimes
and compares their outputs with LibTorch's eager outputs saved by the C++ test.

Usage: export_oracle.py CASES_JSON  ->  prints one JSON object {case: {...diffs...}}.
CASES_JSON lists {"name", "input", "input_shape", "expected", "output_shape",
"torchscript" (path or null), "onnx" (path or null), "metadata_name"}; inputs and
outputs are raw little-endian float32 files. For each case:
  torchscript: torch.jit.load (Python's torch, Debian python3-torch), the extra file
               kohl.json read back, max |difference| to LibTorch eager;
  onnx:        onnx.checker.check_model(full_check=True) (python3-onnx), opset and
               metadata_props read back, OpenCV DNN (python3-opencv) output and its max
               |difference| to LibTorch eager.
Exits non-zero when a file does not load or a check raises; the C++ test compares the
numbers with its tolerances (1e-5 TorchScript, 1e-4 OpenCV).
"""
import json
import sys

import cv2
import numpy as np
import onnx
import torch


def main():
    cases = json.load(open(sys.argv[1]))
    out = {}
    for c in cases:
        x = np.fromfile(c["input"], dtype=np.float32).reshape(c["input_shape"])
        expected = np.fromfile(c["expected"], dtype=np.float32).reshape(c["output_shape"])
        r = {"max_abs_expected": float(np.abs(expected).max())}
        if c.get("torchscript"):
            extra = {"kohl.json": ""}
            m = torch.jit.load(c["torchscript"], _extra_files=extra)
            m.eval()
            with torch.no_grad():
                y = m(torch.from_numpy(x.copy())).numpy()
            assert y.shape == expected.shape, (c["name"], "torchscript shape", y.shape, expected.shape)
            meta = json.loads(extra["kohl.json"])
            r["torchscript_max_abs_diff"] = float(np.abs(y - expected).max())
            r["torchscript_metadata_name"] = meta.get("name")
            r["torchscript_parameters"] = sum(p.numel() for p in m.parameters())
        if c.get("onnx"):
            model = onnx.load(c["onnx"])
            onnx.checker.check_model(model, full_check=True)
            r["onnx_checker"] = "ok"
            r["onnx_opset"] = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
            meta = {p.key: p.value for p in model.metadata_props}
            r["onnx_metadata_name"] = json.loads(meta["kohl"]).get("name") if "kohl" in meta else None
            r["onnx_ops"] = sorted({n.op_type for n in model.graph.node})
            net = cv2.dnn.readNetFromONNX(c["onnx"])
            net.setInput(x)
            y = net.forward()
            y = y.reshape(expected.shape)
            r["opencv_max_abs_diff"] = float(np.abs(y - expected).max())
        out[c["name"]] = r
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
