"""Markov attribution parity on ChannelAttribution's Data.csv: ChannelAttribution (simulation, several
seeds) against the exact absorbing-chain solution (markov_exact.py), and optionally Waypoint.

Usage: markov_parity.py [--data data/Data.csv] [--orders 1 2 3 4] [--seeds 5] [--nsim 100000]
                        [--waypoint BIN [--waypoint-semantics channel-attribution]
                         [--waypoint-target exact|max_step]] [--json OUT]

Setup: bash setup_markov_venv.sh (ChannelAttribution + Data.csv), then run with .venv/bin/python.

Per order: CA's markov_model(order=k, out_more=True, var_value, var_null, ncore=1, defaults otherwise)
is run once per seed. Seeds are 0, 10, 20, ...: CA seeds fold r of its nfold=10 folds with
mt19937(seed + r), so seeds closer than 10 apart share folds. CA's transition matrix is checked
against markov_exact's (deterministic). For every channel and each of removal_effect,
conversions, conversion_value: CA mean, min, max and sd over seeds, the exact value, and
z = (mean - exact) / (sd / sqrt(seeds)). CA passes a channel when exact lies within mean +- 3 sd
("in min..max" is also counted). CA's time is the median over seeds of the markov_model call.
With --waypoint, runs `BIN attribute --paths DATA --order K --semantics S --format json` (a JSON
array of objects with channel, removal_effect, conversions, conversion_value) and requires
|waypoint - exact| <= 1e-9 * max(1, |exact|) for every channel and field; exit status 1 if not.
"exact" is the infinite-horizon chain; --waypoint-target max_step compares with walks cut at CA's
max_step instead (the two differ by up to ~2e-8 relative at order 4 on Data.csv).
"""
import argparse
import contextlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

import markov_exact as me

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["removal_effect", "conversions", "conversion_value"]
TOL = 1e-9

os.environ.setdefault("MPLBACKEND", "Agg")
with contextlib.redirect_stdout(io.StringIO()):  # CA prints a banner on import
    from ChannelAttribution import markov_model


def run_ca(df, order, seed, nsim):
    log = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(log):
        r = markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                         var_null="total_null", order=order, nsim_start=nsim, out_more=True, sep=">",
                         ncore=1, seed=seed, verbose=True, flg_pro=False)
    dt = time.perf_counter() - t0
    res = r["result"].merge(r["removal_effects"], on="channel_name")
    per = {row.channel_name: {"removal_effect": row.removal_effects_conversion,
                              "removal_effect_value": row.removal_effects_conversion_value,
                              "conversions": row.total_conversions,
                              "conversion_value": row.total_conversion_value}
           for row in res.itertuples()}
    return dt, list(res.channel_name), per, r["transition_matrix"], log.getvalue()


def check_transitions(tm, names, rows, order):
    """Largest |CA transition probability - ours| and whether both have the same non-zero entries."""
    Q, R, states, _ = me.build(rows, order)
    sid = {s: i for i, s in enumerate(states)}
    absorbing = {"(conversion)": R[:, 0], "(null)": 1.0 - Q.sum(axis=1) - R[:, 0]}

    def state(code):
        return () if code == "(start)" else tuple(int(x) - 1 for x in code.split())

    worst = 0.0
    for f, t, p in tm.itertuples(index=False):
        i = sid[state(f)]
        ours = absorbing[t][i] if t in absorbing else Q[i, sid[state(t)]]
        worst = max(worst, abs(ours - p))
    ours_nonzero = int((Q > 0).sum() + (R[:, 0] > 0).sum() + (absorbing["(null)"] > 1e-12).sum())
    return worst, len(tm) == ours_nonzero


