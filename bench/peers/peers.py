"""Peer side of the drift bench (bench/peers.ts): NannyML's synthetic datasets and two peers' verdicts.

  peers.py export    --data DIR                 (NannyML venv) datasets as CSV + meta.json
  peers.py nannyml   --data DIR --sizes 5000,500,100 --out FILE   (NannyML venv)
  peers.py evidently --data DIR --sizes 5000,500,100 --out FILE   (Evidently venv)

Each peer runs with its defaults. Verdicts are written as JSON: for every dataset and chunk size,
one entry per chunk with the features the peer flagged (and, for NannyML's reconstruction drift and
Evidently's dataset drift, a chunk-level flag).
"""
import argparse
import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
# Both peers send usage statistics home unless told not to; this bench runs offline.
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

DATASETS = ("car_loan", "binary", "multiclass")
# Columns that are not model inputs: ids, times, model outputs, targets.
NOT_INPUTS = {"id", "identifier", "timestamp", "period", "partition", "y_pred", "y_true", "repaid",
              "work_home_actual", "y_pred_proba", "y_pred_proba_prepaid_card",
              "y_pred_proba_highstreet_card", "y_pred_proba_upmarket_card"}
# The ground truth: a feature drifts when its distance between the reference and the whole drifted
# half (KS statistic for numeric, total variation for categorical) is at least this. The measured
# gap around it is printed and written to meta.json.
TRUTH_DISTANCE = 0.03


def export(data_dir):
    import nannyml as nml
    import numpy as np
    from scipy import stats

    loaders = {
        "car_loan": nml.load_synthetic_car_loan_dataset,
        "binary": nml.load_synthetic_binary_classification_dataset,
        "multiclass": nml.load_synthetic_multiclass_classification_dataset,
    }
    for name in DATASETS:
        reference, analysis, _targets = loaders[name]()
        features = [c for c in reference.columns if c not in NOT_INPUTS]
        categorical = [c for c in features if reference[c].dtype.kind in "bO"]
        numeric = [c for c in features if c not in categorical]
        # Drift in these datasets starts at the middle of the analysis period.
        start = len(analysis) // 2
        clean, drifted = analysis.iloc[:start], analysis.iloc[start:]

        def distance(column, part):
            if column in numeric:
                return float(stats.ks_2samp(reference[column], part[column]).statistic)
            ref = reference[column].astype(str).value_counts(normalize=True)
            cur = part[column].astype(str).value_counts(normalize=True)
            levels = ref.index.union(cur.index)
            return float(0.5 * np.abs(ref.reindex(levels, fill_value=0) - cur.reindex(levels, fill_value=0)).sum())

        distances = {c: {"clean": distance(c, clean), "drifted": distance(c, drifted)} for c in features}
        truth = [c for c in features if distances[c]["drifted"] >= TRUTH_DISTANCE]
        out = os.path.join(data_dir, name)
        os.makedirs(out, exist_ok=True)
        reference[features].to_csv(os.path.join(out, "reference.csv"), index=False)
        analysis[features].to_csv(os.path.join(out, "analysis.csv"), index=False)
        meta = {"features": features, "categorical": categorical, "numeric": numeric,
                "referenceRows": len(reference), "analysisRows": len(analysis), "driftStartRow": start,
                "truthDistance": TRUTH_DISTANCE, "truth": truth, "distances": distances,
                "nannyml": nml.__version__}
        with open(os.path.join(out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        print(f"{name}: reference {reference.shape}, analysis {analysis.shape}, drifting: {truth}", file=sys.stderr)


def load(data_dir, name):
    import pandas as pd

    with open(os.path.join(data_dir, name, "meta.json")) as f:
        meta = json.load(f)
    dtypes = {c: str for c in meta["categorical"]}
    reference = pd.read_csv(os.path.join(data_dir, name, "reference.csv"), dtype=dtypes, keep_default_na=False)
    analysis = pd.read_csv(os.path.join(data_dir, name, "analysis.csv"), dtype=dtypes, keep_default_na=False)
    return meta, reference, analysis


def run_nannyml(data_dir, sizes, datasets, save):
    import nannyml as nml

    results = {}
    for name in datasets:
        meta, reference, analysis = load(data_dir, name)
        features = meta["features"]
        for size in sizes:
            started = time.time()
            univariate = nml.UnivariateDriftCalculator(column_names=features, chunk_size=size).fit(reference)
            table = univariate.calculate(analysis).filter(period="analysis").to_df()
            flagged = [[] for _ in range(len(table))]
            for column in table.columns:
                if column[-1] == "alert" and column[0] in features:
                    for i, alert in enumerate(table[column]):
                        if bool(alert) and column[0] not in flagged[i]:
                            flagged[i].append(column[0])
            reconstruction = nml.DataReconstructionDriftCalculator(column_names=features, chunk_size=size).fit(reference)
            errors = reconstruction.calculate(analysis).filter(period="analysis").to_df()
            alerts = [bool(a) for a in errors[("reconstruction_error", "alert")]]
            results[f"{name}/{size}"] = {"univariate": flagged, "multivariate": alerts, "seconds": time.time() - started}
            save({"peer": "nannyml", "version": nml.__version__, "results": results})
            print(f"nannyml {name} {size}: {len(flagged)} chunks, {time.time() - started:.0f} s", file=sys.stderr)


def run_evidently(data_dir, sizes, datasets, save):
    import evidently
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    results = {}
    for name in datasets:
        meta, reference, analysis = load(data_dir, name)
        definition = DataDefinition(numerical_columns=meta["numeric"], categorical_columns=meta["categorical"])
        reference_set = Dataset.from_pandas(reference, data_definition=definition)
        for size in sizes:
            started = time.time()
            flagged, dataset_drift = [], []
            for start in range(0, len(analysis) - size + 1, size):
                chunk = Dataset.from_pandas(analysis.iloc[start:start + size].reset_index(drop=True), data_definition=definition)
                report = Report([DataDriftPreset()], include_tests=True).run(current_data=chunk, reference_data=reference_set)
                drifted = []
                for test in report.dict()["tests"]:
                    column = test.get("metric_config", {}).get("params", {}).get("column")
                    if column in meta["features"] and test["status"] == "FAIL":
                        drifted.append(column)
                flagged.append(drifted)
                dataset_drift.append(len(drifted) >= 0.5 * len(meta["features"]))
            results[f"{name}/{size}"] = {"univariate": flagged, "multivariate": dataset_drift, "seconds": time.time() - started}
            save({"peer": "evidently", "version": evidently.__version__, "results": results})
            print(f"evidently {name} {size}: {len(flagged)} chunks, {time.time() - started:.0f} s", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["export", "nannyml", "evidently"])
    parser.add_argument("--data", required=True)
    parser.add_argument("--sizes", default="5000,500,100")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.mode == "export":
        export(args.data)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    datasets = args.datasets.split(",")
    run = run_nannyml if args.mode == "nannyml" else run_evidently

    def save(result):
        # Written after every chunk size, so a long run that is stopped keeps what it measured.
        with open(args.out + ".part", "w") as f:
            json.dump(result, f)
        os.replace(args.out + ".part", args.out)

    run(args.data, sizes, datasets, save)


if __name__ == "__main__":
    main()
