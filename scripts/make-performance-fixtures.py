#!/usr/bin/env python3
"""Generates test/fixtures/sklearn-performance.json: labelled windows as counts per (predicted
class, true class, confidence bin), and scikit-learn's metrics on the same predictions expanded
row by row, against which shared/core/performance/realised-performance.ts is checked (npm test
reads the committed JSON; this script is only rerun when cases are added).

ROC AUC is scikit-learn's on an ordinal score that is all the bins tell: a positive prediction in
confidence bin b ranks above one in bin b - 1, and every positive prediction above every negative
one, whose order is the reverse (more confident negative, lower score).

    pip install numpy scikit-learn && python3 scripts/make-performance-fixtures.py
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

rng = np.random.default_rng(20261206)


def case(classes, bins, rows, skew):
    predicted = rng.integers(0, classes, rows)
    bin_ = rng.integers(0, bins, rows)
    # Right more often in higher bins, by `skew`.
    right = rng.random(rows) < np.clip(0.4 + skew * bin_ / max(1, bins - 1), 0, 1)
    truth = np.where(right, predicted, (predicted + rng.integers(1, classes, rows)) % classes)
    cells = {}
    for p, t, b in zip(predicted, truth, bin_):
        cells[(int(p), int(t), int(b))] = cells.get((int(p), int(t), int(b)), 0) + 1
    out = {
        "classes": classes,
        "bins": bins,
        "cells": [{"predicted": p, "truth": t, "bin": b, "count": c} for (p, t, b), c in sorted(cells.items())],
        "accuracy": float(accuracy_score(truth, predicted)),
        "per_bin": [
            {"n": int((bin_ == b).sum()), "accuracy": float((truth[bin_ == b] == predicted[bin_ == b]).mean()) if (bin_ == b).any() else None}
            for b in range(bins)
        ],
    }
    if classes == 2:
        score = np.where(predicted == 1, bins + bin_, bins - 1 - bin_)
        out["binary"] = {
            "positive": 1,
            "precision": float(precision_score(truth, predicted, pos_label=1)),
            "recall": float(recall_score(truth, predicted, pos_label=1)),
            "roc_auc": float(roc_auc_score(truth == 1, score)),
        }
    return out


cases = [case(2, 10, 500, 0.5), case(2, 10, 37, 0.3), case(2, 4, 5000, 0.55), case(3, 10, 800, 0.4), case(5, 6, 120, 0.2)]
path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "sklearn-performance.json"
path.write_text(json.dumps({"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": cases}) + "\n")
print(f"wrote {path}: {len(cases)} cases")
