#!/usr/bin/python3
"""Statistics oracle for tests/report/stats.test.cpp: scipy's and scikit-learn's answers for
the paired tests of `kohl compare` (host/report/src/stats.cpp), from the same per-sample
predictions and the same bootstrap resamples the C++ drew. Run with Debian's python
(python3-scipy, python3-sklearn, python3-skimage, numpy), never a pyenv:

    /usr/bin/python3 tests/oracles/compare_oracle.py IN.json OUT.json

IN.json: {"mcnemar": [{"name", "a": [bool], "b": [bool], "exact_below": int}],
          "bootstrap": [case]} with case one of
  {"name", "task": "classify", "k": int, "truth": [int], "pred_a": [int], "pred_b": [int],
   "indices": [[int] per resample]}
  {"name", "task": "recommend", "regions": int, "values_a": [[L,a,b]*regions], "values_b": [...],
   "targets": [...], "indices": [...]}
OUT.json: {"scipy_version", "sklearn_version",
  "mcnemar": {name: {"b", "c", "method", "statistic" | null, "p"}},
  "bootstrap": {name: {metric: {"a", "b", "delta", "ci95": [lo, hi], "p"}}}}

Definitions (stated in docs/reports.md):
- McNemar: b = A right and B wrong, c = the reverse. b + c == 0: p = 1. b + c < exact_below:
  scipy.stats.binomtest(min(b, c), b + c, 0.5) two-sided (for p = 1/2 the same as
  min(1, 2 P[X <= min(b, c)])). Otherwise chi-square with continuity correction,
  (|b - c| - 1)^2 / (b + c), scipy.stats.chi2.sf(x, 1).
- Paired bootstrap: on each resample (indices with repeats) the metric of A and of B, delta =
  B - A; ci95 = numpy.percentile(deltas, [2.5, 97.5]) (linear); p = min(1, 2 min(mean(deltas <= 0),
  mean(deltas >= 0))). Metrics: accuracy_score, balanced_accuracy_score,
  f1_score(labels=range(k), average="macro", zero_division=0); recommend: skimage's
  deltaE_ciede2000 per (sample, region), mean, share < 2.3, share < 5, pooled over regions.
"""
import json
import sys
import warnings

import numpy as np
import scipy
import sklearn
from scipy.stats import binomtest, chi2
from skimage.color import deltaE_ciede2000
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score


def mcnemar(a, b, exact_below):
    a = np.asarray(a, dtype=bool)
    b_ = np.asarray(b, dtype=bool)
    nb = int(np.sum(a & ~b_))
    nc = int(np.sum(~a & b_))
    d = nb + nc
    if d == 0:
        return {"b": nb, "c": nc, "method": "no discordant pairs", "statistic": None, "p": 1.0}
    if d < exact_below:
        return {"b": nb, "c": nc, "method": "exact binomial", "statistic": None,
                "p": float(binomtest(min(nb, nc), d, 0.5, alternative="two-sided").pvalue)}
    stat = (abs(nb - nc) - 1.0) ** 2 / d
    return {"b": nb, "c": nc, "method": "chi-square with continuity correction", "statistic": stat,
            "p": float(chi2.sf(stat, 1))}


def summarise(fn_a, fn_b, indices, n):
    all_idx = np.arange(n)
    a, b = fn_a(all_idx), fn_b(all_idx)
    deltas = np.array([fn_b(np.asarray(ix)) - fn_a(np.asarray(ix)) for ix in indices])
    deltas = deltas[~np.isnan(deltas)]
    lo, hi = np.percentile(deltas, [2.5, 97.5])
    p = min(1.0, 2.0 * min(np.mean(deltas <= 0), np.mean(deltas >= 0)))
    return {"a": float(a), "b": float(b), "delta": float(b - a), "ci95": [float(lo), float(hi)], "p": float(p)}


def classify(case):
    k = case["k"]
    t = np.asarray(case["truth"])
    pa = np.asarray(case["pred_a"])
    pb = np.asarray(case["pred_b"])
    n = len(t)
    out = {}
    metrics = {
        "accuracy": lambda y, p: accuracy_score(y, p),
        "balanced_accuracy": lambda y, p: balanced_accuracy_score(y, p),
        "f1_macro": lambda y, p: f1_score(y, p, labels=list(range(k)), average="macro", zero_division=0),
    }
    for name, f in metrics.items():
        out[name] = summarise(lambda ix, f=f: f(t[ix], pa[ix]), lambda ix, f=f: f(t[ix], pb[ix]), case["indices"], n)
    return out


def recommend(case):
    r = case["regions"]
    tg = np.asarray(case["targets"], dtype=np.float64).reshape(-1, r, 3)
    de_a = deltaE_ciede2000(tg, np.asarray(case["values_a"], dtype=np.float64).reshape(-1, r, 3))
    de_b = deltaE_ciede2000(tg, np.asarray(case["values_b"], dtype=np.float64).reshape(-1, r, 3))
    n = tg.shape[0]
    out = {}
    metrics = {
        "mean_de": lambda d: float(np.mean(d)),
        "share_under_2_3": lambda d: float(np.mean(d < 2.3)),
        "share_under_5": lambda d: float(np.mean(d < 5.0)),
    }
    for name, f in metrics.items():
        out[name] = summarise(lambda ix, f=f: f(de_a[ix]), lambda ix, f=f: f(de_b[ix]), case["indices"], n)
    return out


def main():
    src = json.load(open(sys.argv[1]))
    out = {"scipy_version": scipy.__version__, "sklearn_version": sklearn.__version__, "mcnemar": {}, "bootstrap": {}}
    for m in src.get("mcnemar", []):
        out["mcnemar"][m["name"]] = mcnemar(m["a"], m["b"], m["exact_below"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # balanced accuracy warns when a resample misses a class
        for c in src.get("bootstrap", []):
            out["bootstrap"][c["name"]] = classify(c) if c["task"] == "classify" else recommend(c)
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
