"""Single-row scoring latency of scikit-learn's LogisticRegression.predict_proba, on the feature vectors
Waypoint's scorer builds (FEATURES_CSV from the ScoringLatency benchmark), for the side-by-side in
scoring.sh. Prints one JSON object: p50_ns, p99_ns over every row, 3 passes (the first discarded).

The model is fitted on those rows with seeded random labels: predict_proba's cost does not depend on
the coefficients' values, only on the shapes.
"""
import json
import sys
import time

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.linear_model import LogisticRegression

x = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, ndmin=2)
rng = np.random.default_rng(7)
y = rng.integers(0, 2, size=x.shape[0])
model = LogisticRegression(max_iter=200).fit(x, y)
rows = [x[i:i + 1] for i in range(x.shape[0])]
samples = []
for p in range(3):
    for r in rows:
        t = time.perf_counter_ns()
        model.predict_proba(r)
        e = time.perf_counter_ns() - t
        if p > 0:
            samples.append(e)
samples.sort()
q = lambda f: samples[min(len(samples) - 1, int(f * len(samples)))]
print(json.dumps({"tool": f"scikit-learn {sklearn_version}", "rows": len(rows), "features": x.shape[1],
                  "p50_ns": q(0.5), "p99_ns": q(0.99)}))
