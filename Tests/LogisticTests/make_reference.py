#!/usr/bin/env python3
"""Reference values for LogisticTests, from scikit-learn and statsmodels.

Regenerate (from the package root):

    python3 -m venv /tmp/logitvenv
    /tmp/logitvenv/bin/pip install numpy scikit-learn statsmodels
    /tmp/logitvenv/bin/python Tests/LogisticTests/make_reference.py

Writes Tests/LogisticTests/Fixtures/logit-data.csv (the seeded synthetic data set: x1..x5, y) and
Tests/LogisticTests/Fixtures/logit-reference.json (fits on exactly the values in that CSV).

Mapping: sklearn's LogisticRegression(C) minimizes  Σ loss_i + (1/(2C))‖β‖²  (intercept unpenalized),
which is Waypoint's objective with l2Penalty λ = 1/C. statsmodels' Logit is the unpenalized MLE (λ = 0).
"""
import json
import pathlib
import sys

import numpy as np
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

SEED = 20261124
N, D = 500, 5

here = pathlib.Path(__file__).resolve().parent
fixtures = here / "Fixtures"
fixtures.mkdir(exist_ok=True)

rng = np.random.default_rng(SEED)
# Correlated, differently scaled features, so the Hessian is not diagonal.
z = rng.standard_normal((N, D))
mix = np.eye(D) + 0.3 * rng.standard_normal((D, D))
x = z @ mix * np.array([1.0, 2.0, 0.5, 1.5, 1.0]) + np.array([0.0, 1.0, -0.5, 0.0, 2.0])
beta = np.array([0.8, -0.5, 1.2, 0.0, 0.3])
eta = -0.4 + (x - x.mean(axis=0)) @ beta
y = (rng.random(N) < 1.0 / (1.0 + np.exp(-eta))).astype(float)

# Round-trip through the CSV text so Swift and Python fit identical numbers.
csv_path = fixtures / "logit-data.csv"
with open(csv_path, "w") as f:
    f.write(",".join([f"x{j + 1}" for j in range(D)] + ["y"]) + "\n")
    for i in range(N):
        f.write(",".join([repr(float(v)) for v in x[i]] + [str(int(y[i]))]) + "\n")
data = np.loadtxt(csv_path, delimiter=",", skiprows=1)
x, y = data[:, :D], data[:, D]

out = {
    "seed": SEED,
    "n": N,
    "d": D,
    "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__, "statsmodels": statsmodels.__version__,
                 "python": sys.version.split()[0]},
    "sklearn": [],
}
for c in (1.0, 0.1):
    m = LogisticRegression(C=c, tol=1e-10, max_iter=10000, solver="newton-cholesky").fit(x, y)
    out["sklearn"].append({"C": c, "l2Penalty": 1.0 / c, "intercept": float(m.intercept_[0]),
                           "coefficients": [float(v) for v in m.coef_[0]]})

res = sm.Logit(y, sm.add_constant(x)).fit(method="newton", tol=1e-12, maxiter=100, disp=False)
out["statsmodels"] = {
    "intercept": float(res.params[0]), "coefficients": [float(v) for v in res.params[1:]],
    "interceptStandardError": float(res.bse[0]), "standardErrors": [float(v) for v in res.bse[1:]],
    "interceptZ": float(res.tvalues[0]), "zScores": [float(v) for v in res.tvalues[1:]],
    "interceptPValue": float(res.pvalues[0]), "pValues": [float(v) for v in res.pvalues[1:]],
    "logLikelihood": float(res.llf),
}
with open(fixtures / "logit-reference.json", "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
print(json.dumps(out, indent=2))
