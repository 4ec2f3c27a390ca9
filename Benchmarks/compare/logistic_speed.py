#!/usr/bin/env python3
"""Binary L2 logistic regression, n x d dense: Waypoint's `train logistic` against scikit-learn's
`newton-cholesky` and `lbfgs` on the same data, in the same run. Prints Benchmarks/results/logistic.md.

    Benchmarks/compare/logistic_speed.sh                        # 1,000,000 x 100, 3 runs each
    python logistic_speed.py --waypoint BIN --rows 200000 --cols 100 --repeats 3

Data (cached in compare/data/): X ~ N(0, 1) rounded to multiples of 1/16 (exact in binary and in short
decimal text, so the CSV Waypoint reads and the .npy scikit-learn loads hold identical doubles), planted
coefficients, y ~ Bernoulli(sigmoid(-0.5 + X beta)), seed 42.

Timed: the fit only. Waypoint's `--timings` prints read and fit times separately (CSV parsing is not counted);
scikit-learn's `fit` is timed around the call on arrays already in memory. Same penalty: lambda = 1 (C = 1).
Same stopping rule: scikit-learn's tol is on the gradient of the mean loss, Waypoint's on the summed loss, so
Waypoint gets tol * n. Medians of `repeats` runs, tools interleaved.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info

here = pathlib.Path(__file__).resolve().parent


def make_data(rows, cols, seed=42):
    data = here / "data"
    data.mkdir(exist_ok=True)
    stem = data / f"logistic-{rows}x{cols}"
    csv, xnpy, ynpy = stem.with_suffix(".csv"), stem.with_suffix(".x.npy"), stem.with_suffix(".y.npy")
    if csv.exists() and xnpy.exists() and ynpy.exists():
        return csv, np.load(xnpy), np.load(ynpy)
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((rows, cols)) * 16) / 16
    beta = rng.standard_normal(cols) * 0.3
    y = (rng.random(rows) < 1 / (1 + np.exp(0.5 - x @ beta))).astype(np.int8)
    k = np.round(x * 16).astype(np.int64)
    lo, hi = int(k.min()), int(k.max())
    table = np.array([("%.4f" % (v / 16)).encode() for v in range(lo, hi + 1)], dtype=object)
    with open(csv, "wb") as f:
        f.write((",".join([f"x{j + 1}" for j in range(cols)] + ["y"]) + "\n").encode())
        for start in range(0, rows, 20000):
            block = table[k[start:start + 20000] - lo]
            ys = y[start:start + 20000]
            f.write(b"".join(b",".join(list(r) + [b"1" if t else b"0"]) + b"\n" for r, t in zip(block, ys)))
    np.save(xnpy, x)
    np.save(ynpy, y)
    return csv, x, y


def run_waypoint(binary, csv, tol_sum, solver):
    env = dict(os.environ)
    proc = subprocess.run(
        [binary, "train", "logistic", "--table", str(csv), "--label", "y", "--l2", "1", "--solver", solver,
         "--tolerance", repr(tol_sum), "--timings", "--format", "json"],
        capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"waypoint failed: {proc.stderr}")
    out = json.loads(proc.stdout)
    t = re.search(r"timings: read ([\d.]+) s, fit ([\d.]+) s; design matrix ([\d.]+ [KMG]B).*?peak resident "
                  r"([\d.]+ [KMG]B) (during the fit|over the whole run) \(([\d.]+)× the design matrix\)", proc.stderr)
    h = re.search(r"hessian: (\d+) builds, ([\d.]+) s, ([\d.]+) GFLOP/s.*?BLAS threads, best of 3\) ([\d.]+) "
                  r"GFLOP/s: (\d+)%", proc.stderr)
    if not t or (solver == "newton" and not h):
        sys.exit(f"cannot parse waypoint --timings output: {proc.stderr}")
    shape = re.search(r"dsyrk of a cached 512×\d+ block on each of (\d+) cores ([\d.]+) GFLOP/s: (\d+)%", proc.stderr)
    if not h:
        h = re.match(r"(0) (0) (0) (0) (0)", "0 0 0 0 0")
        shape = re.match(r"(0) (0) (0)", "0 0 0")
    return {
        "read": float(t.group(1)), "fit": float(t.group(2)), "matrix": t.group(3), "peak": t.group(4),
        "peakScope": t.group(5), "peakRatio": float(t.group(6)), "hessianBuilds": int(h.group(1)),
        "hessianSeconds": float(h.group(2)), "hessianGflops": float(h.group(3)), "dgemm": float(h.group(4)),
        "hessianShare": int(h.group(5)),
        "syrkCores": int(shape.group(1)), "syrkBlock": float(shape.group(2)), "syrkShare": int(shape.group(3)),
        "iterations": out["iterations"], "converged": out["converged"],
        "intercept": out["intercept"], "coef": [out["coefficients"][f"x{j + 1}"] for j in range(len(out["coefficients"]))],
    }


def run_sklearn(solver, x, y, tol):
    model = LogisticRegression(C=1.0, solver=solver, tol=tol, max_iter=10000)
    start = time.perf_counter()
    model.fit(x, y)
    return time.perf_counter() - start, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--waypoint", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tol", type=float, default=1e-8, help="scikit-learn tol (mean-loss gradient)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    csv, x, y = make_data(args.rows, args.cols)
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {csv}", file=sys.stderr)
    n = args.rows
    tol_sum = args.tol * n
    runs = {"Waypoint newton": [], "Waypoint lbfgs": [], "scikit-learn newton-cholesky": [], "scikit-learn lbfgs": []}
    waypoint = {"newton": [], "lbfgs": []}
    models = {}
    for r in range(args.repeats):
        for solver in ("newton", "lbfgs"):
            w = run_waypoint(args.waypoint, csv, tol_sum, solver)
            waypoint[solver].append(w)
            runs[f"Waypoint {solver}"].append(w["fit"])
        for solver in ("newton-cholesky", "lbfgs"):
            seconds, model = run_sklearn(solver, x, y, args.tol)
            runs[f"scikit-learn {solver}"].append(seconds)
            models[solver] = model
        print(f"repeat {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items()), file=sys.stderr)

    med = {k: statistics.median(v) for k, v in runs.items()}
    exact = np.concatenate([models["newton-cholesky"].intercept_, models["newton-cholesky"].coef_[0]])
    diffs = {}
    iters = {}
    for solver, model in models.items():
        diffs[f"scikit-learn {solver}"] = float(np.abs(np.concatenate([model.intercept_, model.coef_[0]]) - exact).max())
        iters[f"scikit-learn {solver}"] = int(model.n_iter_[0])
    for solver, ws in waypoint.items():
        diffs[f"Waypoint {solver}"] = float(np.abs(np.array([ws[0]["intercept"]] + ws[0]["coef"]) - exact).max())
        iters[f"Waypoint {solver}"] = ws[0]["iterations"]
    best_sklearn = min(med["scikit-learn newton-cholesky"], med["scikit-learn lbfgs"])
    best_waypoint = min(med["Waypoint newton"], med["Waypoint lbfgs"])
    ratio = best_sklearn / best_waypoint
    newton_runs = waypoint["newton"]
    hessian_share = statistics.median(w["hessianShare"] for w in newton_runs)
    hessian_gflops = statistics.median(w["hessianGflops"] for w in newton_runs)
    dgemm = statistics.median(w["dgemm"] for w in newton_runs)
    syrk_block = statistics.median(w["syrkBlock"] for w in newton_runs)
    syrk_share = statistics.median(w["syrkShare"] for w in newton_runs)
    peak_ratio = max(w["peakRatio"] for ws in waypoint.values() for w in ws)
    blas = "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('num_threads')} threads"
                     for i in threadpool_info() if i.get("user_api") == "blas")
    cpu = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0]

    w0 = newton_runs[0]
    lines = [
        "## Logistic regression (binary, L2)",
        "",
        "Regenerate with `Benchmarks/compare/logistic_speed.sh` (this section is its output; numbers from one run "
        "on one machine).",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu}, load average {load:.1f} when the report was written (the machine "
        f"is shared); Python {platform.python_version()}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__} ({blas}); Waypoint links the system OpenBLAS "
        f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}).",
        "",
        f"Problem: n = {n:,} rows, d = {args.cols} dense columns plus an intercept, λ = 1 (C = 1), X ~ N(0, 1) "
        f"rounded to 1/16, planted coefficients, seed 42 (`logistic_speed.py`). Design matrix {w0['matrix']}. "
        f"Same stopping rule: scikit-learn tol = {args.tol:g} on the mean-loss gradient, Waypoint "
        f"`--tolerance {tol_sum:g}` on the summed-loss gradient. Time = the fit only (Waypoint's `--timings` "
        f"fit time, CSV read excluded; scikit-learn's `fit` on arrays in memory), median of {args.repeats} runs, "
        "tools interleaved.",
        "",
        "| solver | fit seconds (median) | iterations | max abs diff of coefficients vs scikit-learn newton-cholesky "
        "| speed vs best scikit-learn |",
        "|---|---|---|---|---|",
    ]
    for key, label in (("Waypoint newton", "Waypoint `--solver newton` (blocked syrk Hessian, Cholesky)"),
                       ("Waypoint lbfgs", "Waypoint `--solver lbfgs` (fused one-pass value and gradient)"),
                       ("scikit-learn newton-cholesky", "scikit-learn `newton-cholesky`"),
                       ("scikit-learn lbfgs", "scikit-learn `lbfgs`")):
        lines.append(f"| {label} | {med[key]:.2f} | {iters[key]} | {diffs[key]:.1e} | "
                     f"{best_sklearn / med[key]:.2f}x |")
    lines += [
        "",
        f"Hessian build (rows scaled by √(p(1−p)) in blocks of 512 into a per-core buffer, each block added by a "
        f"single-threaded `dsyrk` on every core, as Newton runs it): "
        f"{hessian_gflops:.1f} GFLOP/s (n·k·(k+1) flops per build, k = d + 1) against a `dgemm` ceiling of "
        f"{dgemm:.1f} GFLOP/s (n = 2000, best of 3, measured in the same Waypoint process right after the fit): "
        f"**{hessian_share:.0f}%**. The same kernel alone, `dsyrk` on a cached 512×{args.cols + 1} block on each of "
        f"{newton_runs[0]['syrkCores']} cores, reaches {syrk_block:.1f} GFLOP/s "
        f"({100 * syrk_block / dgemm:.0f}% of `dgemm`): the Hessian build runs at {syrk_share:.0f}% of that, the "
        f"rest being the one read of X and the row scaling. Waypoint read the CSV in {statistics.median(w['read'] for ws in waypoint.values() for w in ws):.1f} s "
        "(not counted above).",
        "",
        f"Peak memory: Waypoint's peak resident set during the fit (VmHWM reset just before it) was "
        f"{w0['peak']} = **{peak_ratio:.2f}x** the design matrix (X itself, never copied, plus O(n) vectors and "
        "one 0.4 MB block per core).",
        "",
        "Goals (issue 4): Waypoint's fit at most half of scikit-learn's best time (speed-up ≥ 2x): "
        f"**{'met' if ratio >= 2 else 'not met'}** ({ratio:.2f}x, Waypoint's faster solver against scikit-learn's "
        f"faster one); same coefficients: max abs diff {max(diffs['Waypoint newton'], diffs['Waypoint lbfgs']):.1e} "
        f"vs `newton-cholesky`; Hessian build ≥ 60% of dgemm: "
        f"**{'met' if hessian_share >= 60 else 'not met'}** ({hessian_share:.0f}%); peak memory ≤ 1.5x the design "
        f"matrix: **{'met' if peak_ratio <= 1.5 else 'not met'}** ({peak_ratio:.2f}x).",
        "",
        "Reading the table: `--solver auto` picks Newton for binary L2 fits with at most 500 features, so it "
        "runs the first row here. On this tall, well-conditioned problem L-BFGS needs about a dozen iterations, each "
        "one fused pass over X (η, loss and Xᵀr per cached block of rows, on all cores), while every Newton step "
        "builds a 101×101 Hessian from all n rows; Newton pays off on ill-conditioned problems and gives standard "
        "errors for unpenalized fits. The Hessian rate is bounded by its shape: OpenBLAS's `dsyrk` kernel with only "
        "k = 101 output columns runs well below a square n = 2000 `dgemm` even on data in cache (the figure above), "
        "and the memory-bound read and scaling of X is counted in. On this shared machine the ceiling itself moves "
        "by up to 2x between runs, so the percentages are indicative.",
        "",
        "Runs (seconds): " + "; ".join(f"{k}: " + ", ".join(f"{v:.2f}" for v in vs) for k, vs in runs.items()),
        "",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
