#!/usr/bin/env python3
"""Generates the PCA reference fixtures in test/fixtures/pca/: two small baselines (a tabular one
with numeric, categorical and missing values; an embedding one) and what NumPy and scikit-learn
make of them: means, scales, covariance, principal axes, explained variance and per-row
reconstruction errors. As driftwatch does (schema 1.2), the fit takes the even rows and the odd rows
are held out to measure it: the error's baseline mean and spread, and the first score's, are the
held-out rows'. npm test reads the committed files; rerun this script only to change them.

    pip install numpy scikit-learn && python3 scripts/make-pca-fixtures.py
"""
import csv
import json
import pathlib

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "pca"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261125)
TARGET = 0.65
# Rows alternate: the even ones fit the PCA, the odd ones are held out to measure it.
FIT = slice(0, None, 2)
HELD_OUT = slice(1, None, 2)


def reference(pca, Z, mean, scale):
    """What driftwatch must agree with: axes (up to sign), ratios, eigenvalues (ddof = 0), errors.
    `pca` was fitted on Z[FIT]; errors are given for every row, their statistics for Z[HELD_OUT]."""
    n = Z[FIT].shape[0]
    residual = Z - pca.inverse_transform(pca.transform(Z))
    errors = np.sum(residual**2, axis=1)
    held_out = errors[HELD_OUT]
    first = pca.transform(Z)[HELD_OUT, 0]
    return {
        "rows": n,
        "heldOutRows": int(held_out.shape[0]),
        "center": mean.tolist(),
        "scale": None if scale is None else scale.tolist(),
        "covariance": (np.cov(Z[FIT], rowvar=False, ddof=0)).tolist(),
        "k": int(pca.n_components_),
        "components": pca.components_.tolist(),
        "explainedVarianceRatio": pca.explained_variance_ratio_.tolist(),
        "eigenvalues": (pca.explained_variance_ * (n - 1) / n).tolist(),
        "errors": errors.tolist(),
        "errorMean": float(held_out.mean()),
        "errorStd": float(held_out.std()),
        "firstScoreMean": float(first.mean()),
        "firstScoreStd": float(first.std()),
    }


def tabular():
    """Five numeric columns driven by two latent factors, one categorical, some values missing."""
    n = 600
    f = rng.normal(size=(n, 2))
    x = np.column_stack([
        50 + 10 * f[:, 0] + rng.normal(scale=3, size=n),
        2000 + 400 * f[:, 0] - 300 * f[:, 1] + rng.normal(scale=150, size=n),
        0.5 + 0.1 * f[:, 1] + rng.normal(scale=0.05, size=n),
        rng.gamma(2.0, 2.0, size=n),
        -3 + 1.5 * f[:, 1] + rng.normal(scale=1, size=n),
    ])
    region = rng.choice(["north", "south", "east", "west"], p=[0.4, 0.3, 0.2, 0.1], size=n)
    region = np.where(f[:, 0] > 1.2, "north", region)  # tied to the first factor
    names = ["a", "b", "c", "d", "e"]
    missing = rng.random(size=(n, 5)) < np.array([0.0, 0.05, 0.0, 0.1, 0.0])
    region_missing = rng.random(size=n) < 0.05
    with open(OUT / "tabular.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(names + ["region"])
        for i in range(n):
            w.writerow(["" if missing[i, j] else repr(float(x[i, j])) for j in range(5)] + ["" if region_missing[i] else region[i]])
    # The encoding driftwatch documents: a category's share of all rows; a missing one imputed
    # with the mean encoding of the rows that have one; numeric ones imputed with their mean.
    counts = {c: int(np.sum((region == c) & ~region_missing)) for c in np.unique(region)}
    encoded = np.array([np.nan if region_missing[i] else counts[region[i]] / n for i in range(n)])
    X = np.column_stack([np.where(missing, np.nan, x), encoded])
    X = SimpleImputer(strategy="mean").fit_transform(X)  # imputed with every row's mean, as the encoding
    scaler = StandardScaler().fit(X[FIT])
    Z = scaler.transform(X)
    pca = PCA(n_components=TARGET, svd_solver="full").fit(Z[FIT])
    ref = reference(pca, Z, scaler.mean_, scaler.scale_)
    ref["inputs"] = names + ["region"]
    return ref


def embedding():
    """24-dimensional vectors on a 3-dimensional subspace plus noise."""
    n, d = 500, 24
    basis = np.linalg.qr(rng.normal(size=(d, 3)))[0].T
    vectors = rng.normal(size=(n, 3)) @ (basis * np.array([[3.0], [2.0], [1.5]])) + 0.1 + rng.normal(scale=0.3, size=(n, d))
    with open(OUT / "embedding.jsonl", "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": i, "label": "x" if i % 2 else "y", "vec": [float(v) for v in vectors[i]]}) + "\n")
    pca = PCA(n_components=TARGET, svd_solver="full").fit(vectors[FIT])
    return reference(pca, vectors, pca.mean_, None)


fixtures = {
    "generator": f"numpy {np.__version__}, scikit-learn {sklearn.__version__}",
    "varianceTarget": TARGET,
    "tabular": tabular(),
    "embedding": embedding(),
}
(OUT / "reference.json").write_text(json.dumps(fixtures, indent=1) + "\n")
print(f"wrote {OUT}")
