"""Logistic-regression parity on IBM's Telco churn table: scikit-learn and statsmodels, optionally
against Waypoint's `train logistic`.

Usage: logistic_parity.py [--waypoint BIN] [--data-dir data] [--tol 1e-6] [--repeat 5]

Setup: bash setup_venv.sh "scikit-learn>=1.9,<2" "statsmodels>=0.15,<0.16", then run with
.venv/bin/python. The data is fetched by fetch_telco.py (called here; idempotent).

Design (built once, in pandas, so every tool sees exactly the same numbers):
  * customerid dropped; churn Yes/No -> 1/0 (column `churn`).
  * totalcharges -> numeric; its blanks (customers with tenure 0, never billed: 8 in train,
    3 in test) are FILLED WITH 0, so no rows are dropped.
  * string columns one-hot encoded with drop_first=True (levels sorted; test uses the train's
    levels, so the test design has the train's columns); names lower-cased, non-alphanumerics -> _.
  * numeric columns (seniorcitizen, tenure, monthlycharges, totalcharges) standardized with the
    train mean and population sd (ddof=0); the test design uses the train's mean/sd.
  Written as all-numeric CSVs: data/telco-design-train.csv, data/telco-design-test.csv.

Collinearity: Telco's "No internet service" level appears in six service columns, each equal to
internetservice_no, and multiplelines_no_phone_service = 1 - phoneservice_yes. The rank of
[1, X] is computed, and columns that do not raise it (scanned left to right, pivoted QR test)
are dropped for the UNPENALIZED comparison only: data/telco-design-train-reduced.csv (and
-test-reduced.csv). The L2 fit has a unique solution on the full design and uses it.

Comparisons (exit status 1 on any FAIL):
  1. L2, lambda = 1/C = 1: minimize sum_i logloss_i + lambda/2 * ||w||^2 (intercept unpenalized).
     scikit-learn LogisticRegression(C=1, tol=1e-10, max_iter=10000) with lbfgs (default) and
     newton-cholesky; the script prints the objective's gradient norm at each solution. Waypoint:
     `BIN train logistic --table design-train --label churn --l2 1 --format json`
     ({"intercept", "coefficients": {name: value}, "converged", "iterations"}); compared with the
     newton-cholesky solution, max |diff| <= --tol. Test AUC and log-loss (Waypoint's probabilities
     = sigmoid(b0 + X.b) computed here) must agree with scikit-learn's to 4 decimals (|diff| < 5e-5).
  2. Unpenalized: statsmodels Logit(y, add_constant(X)).fit(method='newton', tol=1e-12,
     maxiter=100, disp=0) on the reduced design, and `BIN train logistic ... --l2 0 --format json`
     (with "standard_errors"); params and standard errors compared, max |diff| <= --tol.
Timing: scikit-learn/statsmodels are timed in-process (fit only, median of --repeat); Waypoint is
the wall time of the whole process (start-up + CSV parse + fit + JSON), median of --repeat.
These are tiny fits (4,930 x 30), so times are dominated by fixed overheads.
Without --waypoint, the script still fetches, builds the designs, and prints the scikit-learn and
statsmodels results and the rank findings.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
LABEL = "churn"
INTERCEPT_KEYS = ("intercept", "(intercept)", "const", "_intercept")


# ----------------------------------------------------------------------------- data / design

def clean_name(s):
    return re.sub(r"[^0-9a-z]+", "_", s.lower()).strip("_")


def load_raw(path):
    df = pd.read_csv(path, dtype={"totalcharges": str})
    df.columns = [c.lower() for c in df.columns]
    df = df.drop(columns=["customerid"])
    tc = pd.to_numeric(df["totalcharges"].str.strip(), errors="coerce")
    blanks = int(tc.isna().sum())
    df["totalcharges"] = tc.fillna(0.0)
    y = df.pop("churn").map({"Yes": 1, "No": 0})
    if y.isna().any():
        sys.exit(f"{path}: churn values other than Yes/No")
    return df, y.astype(np.int64), blanks


def build_design(train, test):
    """One-hot (drop_first, train levels) + standardize (train mean, ddof=0 sd). Returns
    (Xtrain, Xtest, info) as float DataFrames with identical columns."""
    cat = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
    num = [c for c in train.columns if c not in cat]
    mean = train[num].mean()
    sd = train[num].std(ddof=0)
    parts_tr, parts_te = [], []
    for c in train.columns:
        if c in num:
            parts_tr.append(((train[c] - mean[c]) / sd[c]).rename(clean_name(c)).astype(float))
            parts_te.append(((test[c] - mean[c]) / sd[c]).rename(clean_name(c)).astype(float))
        else:
            levels = sorted(train[c].astype(str).unique())
            unseen = set(test[c].astype(str).unique()) - set(levels)
            if unseen:
                sys.exit(f"test column {c} has levels unseen in train: {sorted(unseen)}")
            for part, src in ((parts_tr, train), (parts_te, test)):
                d = pd.get_dummies(pd.Categorical(src[c].astype(str), categories=levels),
                                   drop_first=True, dtype=float)
                d.columns = [clean_name(f"{c}_{lv}") for lv in d.columns]
                d.index = src.index
                part.append(d)
    Xtr = pd.concat(parts_tr, axis=1)
    Xte = pd.concat(parts_te, axis=1)
    if Xtr.columns.duplicated().any():
        sys.exit("duplicate design column names after cleaning")
    return Xtr, Xte, {"categorical": cat, "numeric": num, "mean": mean, "sd": sd}


def redundant_columns(X):
    """Columns of X that do not raise the rank of [1, X], scanning left to right."""
    n = X.shape[0]
    keep = [np.ones(n)]
    dropped = []
    rank = 1
    for c in X.columns:
        M = np.column_stack(keep + [X[c].to_numpy()])
        r = np.linalg.matrix_rank(M)
        if r > rank:
            keep.append(X[c].to_numpy())
            rank = r
        else:
            dropped.append(c)
    return dropped


def explain_redundant(X, col):
    """Short human reason for a redundant column (exact equality / complement of one column)."""
    v = X[col].to_numpy()
    for c in X.columns:
        if c == col:
            continue
        w = X[c].to_numpy()
        if np.array_equal(v, w):
            return f"= {c}"
        if np.array_equal(v, 1 - w):
            return f"= 1 - {c}"
    return "linear combination of other columns"


def write_design(X, y, path):
    out = X.copy()
    out[LABEL] = y.to_numpy()
    out.to_csv(path, index=False, float_format="%.17g")


# ----------------------------------------------------------------------------- helpers

def sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def penalized_grad(X, y, b0, w, lam):
    """Gradient of sum logloss + lam/2 ||w||^2 (intercept unpenalized)."""
    p = sigmoid(b0 + X @ w)
    r = p - y
    return np.concatenate([[r.sum()], X.T @ r + lam * w])


def median_time(fn, repeat):
    ts, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return out, statistics.median(ts)


def run_waypoint(bin_, table, l2, repeat):
    cmd = [bin_, "train", "logistic", "--table", table, "--label", LABEL, "--l2", f"{l2:g}", "--format", "json"]
    ts, proc = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        ts.append(time.perf_counter() - t)
        if proc.returncode != 0:
            break
    if proc.returncode != 0:
        print(f"  waypoint failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr.strip()}")
        return None, None
    try:
        js = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        print(f"  waypoint output is not JSON ({e}): {proc.stdout[:300]!r}")
        return None, None
    return js, statistics.median(ts)


def wp_lookup(mapping, names, what):
    """Waypoint's per-column values (dict by name, or list in design order) as an array."""
    if isinstance(mapping, dict):
        missing = [n for n in names if n not in mapping]
        if missing:
            raise KeyError(f"waypoint {what} lacks {missing[:5]}")
        return np.array([float(mapping[n]) for n in names])
    if isinstance(mapping, list) and len(mapping) == len(names):
        return np.array([float(v) for v in mapping])
    raise KeyError(f"waypoint {what}: unexpected shape {type(mapping).__name__}")


