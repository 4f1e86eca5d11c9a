#!/usr/bin/env python3
"""Generates test/fixtures/sagemaker/: a training set summarised the way SageMaker Model Monitor's
baselining job writes it (statistics.json, constraints.json: member names and layout from the
AWS documentation's "Schema for Statistics" / "Schema for Constraints" and the sagemaker SDK's
tests/data/monitor files), a shifted production set (shifted.csv), and what Model Monitor's own
comparison would flag on it (expected-violations.json), computed here from the raw rows, not by
driftwatch:

- baseline_drift_check (Deequ's Distance, used by Model Monitor): for a numeric feature the
  largest gap between the two empirical CDFs over every observed value (linf_simple); for a
  string feature the largest gap between the two category frequencies; "Robust" subtracts
  1.8 * sqrt((n + m) / (n * m)) (n, m: present values), floored at 0; flagged above
  comparison_threshold (0.1).
- completeness_check: the share of non-null values below the constraint's completeness.
- categorical_values_check: the share of values inside the constraint's domains below
  domain_content_threshold (1.0).
- data_type_check: the share of present values of the inferred type below
  datatype_check_threshold (1.0).

npm test reads the committed files; rerun only to change them:

    pip install numpy && python3 scripts/make-sagemaker-fixtures.py
"""
import csv
import json
import math
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "sagemaker"
rng = np.random.default_rng(20261206)
N, M = 4000, 1500


def train_rows(n):
    return {
        "age": np.clip(np.round(rng.normal(41, 11, n)), 18, 90),
        "income": np.where(rng.random(n) < 0.02, np.nan, np.round(rng.lognormal(10.6, 0.45, n), 2)),
        "credit_score": np.round(rng.normal(680, 60, n)),
        "utilization": np.round(rng.beta(2, 5, n), 4),
        "tenure_months": np.round(rng.exponential(30, n)),
        "region": rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "channel": rng.choice(["web", "branch", "phone"], n, p=[0.6, 0.3, 0.1]),
    }


def shifted_rows(m):
    rows = train_rows(m)
    rows["income"] = np.round(rows["income"] * 1.6, 2)  # drift
    rows["region"] = rng.choice(["north", "south", "east", "west"], m, p=[0.15, 0.25, 0.3, 0.3])  # drift
    rows["credit_score"] = np.where(rng.random(m) < 0.08, np.nan, rows["credit_score"])  # completeness
    channel = rows["channel"].astype(object)
    channel[rng.random(m) < 0.03] = "kiosk"  # a value outside the domain
    rows["channel"] = channel
    tenure = rows["tenure_months"].astype(object)
    tenure[rng.random(m) < 0.01] = "n/a"  # a value of the wrong type
    rows["tenure_months"] = tenure
    return rows


NUMERIC = {"age": "Integral", "income": "Fractional", "credit_score": "Integral", "utilization": "Fractional", "tenure_months": "Integral"}
STRING = ["region", "channel"]


