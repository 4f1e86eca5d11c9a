#!/usr/bin/env python3
"""Generates test/fixtures/scipy-divergences.json: reference values computed with SciPy/NumPy on
binned counts, against which driftwatch's TypeScript divergences are checked (npm test reads the
committed JSON; this script is only rerun when cases are added).

    pip install numpy scipy && python3 scripts/make-scipy-fixtures.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy.spatial.distance import euclidean, jensenshannon
from scipy.special import rel_entr
from scipy.stats import chi2, chi2_contingency, entropy, wasserstein_distance

EPS = 1e-4
rng = np.random.default_rng(20261124)


def floored(counts, eps):
    p = np.asarray(counts, dtype=float) / np.sum(counts)
    return np.where(p < eps, eps, p)


def reference(expected, actual, points, eps=EPS):
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
    p = expected / expected.sum()
    q = actual / actual.sum()
    pf, qf = floored(expected, eps), floored(actual, eps)
    keep = (expected + actual) > 0
    table = np.vstack([expected[keep], actual[keep]])
    if keep.sum() >= 2:
        stat, pvalue, dof, _ = chi2_contingency(table, correction=False)
    else:
        stat, pvalue, dof = 0.0, 1.0, 0
    return {
        "psi": float(np.sum(rel_entr(qf, pf) + rel_entr(pf, qf))),
        "kl": float(entropy(qf / qf.sum(), pf / pf.sum())),
        "js": float(jensenshannon(p, q)),
        "hellinger": float(euclidean(np.sqrt(p), np.sqrt(q)) / np.sqrt(2)),
        "ks": float(np.max(np.abs(np.cumsum(p) - np.cumsum(q)))),
        "chi2": float(stat),
        "chi2Df": int(dof),
        "pValue": float(pvalue),
        "wasserstein": float(wasserstein_distance(points, points, expected, actual)),
    }


cases = []


def add(name, expected, actual, points=None, eps=EPS):
    if points is None:
        points = np.cumsum(rng.uniform(0.1, 2.0, size=len(expected))) - 3.0
    cases.append({
        "name": name,
        "epsilon": eps,
        "expected": [float(x) for x in expected],
        "actual": [float(x) for x in actual],
        "points": [float(x) for x in points],
        "reference": reference(expected, actual, points, eps),
    })


# Decile-like baseline with empty tails and missing bin (the layout of a numeric feature).
base = [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 0, 0]
add("identical", base, base)
add("small window, no drift", base, [0, 5, 4, 6, 5, 3, 7, 5, 6, 4, 5, 0, 0])
add("mean shift", base, [2, 40, 60, 80, 100, 120, 130, 140, 150, 100, 60, 18, 0])
add("missing appears", base, [0, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 0, 100])
add("all in one tail", base, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 500, 0])
add("epsilon 1e-6", base, [0, 0, 3, 8, 9, 10, 11, 12, 20, 15, 12, 0, 0], eps=1e-6)
add("categorical with other", [500, 300, 150, 50, 0], [100, 300, 400, 150, 50])
add("two bins", [700, 300], [300, 700])
add("extreme p-value", [5000, 5000, 1, 0], [0, 100, 4900, 5000])
for i in range(12):
    bins = int(rng.integers(3, 25))
    expected = rng.multinomial(int(rng.integers(1000, 200000)), rng.dirichlet(np.ones(bins)))
    drifted = rng.dirichlet(np.ones(bins) * rng.uniform(0.3, 5))
    actual = rng.multinomial(int(rng.integers(20, 20000)), drifted)
    if actual.sum() == 0 or expected.sum() == 0:
        continue
    add(f"random {i} ({bins} bins)", expected, actual)

# Chi-square distribution values used by calibrated thresholds and p-values.
chi2_cases = []
for df in [1, 2, 5, 9, 11, 19, 21, 50, 200]:
    for x in [0.01, 0.5, 3.0, 9.0, 21.7, 60.0, 400.0]:
        chi2_cases.append({"x": x, "df": df, "sf": float(chi2.sf(x, df))})
quantile_cases = []
for df in [1, 2, 9, 11, 19, 21, 100]:
    for p in [0.5, 0.9, 0.99, 0.999, 0.9995, 0.99999]:
        quantile_cases.append({"p": p, "df": df, "quantile": float(chi2.ppf(p, df))})

# Bin assignment: numpy's searchsorted on the numeric layout [below, interior..., above].
def numpy_bins(edges, values):
    edges = np.asarray(edges, dtype=float)
    values = np.asarray(values, dtype=float)
    k = max(1, len(edges) - 1)
    interior = np.clip(np.searchsorted(edges, values, side="right"), 1, k)
    return np.where(values < edges[0], 0, np.where(values > edges[-1], k + 1, interior)).astype(int).tolist()


binning_cases = []
for edges in [[0.0], [-1.0, 0.0, 1.0], sorted(rng.normal(size=10).tolist()), [1.0, 2.0, 3.0, 5.0, 8.0, 13.0]]:
    values = np.concatenate([
        np.asarray(edges),
        np.asarray(edges) - 1e-9,
        np.asarray(edges) + 1e-9,
        rng.normal(scale=3, size=40),
        [-np.inf, np.inf],
    ])
    binning_cases.append({
        "edges": edges,
        "values": [v if np.isfinite(v) else ("Infinity" if v > 0 else "-Infinity") for v in values.tolist()],
        "bins": numpy_bins(edges, values),
    })

out = {
    "generatedBy": "scripts/make-scipy-fixtures.py",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "divergences": cases,
    "chiSquareSurvival": chi2_cases,
    "chiSquareQuantile": quantile_cases,
    "binning": binning_cases,
}
path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "scipy-divergences.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {len(cases)} divergence cases, {len(chi2_cases)} sf and {len(quantile_cases)} quantile cases to {path}")