def wp_se(js, names):
    """(intercept SE, coefficient SEs) from Waypoint's "standard_errors"."""
    se = js.get("standard_errors")
    if se is None:
        raise KeyError("waypoint JSON has no standard_errors")
    if isinstance(se, dict):
        if "coefficients" in se:  # nested {"intercept": s, "coefficients": {...}}
            return float(se["intercept"]), wp_lookup(se["coefficients"], names, "standard_errors")
        key = next((k for k in INTERCEPT_KEYS if k in se), None)
        if key is None:
            raise KeyError("waypoint standard_errors lacks an intercept entry")
        return float(se[key]), wp_lookup(se, names, "standard_errors")
    if isinstance(se, list) and len(se) == len(names) + 1:
        return float(se[0]), np.array([float(v) for v in se[1:]])
    raise KeyError("waypoint standard_errors: unexpected shape")


def side_by_side(title, names, cols, ref_idx, cmp_idx):
    """Print a table; |diff| between cols[ref_idx] and cols[cmp_idx] (if given). Returns max diff."""
    heads = [h for h, _ in cols]
    w = max(len(n) for n in names)
    line = f"  {'name':<{w}}" + "".join(f"  {h:>22}" for h in heads)
    if cmp_idx is not None:
        line += f"  {'|diff|':>10}"
    print(line)
    worst = 0.0
    for i, n in enumerate(names):
        row = f"  {n:<{w}}" + "".join(f"  {v[i]:>22.15g}" for _, v in cols)
        if cmp_idx is not None:
            d = abs(cols[cmp_idx][1][i] - cols[ref_idx][1][i])
            worst = max(worst, d)
            row += f"  {d:>10.2e}"
        print(row)
    return worst