def kll_buckets(values):
    """Ten equal-width buckets from min to max, as Model Monitor materialises its KLL sketch."""
    lo, hi = float(values.min()), float(values.max())
    edges = np.linspace(lo, hi, 11)
    counts = np.histogram(values, bins=edges)[0]
    return [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": float(counts[i])} for i in range(10)]


def statistics(rows):
    features = []
    for name, kind in NUMERIC.items():
        v = rows[name].astype(float)
        present = v[~np.isnan(v)]
        features.append({"name": name, "inferred_type": kind, "numerical_statistics": {
            "common": {"num_present": int(present.size), "num_missing": int(v.size - present.size)},
            "mean": float(present.mean()), "sum": float(present.sum()), "std_dev": float(present.std()),
            "min": float(present.min()), "max": float(present.max()),
            "distribution": {"kll": {"buckets": kll_buckets(present), "sketch": {
                "parameters": {"c": 0.64, "k": 2048.0},
                "data": [[float(x) for x in np.quantile(present, np.linspace(0, 1, 9))]]}}}}})
    for name in STRING:
        values, counts = np.unique(rows[name], return_counts=True)
        features.append({"name": name, "inferred_type": "String", "string_statistics": {
            "common": {"num_present": int(rows[name].size), "num_missing": 0}, "distinct_count": float(values.size),
            "distribution": {"categorical": {"buckets": [{"value": str(v), "count": int(c)} for v, c in zip(values, counts)]}}}})
    return {"version": 0.0, "dataset": {"item_count": int(len(rows["age"]))}, "features": features}


def constraints(rows):
    features = []
    for name, kind in NUMERIC.items():
        v = rows[name].astype(float)
        features.append({"name": name, "inferred_type": kind, "completeness": float(np.mean(~np.isnan(v))),
                         "num_constraints": {"is_non_negative": bool(np.nanmin(v) >= 0)}})
    for name in STRING:
        features.append({"name": name, "inferred_type": "String", "completeness": 1.0,
                         "string_constraints": {"domains": sorted(set(rows[name].tolist()))}})
    return {"version": 0.0, "features": features, "monitoring_config": {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
        "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1, "comparison_method": "Robust",
                                     "categorical_comparison_threshold": 0.1, "categorical_drift_method": "LInfinity"}}}


def linf_numeric(a, b):
    grid = np.union1d(a, b)
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def linf_categorical(a, b):
    cats = set(a.tolist()) | set(b.tolist())
    return float(max(abs(np.mean(a == c) - np.mean(b == c)) for c in cats))


def robust(linf, n, m):
    return max(0.0, linf - 1.8 * math.sqrt((n + m) / (n * m)))


def numeric_values(column):
    out = []
    for x in column:
        try:
            f = float(x)
        except (TypeError, ValueError):
            continue
        if not math.isnan(f):
            out.append(f)
    return np.array(out)


def expected(train, current, cons):
    violations = []
    for c in cons["features"]:
        name = c["name"]
        col = current[name]
        present = [x for x in col if not (isinstance(x, float) and math.isnan(x))]
        completeness = len(present) / len(col)
        if completeness < c["completeness"]:
            violations.append({"feature_name": name, "constraint_check_type": "completeness_check", "value": completeness})
        if name in NUMERIC:
            typed = [x for x in present if isinstance(x, (int, float)) and (NUMERIC[name] == "Fractional" or float(x).is_integer())]
            ratio = len(typed) / len(present)
            if ratio < 1.0:
                violations.append({"feature_name": name, "constraint_check_type": "data_type_check", "value": ratio})
            a, b = numeric_values(train[name]), numeric_values(col)
            distance = robust(linf_numeric(a, b), a.size, b.size)
        else:
            domain = set(c["string_constraints"]["domains"])
            ratio = float(np.mean([x in domain for x in col]))
            if ratio < 1.0:
                violations.append({"feature_name": name, "constraint_check_type": "categorical_values_check", "value": ratio})
            distance = robust(linf_categorical(train[name], col), train[name].size, col.size)
        violations.append({"feature_name": name, "constraint_check_type": "baseline_drift_check", "distance": distance, "flagged": distance > 0.1})
    return violations


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    train = train_rows(N)
    current = shifted_rows(M)
    cons = constraints(train)
    (OUT / "statistics.json").write_text(json.dumps(statistics(train), indent=2) + "\n")
    (OUT / "constraints.json").write_text(json.dumps(cons, indent=2) + "\n")
    with open(OUT / "shifted.csv", "w", newline="") as f:
        w = csv.writer(f)
        names = list(NUMERIC) + STRING
        w.writerow(names)
        for i in range(M):
            row = []
            for n in names:
                x = current[n][i]
                row.append("" if isinstance(x, float) and math.isnan(x) else (int(x) if NUMERIC.get(n) == "Integral" and isinstance(x, float) else x))
            w.writerow(row)
    result = expected(train, current, cons)
    (OUT / "expected-violations.json").write_text(json.dumps({"method": "Deequ Distance (linf, Robust), exact empirical CDFs of the rows", "checks": result}, indent=2) + "\n")
    print(json.dumps([r for r in result if r.get("flagged", True)], indent=1))


main()
