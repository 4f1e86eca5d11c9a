"""The pandas/NumPy peer of bench/baseline.ts: what a data scientist would write to profile a
training CSV the way `driftwatch baseline build --no-multivariate` does: read it, take each numeric
column's deciles, count it into those bins, count each categorical column's values.
Prints the seconds spent after the imports on its last line."""
import sys
import time

import numpy as np
import pandas as pd

started = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
profile = {}
for name in frame.columns:
    column = frame[name]
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, 11)))
        bins = np.bincount(np.searchsorted(edges, finite, side='right'), minlength=len(edges) + 1)
        profile[name] = (edges, bins, int(np.isnan(values).sum()), float(finite.mean()), float(finite.std()))
    else:
        profile[name] = column.value_counts(dropna=False)
print(time.perf_counter() - started)
