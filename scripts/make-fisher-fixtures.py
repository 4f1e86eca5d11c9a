#!/usr/bin/env python3
"""Generates test/fixtures/scipy-fisher.json: one-sided Fisher exact p-values (a rise of the
window's rate over the baseline's) computed with SciPy, against which driftwatch's data-quality
test is checked (npm test reads the committed JSON; rerun only when cases are added).

    pip install numpy scipy && python3 scripts/make-fisher-fixtures.py
"""
import json
import pathlib

import numpy as np
import scipy
from scipy.stats import fisher_exact

rng = np.random.default_rng(20261206)
cases = []
# Hand-picked: zero baseline rate, everything marked, tiny tails, large populations.
for k, n, K, N in [(32, 200, 21, 398), (3, 50, 0, 1000), (10, 100, 50, 1000), (1000, 20000, 400, 100000), (0, 10, 0, 10), (5, 5, 0, 5),
                   (1, 60, 0, 500), (60, 60, 500, 500), (120, 1000, 5000, 100000), (49, 500, 500, 10000)]:
    cases.append({"k": k, "n": n, "K": K, "N": N})
# Random tables around the rates a window meets: baseline rates 0-20 %, window rises of 0-10 points.
for _ in range(40):
    N = int(rng.choice([500, 5000, 50000]))
    n = int(rng.choice([50, 200, 1000, 5000]))
    p0 = float(rng.uniform(0, 0.2))
    K = int(rng.binomial(N, p0))
    k = int(rng.binomial(n, min(1.0, p0 + rng.uniform(0, 0.1))))
    cases.append({"k": k, "n": n, "K": K, "N": N})
for c in cases:
    c["pValue"] = float(fisher_exact([[c["k"], c["n"] - c["k"]], [c["K"], c["N"] - c["K"]]], alternative="greater").pvalue)

out = {"generator": f"scipy {scipy.__version__}, numpy {np.__version__}", "cases": cases}
path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "scipy-fisher.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path} ({len(cases)} cases)")