def run_waypoint(binary, data, order, semantics):
    cmd = [binary, "attribute", "--paths", data, "--order", str(order), "--semantics", semantics, "--format", "json"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t0, {d["channel"]: d for d in json.loads(out)}


def fmt(x):
    return f"{x:.6f}" if abs(x) < 10 else f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(HERE, "data", "Data.csv"))
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--nsim", type=float, default=1e5, help="CA's nsim_start (its default 1e5)")
    ap.add_argument("--waypoint", metavar="BIN")
    ap.add_argument("--waypoint-semantics", default="channel-attribution")
    ap.add_argument("--waypoint-target", choices=["exact", "max_step"], default="exact")
    ap.add_argument("--json", metavar="OUT", help="also write every number as JSON")
    a = ap.parse_args()

    df = pd.read_csv(a.data, sep=";")
    rows, names = me.load(a.data)
    seeds = [10 * i for i in range(a.seeds)]
    report, wp_ok = [], True
    for order in a.orders:
        ex = me.exact(rows, names, order)
        exact = {c["channel"]: c for c in ex["channels"]}
        times, runs, logs = [], [], []
        for seed in seeds:
            dt, ca_names, per, tm, log = run_ca(df, order, seed, a.nsim)
            assert ca_names == names, (ca_names, names)
            times.append(dt)
            runs.append(per)
            logs.append(log)
        tm_diff, tm_same = check_transitions(tm, names, rows, order)
        wp_time, wp = run_waypoint(a.waypoint, a.data, order, a.waypoint_semantics) if a.waypoint else (None, None)
        sims = sorted({line.split(" - ")[0].split(": ")[1] for line in "".join(logs).splitlines()
                       if line.startswith("Number of simulations")}, key=int)

        print(f"\n== order {order}: {ex['states']} states, P(conversion) exact {ex['p_conversion']:.12f}, "
              f"CA max_step {ex['max_step']} (P at max_step {ex['p_conversion_max_step']:.12f})")
        print(f"CA transition matrix: {len(tm)} entries, same non-zeros as ours: {tm_same}, max |diff| {tm_diff:.2e}")
        print(f"CA markov_model time (ncore=1, nsim_start={a.nsim:.0f}, simulations per seed {', '.join(sims)}): "
              f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}) over seeds {seeds}"
              + (f"; waypoint (process wall time) {wp_time:.3f} s" if wp else ""))
        order_rep = {"order": order, "exact": ex, "ca_seconds": times, "ca_runs": runs, "seeds": seeds,
                     "transition_max_diff": tm_diff, "fields": {}}
        for field in FIELDS:
            head = f"{'channel':<8} {'CA mean':>11} {'CA min':>11} {'CA max':>11} {'CA sd':>9} {'exact':>11} {'z':>6} {'in':>3}"
            print(f"\n{field}\n{head}" + (f" {'waypoint':>18} {'wp-exact':>9}" if wp else ""))
            fail, in_range, worst, worst_sd = 0, 0, 0.0, ""
            for ch in names:
                vals = [r[ch][field] for r in runs]
                mean, sd = statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0
                e = exact[ch][field]
                ok3 = abs(mean - e) <= 3 * sd
                inr = min(vals) <= e <= max(vals)
                fail += not ok3
                in_range += inr
                z = (mean - e) / (sd / math.sqrt(len(vals))) if sd > 0 else float("inf")
                if sd > 0 and abs(mean - e) / sd >= worst:
                    worst, worst_sd = abs(mean - e) / sd, ch
                line = (f"{ch:<8} {fmt(mean):>11} {fmt(min(vals)):>11} {fmt(max(vals)):>11} {fmt(sd):>9} "
                        f"{fmt(e):>11} {z:>6.2f} {'y' if inr else 'n':>3}")
                if wp:
                    w = wp.get(ch, {}).get(field, float("nan"))
                    if a.waypoint_target == "max_step":
                        e = exact[ch][field + "_max_step"]
                    good = abs(w - e) <= TOL * max(1.0, abs(e))
                    wp_ok &= good
                    line += f" {w:>18.12g} {w - e:>9.1e}{'' if good else '  FAIL'}"
                print(line)
            order_rep["fields"][field] = {"outside_3sd": fail, "in_min_max": in_range,
                                          "max_abs_mean_minus_exact_over_sd": worst, "at": worst_sd}
            print(f"{field}: exact within CA mean +- 3 sd for {len(names) - fail}/{len(names)} channels, "
                  f"within CA min..max for {in_range}/{len(names)}; largest |CA mean - exact| / sd = "
                  f"{worst:.2f} ({worst_sd})")
        report.append(order_rep)
    if a.waypoint:
        print(f"\nwaypoint vs exact (|diff| <= {TOL:g} * max(1, |exact|)): {'PASS' if wp_ok else 'FAIL'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1, default=float)
    sys.exit(0 if wp_ok else 1)


if __name__ == "__main__":
    main()
