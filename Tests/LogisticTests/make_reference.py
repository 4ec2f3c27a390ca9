#!/usr/bin/env python3
"""Reference values for LogisticTests, from scikit-learn and statsmodels.

Regenerate (from the package root):

    python3 -m venv /tmp/logitvenv
    /tmp/logitvenv/bin/pip install numpy scikit-learn statsmodels
    /tmp/logitvenv/bin/python Tests/LogisticTests/make_reference.py

Writes Tests/LogisticTests/Fixtures/logit-data.csv (the seeded synthetic data set: x1..x5, y) and
Tests/LogisticTests/Fixtures/logit-reference.json (fits on exactly the values in that CSV); then
Tests/LogisticTests/Fixtures/logit-multinomial.csv (a seeded 3-class set: x1..x4, class) and
Tests/LogisticTests/Fixtures/logit-solvers-reference.json: elastic-net fits (saga), balanced class weights
(newton-cholesky) and multinomial fits (lbfgs and newton-cholesky), with the objective values and KKT
violations of scikit-learn's own solutions in Waypoint's scale (summed loss, lambda = 1/C).

Elastic net: sklearn's LogisticRegression(C, l1_ratio=r) minimizes C Σ loss_i + r‖β‖₁ + (1−r)/2‖β‖²; divided by
C this is Waypoint's Σ loss_i + λ(r‖β‖₁ + (1−r)/2‖β‖²) with λ = 1/C, l1Ratio = r.

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


# ---------------------------------------------------------------------------------------------------------
# Solver references: elastic net, balanced class weights, multinomial.
import warnings
from scipy.special import expit, log_expit, logsumexp


def binary_objective(b0, b, lam, r, xs=x, ys=y, w=None):
    eta = b0 + xs @ b
    w = np.ones(len(ys)) if w is None else w
    loss = -np.sum(w * (ys * log_expit(eta) + (1 - ys) * log_expit(-eta)))
    return float(loss + lam * (r * np.abs(b).sum() + 0.5 * (1 - r) * (b @ b)))


def binary_kkt(b0, b, lam, r):
    """max |pseudo-gradient| of the elastic-net objective (0 at the minimizer)."""
    eta = b0 + x @ b
    g = x.T @ (expit(eta) - y) + lam * (1 - r) * b
    g0 = np.sum(expit(eta) - y)
    l1 = lam * r
    pg = np.where(b > 0, g + l1, np.where(b < 0, g - l1, np.sign(g) * np.maximum(np.abs(g) - l1, 0)))
    return float(max(np.abs(pg).max(), abs(g0)))


solvers = {"elasticNet": [], "balanced": [], "multinomial": []}
for c, r in ((0.1, 0.5), (0.02, 1.0), (1.0, 0.3)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LogisticRegression(C=c, l1_ratio=r, solver="saga", tol=1e-12, max_iter=200000).fit(x, y)
    b0, b = float(m.intercept_[0]), m.coef_[0]
    lam = 1.0 / c
    solvers["elasticNet"].append({
        "C": c, "l2Penalty": lam, "l1Ratio": r, "intercept": b0, "coefficients": [float(v) for v in b],
        "objective": binary_objective(b0, b, lam, r), "kktViolation": binary_kkt(b0, b, lam, r),
        "iterations": int(m.n_iter_[0]),
    })

for c in (1.0, 0.1):
    m = LogisticRegression(C=c, class_weight="balanced", solver="newton-cholesky", tol=1e-12,
                           max_iter=1000).fit(x, y)
    solvers["balanced"].append({"C": c, "l2Penalty": 1.0 / c, "intercept": float(m.intercept_[0]),
                                "coefficients": [float(v) for v in m.coef_[0]],
                                "positiveShare": float(y.mean())})

# A 3-class set: softmax of a planted K×d matrix, so the classes overlap (no separation).
MK, MD, MN = 3, 4, 600
xm = rng.standard_normal((MN, MD)) * np.array([1.0, 2.0, 0.5, 1.0]) + np.array([0.0, 0.5, 0.0, -1.0])
wm = np.array([[0.8, -0.3, 1.0, 0.0], [-0.5, 0.4, 0.0, 0.6], [0.0, 0.0, -1.2, -0.4]])
zm = xm @ wm.T + np.array([0.2, -0.1, 0.0])
pm = np.exp(zm - logsumexp(zm, axis=1, keepdims=True))
ym = np.array([rng.choice(MK, p=row) for row in pm])
mcsv = fixtures / "logit-multinomial.csv"
with open(mcsv, "w") as f:
    f.write(",".join([f"x{j + 1}" for j in range(MD)] + ["class"]) + "\n")
    for i in range(MN):
        f.write(",".join([repr(float(v)) for v in xm[i]] + [str(int(ym[i]))]) + "\n")
mdata = np.loadtxt(mcsv, delimiter=",", skiprows=1)
xm, ym = mdata[:, :MD], mdata[:, MD].astype(int)


def multinomial_objective(b, w, lam):
    z = xm @ w.T + b
    return float(np.sum(logsumexp(z, axis=1) - z[np.arange(MN), ym]) + 0.5 * lam * np.sum(w * w))


for c in (1.0, 0.1):
    entry = {"C": c, "l2Penalty": 1.0 / c}
    for solver in ("lbfgs", "newton-cholesky"):
        m = LogisticRegression(C=c, solver=solver, tol=1e-12, max_iter=10000).fit(xm, ym)
        b = m.intercept_ - m.intercept_.mean()
        entry[solver.replace("-c", "C")] = {
            "intercepts": [float(v) for v in b], "coefficients": [[float(v) for v in row] for row in m.coef_],
            "probabilities": [[float(v) for v in row] for row in m.predict_proba(xm[:10])],
            "objective": multinomial_objective(b, m.coef_, 1.0 / c),
        }
    solvers["multinomial"].append(entry)

out_solvers = {"seed": SEED, "versions": out["versions"], "multinomialN": MN, "multinomialD": MD,
               "multinomialK": MK, **solvers}
with open(fixtures / "logit-solvers-reference.json", "w") as f:
    json.dump(out_solvers, f, indent=2)
    f.write("\n")
print(json.dumps({k: v for k, v in out_solvers.items() if k != "multinomial"}, indent=2))