def verdict(ok):
    return "PASS" if ok else "FAIL"


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--waypoint", metavar="BIN", help="Waypoint CLI binary (optional)")
    ap.add_argument("--data-dir", default=os.path.join(HERE, "data"))
    ap.add_argument("--tol", type=float, default=1e-6, help="max |diff| for coefficients and SEs")
    ap.add_argument("--repeat", type=int, default=5, help="timing repeats (median)")
    a = ap.parse_args()

    import scipy
    import sklearn
    import statsmodels
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score

    print(f"python {sys.version.split()[0]}  numpy {np.__version__}  pandas {pd.__version__}  "
          f"scipy {scipy.__version__}  scikit-learn {sklearn.__version__}  statsmodels {statsmodels.__version__}")

    subprocess.run([sys.executable, os.path.join(HERE, "fetch_telco.py"), "--out-dir", a.data_dir],
                   check=True, stdout=subprocess.DEVNULL)
    d = a.data_dir
    train_raw, ytr, blanks_tr = load_raw(os.path.join(d, "telco-train.csv"))
    test_raw, yte, blanks_te = load_raw(os.path.join(d, "telco-test.csv"))
    Xtr, Xte, info = build_design(train_raw, test_raw)
    names = list(Xtr.columns)
    paths = {k: os.path.join(d, f"telco-design-{k}.csv") for k in ("train", "test", "train-reduced", "test-reduced")}
    write_design(Xtr, ytr, paths["train"])
    write_design(Xte, yte, paths["test"])

    print(f"\n== design  (train {len(train_raw)} rows, test {len(test_raw)} rows)")
    print(f"  totalcharges blanks filled with 0 (tenure-0 customers): train {blanks_tr}, test {blanks_te}; no rows dropped")
    print(f"  categorical ({len(info['categorical'])}): one-hot, drop_first=True;  numeric ({len(info['numeric'])}, "
          f"standardized with train mean / population sd): {', '.join(info['numeric'])}")
    print(f"  design: train {Xtr.shape[0]} x {Xtr.shape[1]} (+ label), test {Xte.shape[0]} x {Xte.shape[1]};  "
          f"churn rate train {ytr.mean():.4f}, test {yte.mean():.4f}")
    print(f"  wrote {os.path.relpath(paths['train'])}, {os.path.relpath(paths['test'])}")

    A = np.column_stack([np.ones(len(Xtr)), Xtr.to_numpy()])
    rank = int(np.linalg.matrix_rank(A))
    sv = np.linalg.svd(A, compute_uv=False)
    print(f"\n== rank of [1, X]: {rank} of {A.shape[1]} columns  (singular values: max {sv[0]:.3g}, "
          f"sigma_{rank} {sv[rank - 1]:.3g}, sigma_{rank + 1} {sv[rank] if rank < len(sv) else 0:.3g})")
    dropped = redundant_columns(Xtr)
    for c in dropped:
        print(f"  redundant: {c}  ({explain_redundant(Xtr, c)})")
    Xtr_r, Xte_r = Xtr.drop(columns=dropped), Xte.drop(columns=dropped)
    names_r = list(Xtr_r.columns)
    if dropped:
        r2 = int(np.linalg.matrix_rank(np.column_stack([np.ones(len(Xtr_r)), Xtr_r.to_numpy()])))
        print(f"  exact collinearity: the unpenalized fits (statsmodels, Waypoint --l2 0) use the reduced design "
              f"{Xtr_r.shape[0]} x {Xtr_r.shape[1]} (rank of [1, X] = {r2}, full column rank)")
    write_design(Xtr_r, ytr, paths["train-reduced"])
    write_design(Xte_r, yte, paths["test-reduced"])
    print(f"  wrote {os.path.relpath(paths['train-reduced'])}, {os.path.relpath(paths['test-reduced'])}")

    X, y = Xtr.to_numpy(), ytr.to_numpy().astype(float)
    Xt, yt = Xte.to_numpy(), yte.to_numpy()
    failures = []

    # ------------------------------------------------------------------ 1. L2 (C = 1, lambda = 1)
    C = 1.0
    lam = 1.0 / C
    print(f"\n== L2-penalized logistic regression, C = {C:g} (lambda = 1/C = {lam:g}), full design")
    fits = {}
    for solver in ("lbfgs", "newton-cholesky"):
        def fit(solver=solver):
            m = LogisticRegression(C=C, tol=1e-10, max_iter=10000, solver=solver)
            with warnings.catch_warnings(record=True) as wl:
                warnings.simplefilter("always")
                m.fit(X, y)
            return m, wl
        (m, wl), t = median_time(fit, a.repeat)
        g = penalized_grad(X, y, m.intercept_[0], m.coef_[0], lam)
        fits[solver] = (m, t)
        warn = "; ".join(sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:80]}" for w in wl}))
        print(f"  sklearn {solver:<16} n_iter {int(m.n_iter_[0]):>4}  |grad| of sum-logloss + lambda/2||w||^2: "
              f"{np.linalg.norm(g):.2e}  fit {t * 1e3:8.2f} ms (median of {a.repeat}){'  ' + warn if warn else ''}")
    lb, nc = fits["lbfgs"][0], fits["newton-cholesky"][0]
    b_lb = np.concatenate([lb.intercept_, lb.coef_[0]])
    b_nc = np.concatenate([nc.intercept_, nc.coef_[0]])
    d_sk = float(np.max(np.abs(b_lb - b_nc)))
    print(f"  lbfgs vs newton-cholesky: max |diff| {d_sk:.2e}  (reference for Waypoint: newton-cholesky; lbfgs stops"
          f" on its relative objective-change test before tol=1e-10 is reached, so it is not a 1e-6 reference)")

    p_sk = nc.predict_proba(Xt)[:, 1]
    auc_sk, ll_sk = roc_auc_score(yt, p_sk), log_loss(yt, p_sk)
    print(f"  test (n={len(yt)}): sklearn AUC {auc_sk:.6f}  log-loss {ll_sk:.6f}")

    wp = None
    if a.waypoint:
        wp, t_wp = run_waypoint(a.waypoint, paths["train"], lam, a.repeat)
        if wp is None:
            failures.append("waypoint L2 run")
    lnames = ["(intercept)"] + names
    if wp is not None:
        try:
            b_wp = np.concatenate([[float(wp["intercept"])], wp_lookup(wp["coefficients"], names, "coefficients")])
        except KeyError as e:
            print(f"  {e}")
            failures.append("waypoint L2 output")
            b_wp = None
        if b_wp is not None:
            worst = side_by_side("L2", lnames, [("sklearn lbfgs", b_lb), ("sklearn newton-chol", b_nc),
                                                ("waypoint", b_wp)], 1, 2)
            ok = worst <= a.tol
            print(f"  waypoint converged {wp.get('converged')}  iterations {wp.get('iterations')}  "
                  f"process {t_wp * 1e3:.1f} ms (median of {a.repeat})")
            print(f"  max |waypoint - sklearn newton-cholesky| = {worst:.2e}  (tol {a.tol:g})  {verdict(ok)}")
            if not ok:
                failures.append("L2 coefficients")
            p_wp = sigmoid(b_wp[0] + Xt @ b_wp[1:])
            auc_wp, ll_wp = roc_auc_score(yt, p_wp), log_loss(yt, p_wp)
            ok_m = abs(auc_wp - auc_sk) < 5e-5 and abs(ll_wp - ll_sk) < 5e-5
            print(f"  test: waypoint AUC {auc_wp:.6f}  log-loss {ll_wp:.6f}   "
                  f"|dAUC| {abs(auc_wp - auc_sk):.1e}  |dlogloss| {abs(ll_wp - ll_sk):.1e}  (4 decimals) {verdict(ok_m)}")
            if not ok_m:
                failures.append("L2 test metrics")
    else:
        side_by_side("L2", lnames, [("sklearn lbfgs", b_lb), ("sklearn newton-chol", b_nc)], 0, 1)

    # ------------------------------------------------------------------ 2. unpenalized (statsmodels)
    print("\n== unpenalized logistic regression (statsmodels Logit, newton, tol 1e-12, maxiter 100)")

    def sm_fit(Xd):
        with warnings.catch_warnings(record=True) as wl:
            warnings.simplefilter("always")
            try:
                res = sm.Logit(ytr.to_numpy(), sm.add_constant(Xd, has_constant="add")).fit(
                    method="newton", tol=1e-12, maxiter=100, disp=0)
                err = None
            except Exception as e:  # singular Hessian / perfect separation
                res, err = None, f"{type(e).__name__}: {e}"
        return res, err, sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:90]}" for w in wl})

    if dropped:
        res, err, wl = sm_fit(Xtr)
        if err:
            print(f"  full design ({Xtr.shape[1]} columns): {err}")
        else:
            hess_cond = np.linalg.cond(-res.model.hessian(res.params))
            print(f"  full design ({Xtr.shape[1]} columns): converged {res.mle_retvals['converged']}, "
                  f"Hessian condition number {hess_cond:.2e}, max SE {np.nanmax(res.bse):.3g}  -> not identifiable")
        for w in wl:
            print(f"    {w}")
        print(f"  using the reduced design ({len(dropped)} redundant columns dropped)")

    (res_err_wl), t_sm = median_time(lambda: sm_fit(Xtr_r), a.repeat)
    res, err, wl = res_err_wl
    if err:
        print(f"  reduced design: {err}")
        failures.append("statsmodels fit")
        return finish(failures)
    rv = res.mle_retvals
    b_sm, se_sm = res.params.to_numpy(), res.bse.to_numpy()
    Xr = Xtr_r.to_numpy()
    g = penalized_grad(Xr, y, b_sm[0], b_sm[1:], 0.0)
    print(f"  converged {rv['converged']}  iterations {rv['iterations']}  |grad| {np.linalg.norm(g):.2e}  "
          f"log-likelihood {res.llf:.6f}  fit {t_sm * 1e3:.2f} ms (median of {a.repeat})")
    for w in wl:
        print(f"    {w}")
    if not rv["converged"]:
        failures.append("statsmodels convergence")
    p_sm = res.predict(sm.add_constant(Xte_r, has_constant="add"))
    print(f"  test: statsmodels AUC {roc_auc_score(yt, p_sm):.6f}  log-loss {log_loss(yt, p_sm):.6f}")

    rnames = ["(intercept)"] + names_r
    wp0 = None
    if a.waypoint:
        wp0, t_wp0 = run_waypoint(a.waypoint, paths["train-reduced"], 0.0, a.repeat)
        if wp0 is None:
            failures.append("waypoint unpenalized run")
    if wp0 is not None:
        try:
            b_wp0 = np.concatenate([[float(wp0["intercept"])], wp_lookup(wp0["coefficients"], names_r, "coefficients")])
            se0, se_rest = wp_se(wp0, names_r)
            se_wp0 = np.concatenate([[se0], se_rest])
        except KeyError as e:
            print(f"  {e}")
            failures.append("waypoint unpenalized output")
            return finish(failures)
        print("  params:")
        wb = side_by_side("params", rnames, [("statsmodels", b_sm), ("waypoint", b_wp0)], 0, 1)
        print("  standard errors:")
        ws = side_by_side("se", rnames, [("statsmodels", se_sm), ("waypoint", se_wp0)], 0, 1)
        print(f"  waypoint converged {wp0.get('converged')}  iterations {wp0.get('iterations')}  "
              f"process {t_wp0 * 1e3:.1f} ms (median of {a.repeat})")
        print(f"  max |diff| params {wb:.2e}  {verdict(wb <= a.tol)};  standard errors {ws:.2e}  {verdict(ws <= a.tol)}"
              f"  (tol {a.tol:g})")
        if wb > a.tol:
            failures.append("unpenalized params")
        if ws > a.tol:
            failures.append("unpenalized standard errors")
    else:
        side_by_side("sm", rnames, [("statsmodels param", b_sm), ("statsmodels SE", se_sm)], 0, None)

    if not a.waypoint:
        print("\n(no --waypoint: scikit-learn / statsmodels only)")
    return finish(failures)


def finish(failures):
    if failures:
        print(f"\nFAIL: {', '.join(failures)}")
        return 1
    print("\nall checks PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
