#!/usr/bin/python3
"""Metrics oracle for tests/plugins/evaluate.test.cpp: scikit-learn's and scikit-image's
answers for the per-sample predictions the C++ test wrote, so the evaluator plugins
(plugins/evaluate) are checked against independent implementations. Run with Debian's
python (python3-sklearn 1.2, python3-skimage 0.19, numpy), never a pyenv:

    /usr/bin/python3 tests/oracles/metrics_oracle.py IN.json OUT.json

IN.json: {"cases": [case, ...]}, each case one of
  {"name", "task": "classify", "classes": [names], "truth": [int], "pred": [int],
   "probs": [[p per class], ...], "bands": [str], "ece_bins": int}
  {"name", "task": "recommend", "regions": [names], "values": [[L, a, b] * regions, ...],
   "targets": [...], "bands": [str]}
OUT.json: {"sklearn_version", "skimage_version", "cases": {name: {"all": M, "by_band": {band: M}}}}
with M shaped like the plugin's output (values only, no intervals). Band "" is "unknown".

Definitions where sklearn has no single call:
- labels: every class of "classes" (labels=range(K)), so a class nobody predicted or absent
  from the truth still counts in macro averages (zero_division's default: 0, warned).
- one-vs-rest AUC per class: roc_auc_score(truth == c, probs[:, c]); undefined (None) when
  the truth has no positive or no negative for c. roc_auc_score(multi_class="ovr") raises
  then ("Only one class present"); the plugin's macro AUC is the mean over defined classes,
  and when every class is defined this script also checks it against sklearn's own macro.
- ECE: top-label confidence max(p), correct = argmax(p) == truth, equal-width bins
  (lo, hi] from numpy.linspace(0, 1, bins + 1), ECE = sum_b n_b / n * |acc_b - conf_b|.
Exit status 0 on success; anything else is an error the C++ test reports verbatim.
"""
import json
import sys
import warnings

import numpy as np
import skimage
import sklearn
from skimage.color import deltaE_ciede2000
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)


def none_if_nan(x):
    return None if x is None or np.isnan(x) else float(x)


def classify(classes, truth, pred, probs, ece_bins):
    k = len(classes)
    labels = list(range(k))
    truth = np.asarray(truth, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    n = len(truth)
    m = {
        "accuracy": accuracy_score(truth, pred),
        "balanced_accuracy": balanced_accuracy_score(truth, pred),
    }
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(truth, pred, labels=labels, average=avg)
        m["precision_" + avg], m["recall_" + avg], m["f1_" + avg] = p, r, f
    p, r, f, s = precision_recall_fscore_support(truth, pred, labels=labels, average=None)
    per_class = {
        classes[c]: {"precision": p[c], "recall": r[c], "f1": f[c], "support": int(s[c])} for c in range(k)
    }
    out = {
        "n": n,
        "per_class": per_class,
        "confusion": confusion_matrix(truth, pred, labels=labels).tolist(),
    }
    if probs is not None:
        P = np.asarray(probs, dtype=np.float64).reshape(n, k)
        m["log_loss"] = log_loss(truth, P, labels=labels)
        roc = {}
        aucs = []
        for c in range(k):
            y = truth == c
            if y.all() or not y.any():
                roc[classes[c]] = {"fpr": [], "tpr": [], "auc": None}
                per_class[classes[c]]["auc"] = None
                continue
            fpr, tpr, _ = roc_curve(y, P[:, c])
            auc = roc_auc_score(y, P[:, c])
            aucs.append(auc)
            roc[classes[c]] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "auc": auc}
            per_class[classes[c]]["auc"] = auc
        macro = float(np.mean(aucs)) if aucs else None
        # sklearn's own macro, where it has one.
        try:
            if k == 2:
                sk = roc_auc_score(truth, P[:, 1])
            else:
                sk = roc_auc_score(truth, P, multi_class="ovr", average="macro", labels=labels)
            out["sklearn_ovr_raised"] = False
            if macro is None or abs(sk - macro) > 1e-12:
                raise RuntimeError("sklearn's macro ovr AUC %r differs from the mean of per-class AUCs %r"
                                   % (sk, macro))
        except ValueError:
            out["sklearn_ovr_raised"] = True
        m["roc_auc_macro"] = macro
        out["roc"] = roc
        # ECE, top-label, equal-width bins (lo, hi].
        conf = P.max(axis=1)
        correct = (P.argmax(axis=1) == truth).astype(np.float64)
        edges = np.linspace(0.0, 1.0, ece_bins + 1)
        ece = 0.0
        bins = []
        for lo, hi in zip(edges[:-1], edges[1:]):
            inb = (conf > lo) & (conf <= hi)
            cnt = int(inb.sum())
            if cnt:
                acc_b, conf_b = correct[inb].mean(), conf[inb].mean()
                ece += cnt / n * abs(acc_b - conf_b)
                bins.append({"lo": lo, "hi": hi, "count": cnt, "confidence": conf_b, "accuracy": acc_b})
            else:
                bins.append({"lo": lo, "hi": hi, "count": 0, "confidence": None, "accuracy": None})
        m["ece"] = ece
        out["calibration"] = {"bins": bins}
    out["metrics"] = {key: none_if_nan(v) for key, v in m.items()}
    for entry in per_class.values():
        for key in ("precision", "recall", "f1", "auc"):
            if key in entry:
                entry[key] = none_if_nan(entry[key])
    return out


def summary(de):
    de = np.asarray(de, dtype=np.float64).ravel()
    return {
        "mean_de": float(np.mean(de)),
        "median_de": float(np.median(de)),
        "share_under_2_3": float(np.mean(de < 2.3)),
        "share_under_5": float(np.mean(de < 5.0)),
    }


def recommend(regions, values, targets):
    r = len(regions)
    v = np.asarray(values, dtype=np.float64).reshape(-1, r, 3)
    t = np.asarray(targets, dtype=np.float64).reshape(-1, r, 3)
    de = deltaE_ciede2000(t, v)  # (n, r)
    return {
        "n": int(v.shape[0]),
        "metrics": summary(de),
        "per_region": {regions[j]: summary(de[:, j]) for j in range(r)},
    }


def evaluate(case, idx):
    if case["task"] == "classify":
        probs = case.get("probs")
        return classify(
            case["classes"],
            [case["truth"][i] for i in idx],
            [case["pred"][i] for i in idx],
            None if not probs else [probs[i] for i in idx],
            case.get("ece_bins", 15),
        )
    if case["task"] == "recommend":
        return recommend(case["regions"], [case["values"][i] for i in idx], [case["targets"][i] for i in idx])
    raise ValueError("unknown task %r" % case["task"])


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: metrics_oracle.py IN.json OUT.json\n")
        return 2
    with open(argv[1]) as f:
        data = json.load(f)
    out = {"sklearn_version": sklearn.__version__, "skimage_version": skimage.__version__, "cases": {}}
    with warnings.catch_warnings():
        # zero_division and undefined-metric warnings: those cases are on purpose.
        warnings.simplefilter("ignore")
        for case in data["cases"]:
            n = len(case["bands"])
            bands = {}
            for i, b in enumerate(case["bands"]):
                bands.setdefault(b if b else "unknown", []).append(i)
            out["cases"][case["name"]] = {
                "all": evaluate(case, list(range(n))),
                "by_band": {b: evaluate(case, idx) for b, idx in bands.items()},
            }
    with open(argv[2], "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
