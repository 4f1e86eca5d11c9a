"""The whylogs peer of bench/baseline.ts: whylogs' full default profile of a training CSV
(pandas read, then KLL quantile sketches, HyperLogLog and frequent items per column).
Prints the seconds spent after the imports on its last line."""
import sys
import time

import pandas as pd
import whylogs as why

started = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
view = why.log(frame).view()
view.to_pandas()
print(time.perf_counter() - started)
