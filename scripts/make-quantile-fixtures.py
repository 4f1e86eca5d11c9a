#!/usr/bin/env python3
"""Generates the quantile reference fixtures in test/fixtures/quantiles/: a training CSV (gzipped)
whose numeric columns have the shapes that test a binning rule (a normal, a skewed lognormal, a
heavily tied Poisson count, a bimodal mixture with outliers), with missing values spelled several
ways, and what NumPy makes of each column: its exact linear quantiles (numpy.quantile's default
method) at i/10, and at i/10 +- 0.005, the rank band within which driftwatch's approximate edges
must fall (docs/baseline-format.md, "Bin edges"). npm test reads the committed files; rerun this
script only to change them.

    pip install numpy && python3 scripts/make-quantile-fixtures.py
"""
import csv
import gzip
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "quantiles"
OUT.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261206)
ROWS = 20_000
BAND = 0.005

columns = {
    "normal": np.round(rng.normal(10, 2, ROWS), 6),
    "skewed": np.round(rng.lognormal(0, 1.2, ROWS), 6),
    "counts": rng.poisson(3, ROWS).astype(float),
    "bimodal": np.round(np.where(rng.random(ROWS) < 0.3, rng.normal(-5, 1, ROWS), rng.normal(4, 0.5, ROWS)), 6),
}
columns["bimodal"][rng.choice(ROWS, 5, replace=False)] = [1e6, -1e6, 5e5, 2e5, -3e5]
missing = {name: rng.random(ROWS) < 0.02 for name in columns}
spellings = ["", "NA", "n/a", "NaN", "null", "None", " na "]
region = rng.choice(["north", "south", "east", "west"], ROWS, p=[0.4, 0.3, 0.2, 0.1])

with gzip.open(OUT / "train.csv.gz", "wt", newline="") as out:
    writer = csv.writer(out)
    writer.writerow([*columns, "region"])
    for i in range(ROWS):
        row = []
        for name, values in columns.items():
            row.append(spellings[i % len(spellings)] if missing[name][i] else repr(float(values[i])).removesuffix(".0"))
        row.append(region[i])
        writer.writerow(row)

reference = {"rows": ROWS, "band": BAND, "numpy": np.__version__, "columns": {}}
for name, values in columns.items():
    present = values[~missing[name]]
    probabilities = [i / 10 for i in range(1, 10)]
    reference["columns"][name] = {
        "count": int(present.size),
        "missing": int(missing[name].sum()),
        "min": float(present.min()),
        "max": float(present.max()),
        "mean": float(present.mean()),
        "std": float(present.std()),
        "quantiles": [float(np.quantile(present, p)) for p in probabilities],
        "low": [float(np.quantile(present, max(0.0, p - BAND))) for p in probabilities],
        "high": [float(np.quantile(present, min(1.0, p + BAND))) for p in probabilities],
    }
reference["region"] = {k: int(v) for k, v in zip(*np.unique(region, return_counts=True))}
(OUT / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
print(f"wrote {OUT}/train.csv.gz and reference.json")
