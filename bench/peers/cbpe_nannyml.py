"""NannyML's confidence-based performance estimation (CBPE) on its own synthetic binary datasets,
the peer of `npm run bench:cbpe` (bench/cbpe.ts). Runs in the bench's cached NannyML virtualenv.

For each dataset it writes, into --data/<name>/:
  reference.csv  the reference period: its input features, `prediction` (y_pred), `confidence`
                 (the predicted class's probability, max(p, 1 - p)) and `label` (the target);
  analysis.csv   the analysis period: the same columns but `label`;
and prints one JSON object: per dataset and chunk (NannyML's size-based chunks of --chunk rows,
rows [start, end]), NannyML's estimated accuracy and the realised accuracy from the analysis
targets (scikit-learn's accuracy_score).

    python bench/peers/cbpe_nannyml.py --data DIR --chunk 5000
"""
import argparse
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

DATASETS = {
    # name: (loader, target column)
    "car_loan": ("load_synthetic_car_loan_dataset", "repaid"),
    "binary": ("load_synthetic_binary_classification_dataset", "work_home_actual"),
}
NOT_INPUTS = {"id", "timestamp", "y_pred_proba", "y_pred", "repaid", "work_home_actual", "identifier", "period"}


def main():
    import nannyml as nml
    import numpy as np
    from sklearn.metrics import accuracy_score

    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--chunk", type=int, default=5000)
    args = parser.parse_args()
    out = {"nannyml": nml.__version__, "chunk": args.chunk, "datasets": {}}
    for name, (loader, target) in DATASETS.items():
        reference, analysis, targets = getattr(nml, loader)()
        analysis = analysis.merge(targets, on="id") if target not in analysis.columns else analysis
        inputs = [c for c in reference.columns if c not in NOT_INPUTS]
        folder = os.path.join(args.data, name)
        os.makedirs(folder, exist_ok=True)

        def signals(frame, with_label):
            p = frame["y_pred_proba"].to_numpy()
            table = frame[inputs].copy()
            table["prediction"] = frame["y_pred"].astype(int)
            table["confidence"] = np.maximum(p, 1 - p)
            if with_label:
                table["label"] = frame[target].astype(int)
            return table

        signals(reference, True).to_csv(os.path.join(folder, "reference.csv"), index=False)
        signals(analysis, False).to_csv(os.path.join(folder, "analysis.csv"), index=False)
        estimator = nml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true=target, metrics=["accuracy"],
                             chunk_size=args.chunk, problem_type="classification_binary").fit(reference)
        table = estimator.estimate(analysis.drop(columns=[target])).filter(period="analysis").to_df()
        chunks = []
        for _, row in table.iterrows():
            start, end = int(row[("chunk", "start_index")]), int(row[("chunk", "end_index")])
            part = analysis.iloc[start:end + 1]
            chunks.append({"start": start, "end": end, "nannyml": float(row[("accuracy", "value")]),
                           "realised": float(accuracy_score(part[target], part["y_pred"]))})
        out["datasets"][name] = {"inputs": inputs, "referenceRows": len(reference), "analysisRows": len(analysis), "chunks": chunks}
        print(f"cbpe {name}: {len(chunks)} chunks of {args.chunk}", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
