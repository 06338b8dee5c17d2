#!/usr/bin/python3
"""Colour oracle for tests/faces/color.test.cpp: scikit-image's answers for the inputs the
C++ test wrote, so kohl/sdk/color.hpp and skin_tone.hpp are checked against an independent
implementation. Run with Debian's python (numpy + skimage), never a pyenv:

    /usr/bin/python3 tests/oracles/color_oracle.py IN.json OUT.json

IN.json (every key optional):
  "rgb":   [[r, g, b], ...]            sRGB in [0, 1]           -> "rgb2lab"   (skimage.color.rgb2lab)
  "lab":   [[L, a, b], ...]                                     -> "lab2rgb"   (skimage.color.lab2rgb)
  "pairs": [[L1, a1, b1, L2, a2, b2], ...]                      -> "ciede2000" (skimage.color.deltaE_ciede2000)
  "skin":  [[[r, g, b], ...], ...]     8-bit sRGB pixel sets    -> "skin": [{"lab", "ita", "kept"}, ...]
The skin measure is Fitzpatrick17k's ITA() (ita_fitzpatrick_analysis.ipynb) restated on
a pixel list: L* and b* are each trimmed to [mean - sd, mean + sd] (np.std, inclusive)
and ITA = atan2(mean(L kept) - 50, mean(b kept)); a* is trimmed the same way (our
extension); "kept" counts pixels inside both the L* and the b* window.
Exit status 0 on success; anything else is an error the C++ test reports verbatim.
"""
import json
import sys
import warnings

import numpy as np
import skimage
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab


def trimmed(v):
    mean, sd = np.mean(v), np.std(v)
    keep = (v >= mean - sd) & (v <= mean + sd)
    return float(np.mean(v[keep])), keep


def skin(pixels):
    rgb = np.asarray(pixels, dtype=np.float64).reshape(-1, 1, 3) / 255.0
    lab = rgb2lab(rgb).reshape(-1, 3)
    L, keep_l = trimmed(lab[:, 0])
    a, _ = trimmed(lab[:, 1])
    b, keep_b = trimmed(lab[:, 2])
    ita = float(np.degrees(np.arctan2(L - 50.0, b)))
    return {"lab": [L, a, b], "ita": ita, "kept": int(np.count_nonzero(keep_l & keep_b))}


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: color_oracle.py IN.json OUT.json\n")
        return 2
    with open(argv[1]) as f:
        data = json.load(f)
    out = {"skimage_version": skimage.__version__}
    if data.get("rgb"):
        rgb = np.asarray(data["rgb"], dtype=np.float64).reshape(-1, 1, 3)
        out["rgb2lab"] = rgb2lab(rgb).reshape(-1, 3).tolist()
    if data.get("lab"):
        lab = np.asarray(data["lab"], dtype=np.float64).reshape(-1, 1, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Z < 0" warnings: those cases are on purpose
            out["lab2rgb"] = lab2rgb(lab).reshape(-1, 3).tolist()
    if data.get("pairs"):
        p = np.asarray(data["pairs"], dtype=np.float64).reshape(-1, 6)
        out["ciede2000"] = deltaE_ciede2000(p[:, 0:3], p[:, 3:6]).tolist()
    if data.get("skin"):
        out["skin"] = [skin(s) for s in data["skin"]]
    with open(argv[2], "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
