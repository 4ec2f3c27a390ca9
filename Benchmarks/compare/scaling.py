#!/usr/bin/env python3
"""Scaling rows (issue 8): the same task at three or more sizes, Waypoint beside its peers, so the cost
curve is visible. Prints Benchmarks/results/scaling.md (markdown) to stdout; progress goes to stderr.

    Benchmarks/compare/scaling.sh                 # every task at its default sizes
    python scaling.py --waypoint BIN [--tasks ingest,markov,logistic,score] [--ingest-sizes 500000,1000000]

Tasks, each timed the way its main section times it (the functions are imported from those scripts):
  ingest    reading a touchpoint log (generate_events.py --seed 42): Waypoint `events summarize`'s own
            load_seconds (ingest_report.py) against pandas and polars (ingest_peers.py), in-process times
  markov    order-2 Markov attribution of the first n journeys of data/paths-1000000.csv
            (generate_paths.py --seed 7): Waypoint `attribute --timings` total against ChannelAttribution's
            read_csv + markov_model (markov_speed.py), in-process times
  logistic  L2 logistic fit on n x 100 dense data (logistic_speed.py's make_data): Waypoint `train logistic
            --timings` fit time (`--solver lbfgs` and `--solver newton`) against scikit-learn lbfgs `fit`
  score     `waypoint score` end to end on a simulated log (`waypoint simulate --seed 11`): whole-process
            wall clock; there is no peer
  simulate  `waypoint simulate --customers N` (whole process, writing events.csv and truth.json) against
            the ingestion rate measured in the same run (issue 7's goal: at 1M customers, at least half of
            it); there is no peer
Each size runs `--repeats` times (the tools alternating) and reports medians; the largest size of ingest and
logistic runs `--largest-repeats` times to keep the step short, except that the largest ingest size reuses
the peers' medians that ingest.sh wrote in data/peers-N.jsonl when that file is newer than --since (the
start of the same run.sh run).
"""
import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(HERE, "data")
sys.path.insert(0, HERE)

import ingest_peers  # noqa: E402  (standard library only at import time)
import ingest_report  # noqa: E402
import markov_speed  # noqa: E402

LINEAR_BAND = (0.8, 1.25)  # per-unit time at the largest size / at the smallest: inside = linear


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sizes(text):
    return sorted({int(s) for s in text.split(",") if s.strip()})


def human(n):
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{suffix}"
    return f"{n:,}"


def verdict(name, unit, rows, key):
    """One sentence on how `key`'s per-unit time moves from the smallest size to the largest."""
    small, large = rows[0], rows[-1]
    if len(rows) < 2:
        return f"{name}: one size only, no curve"
    if small.get(key) is None or large.get(key) is None:
        return f"{name}: not measured at both ends"
    per_small, per_large = small[key] / small["n"], large[key] / large["n"]
    change = per_large / per_small
    exponent = math.log(large[key] / small[key]) / math.log(large["n"] / small["n"])
    if change < LINEAR_BAND[0]:
        word = "sublinear (a fixed cost is spread over more units)"
    elif change > LINEAR_BAND[1]:
        word = "**worse than linear**"
    else:
        word = "linear"
    return (f"{name} per-{unit} time changes {change:.2f}x from {human(small['n'])} to {human(large['n'])} "
            f"{unit}s (time ∝ n^{exponent:.2f}): {word}")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def us(seconds, n):
    return f"{seconds / n * 1e6:.3g}"


def ratio(peer, waypoint):
    return f"{peer / waypoint:.1f}x"


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def runs_for(n, all_sizes, args, expensive):
    return args.largest_repeats if expensive and n == all_sizes[-1] else args.repeats


# ---------------------------------------------------------------- ingestion

INGEST_PEERS = [("pandas", "pandas", 1), ("polars2", "polars", 2), ("polarscat2", "polarscat", 2)]
INGEST_NAMES = {"pandas": "pandas", "polars2": "polars", "polarscat2": "polars cat."}


def ingest(args):
    ns = sizes(args.ingest_sizes)
    rows = []
    for n in ns:
        csv = os.path.join(DATA, f"events-{n}.csv")  # the name ingest.sh uses: shared with its section
        if not os.path.exists(csv):
            subprocess.run([sys.executable, os.path.join(HERE, "generate_events.py"), "--events", str(n),
                            "--seed", "42", "--out", csv], check=True)
        warm(csv)
        repeats = runs_for(n, ns, args, expensive=True)
        peers_file = os.path.join(DATA, f"peers-{n}.jsonl")
        reused = {}
        if args.since and os.path.exists(peers_file) and os.path.getmtime(peers_file) >= args.since \
                and os.path.getmtime(peers_file) >= os.path.getmtime(csv):
            for line in open(peers_file):
                p = json.loads(line) if line.strip() else None
                if p and p["check_ok"] and p["rows"] == n:
                    for key, peer, threads in INGEST_PEERS:
                        if p["peer"] == peer and p["threads"] == threads:
                            reused[key] = (p["median_total_s"], p["repeats"])
        if len(reused) < len(INGEST_PEERS):
            reused = {}
        times = {"waypoint": []} | {key: [] for key, _, _ in INGEST_PEERS}
        waypoint_repeats = max(repeats, args.repeats) if reused else repeats  # Waypoint is cheap: 3 runs anyway
        for r in range(max(waypoint_repeats, repeats)):
            if r < waypoint_repeats:
                w = ingest_report.waypoint_runs(args.waypoint, csv, 2, 1)[0]
                assert w["rows_kept"] == n and w["rows_rejected"] == 0, "waypoint lost rows"
                times["waypoint"].append(w["load_seconds"])
            if not reused and r < repeats:
                for key, _, _ in INGEST_PEERS:
                    p = ingest_peers.run_child(key, csv)
                    c = p["check"]
                    assert p["rows"] == n and c["nulls"] == 0 and c["sorted"] and c["ms_sum"] == c["ms_sum_expected"], \
                        f"{key} check failed: {c}"
                    times[key].append(p["total_s"])
        row = {"n": n, "waypoint": statistics.median(times["waypoint"]), "waypoint_runs": len(times["waypoint"])}
        for key, _, _ in INGEST_PEERS:
            row[key], row[key + "_runs"] = reused[key] if reused else (statistics.median(times[key]), len(times[key]))
        row["reused"] = bool(reused)
        rows.append(row)
        log(f"ingest {n}: " + ", ".join(f"{k} {row[k]:.2f} s" for k in ["waypoint"] + [k for k, _, _ in INGEST_PEERS])
            + (" (peers reused from ingest.sh)" if reused else ""))

    keys = [k for k, _, _ in INGEST_PEERS]
    header = (["events", "runs", "Waypoint s"] + [f"{INGEST_NAMES[k]} s" for k in keys]
              + [f"{INGEST_NAMES[k]} / Waypoint" for k in keys]
              + ["Waypoint µs/event"] + [f"{INGEST_NAMES[k]} µs/event" for k in keys])
    body = []
    for r in rows:
        runs = f"{r['waypoint_runs']}" if not r["reused"] and all(r[k + "_runs"] == r["waypoint_runs"] for k in keys) \
            else f"Waypoint {r['waypoint_runs']}, peers {r[keys[0] + '_runs']}" + (" (ingest.sh's)" if r["reused"] else "")
        body.append([f"{r['n']:,}", runs, f"{r['waypoint']:.3f}"] + [f"{r[k]:.3f}" for k in keys]
                    + [ratio(r[k], r["waypoint"]) for k in keys]
                    + [us(r["waypoint"], r["n"])] + [us(r[k], r["n"]) for k in keys])
    lines = ["### Reading a touchpoint log: Waypoint vs pandas and polars", "",
             "Input: `generate_events.py --events N --seed 42` (customers = N/20, the same generator and seed as the "
             "ingestion section). Task and timing as in that section: parse every field, timestamps to UTC, order by "
             "customer and time; seconds in-process (no interpreter start or imports), warm page cache, fresh process "
             "per run, medians. Waypoint = `events summarize --threads 2` load time; pandas (one thread); polars and "
             "polars with categorical ids (`ingest_peers.py` `polars2`, `polarscat2`: 2 threads). "
             + ("The peers' figures at the largest size are the medians the ingestion section measured earlier in the "
                "same run (`data/peers-N.jsonl`); Waypoint was run again here." if rows[-1]["reused"] else ""), ""]
    lines += table(header, body)
    lines += ["", "Cost curve: " + "; ".join(
        verdict(name, "event", rows, k) for name, k in [("Waypoint", "waypoint")] + [(INGEST_NAMES[k], k) for k in keys]) + "."]
    return lines, len(rows)


# ---------------------------------------------------------------- Markov attribution

def markov(args):
    ns = sizes(args.markov_sizes)
    source_n = max(1_000_000, ns[-1])
    source = os.path.join(DATA, f"paths-{source_n}.csv")  # markov.sh's input when source_n is 1M
    if not os.path.exists(source):
        subprocess.run([sys.executable, os.path.join(HERE, "generate_paths.py"), "--paths", str(source_n),
                        "--seed", "7", "--out", source], check=True, stdout=sys.stderr)
    rows = []
    for n in ns:
        path = source
        if n < source_n:
            path = os.path.join(DATA, f"paths-{source_n}-first-{n}.csv")
            if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(source):
                with open(source) as src, open(path + ".tmp", "w") as dst:
                    for i, line in enumerate(src):
                        if i > n:
                            break
                        dst.write(line)
                os.replace(path + ".tmp", path)
        warm(path)
        ca, wp = [], []
        for _ in range(runs_for(n, ns, args, expensive=False)):
            ca.append(markov_speed.ca_run(path, args.markov_order)[0])
            seconds, states, _ = markov_speed.waypoint_run(args.waypoint, path, args.markov_order)
            wp.append(seconds)
        rows.append({"n": n, "ca": statistics.median(ca), "waypoint": statistics.median(wp), "runs": len(wp),
                     "states": states})
        log(f"markov {n}: ChannelAttribution {rows[-1]['ca']:.3f} s, Waypoint {rows[-1]['waypoint']:.4f} s")
    header = ["journeys", "runs", "states", "Waypoint s", "ChannelAttribution s", "ChannelAttribution / Waypoint",
              "Waypoint µs/journey", "ChannelAttribution µs/journey"]
    body = [[f"{r['n']:,}", str(r["runs"]), str(r["states"]), f"{r['waypoint']:.4f}", f"{r['ca']:.3f}",
             ratio(r["ca"], r["waypoint"]), us(r["waypoint"], r["n"]), us(r["ca"], r["n"])] for r in rows]
    lines = [f"### Markov attribution, order {args.markov_order}: Waypoint vs ChannelAttribution", "",
             f"Input: the first N journeys of `paths-{source_n}.csv` (`generate_paths.py --seed 7`, the Markov "
             "section's input; journeys are drawn independently from one planted chain, so each prefix is a sample "
             "of the same process). Timing as in that section (`markov_speed.py`): in-process seconds from the file "
             "to the table, fresh process per run, the tools alternating, medians. Waypoint = exact solve "
             "(`attribute --semantics channel-attribution --timings` total, all cores); ChannelAttribution = "
             "pandas.read_csv + markov_model (ncore=1, its default 100,000 simulated walks, a part of its cost that "
             "does not grow with the input).", ""]
    lines += table(header, body)
    lines += ["", "Cost curve: " + "; ".join(verdict(name, "journey", rows, k) for name, k in
                                           (("Waypoint", "waypoint"), ("ChannelAttribution", "ca"))) + "."]
    return lines, len(rows)


# ---------------------------------------------------------------- logistic regression

def logistic(args):
    import numpy as np  # noqa: F401  (the venv's; logistic_speed needs numpy and scikit-learn)
    import logistic_speed
    ns = sizes(args.logistic_sizes)
    cols, tol = 100, 1e-8
    rows = []
    for n in ns:
        csv, x, y = logistic_speed.make_data(n, cols)
        warm(csv)
        fits = {"lbfgs": [], "newton": [], "sklearn": []}
        iters = {}
        for _ in range(runs_for(n, ns, args, expensive=True)):
            for solver in ("lbfgs", "newton"):
                w = logistic_speed.run_waypoint(args.waypoint, csv, tol * n, solver)
                fits[solver].append(w["fit"])
                iters[solver] = w["iterations"]
            seconds, model = logistic_speed.run_sklearn("lbfgs", x, y, tol)
            fits["sklearn"].append(seconds)
            iters["sklearn"] = int(model.n_iter_[0])
        del x, y
        row = {"n": n, "runs": len(fits["sklearn"]), "iters": iters}
        row.update({k: statistics.median(v) for k, v in fits.items()})
        rows.append(row)
        log(f"logistic {n}: Waypoint lbfgs {row['lbfgs']:.3f} s, newton {row['newton']:.3f} s, "
            f"scikit-learn lbfgs {row['sklearn']:.3f} s")
    header = ["rows", "runs", "Waypoint lbfgs s", "Waypoint newton s", "scikit-learn lbfgs s",
              "scikit-learn / Waypoint lbfgs", "scikit-learn / Waypoint newton", "Waypoint lbfgs µs/row",
              "Waypoint newton µs/row", "scikit-learn lbfgs µs/row", "iterations (lbfgs, newton, scikit-learn)"]
    body = [[f"{r['n']:,}", str(r["runs"]), f"{r['lbfgs']:.3f}", f"{r['newton']:.3f}", f"{r['sklearn']:.3f}",
             ratio(r["sklearn"], r["lbfgs"]), ratio(r["sklearn"], r["newton"]), us(r["lbfgs"], r["n"]),
             us(r["newton"], r["n"]), us(r["sklearn"], r["n"]),
             f"{r['iters']['lbfgs']}, {r['iters']['newton']}, {r['iters']['sklearn']}"] for r in rows]
    lines = [f"### Logistic regression (binary, L2, n x {cols}): Waypoint vs scikit-learn lbfgs", "",
             f"Data: `logistic_speed.py`'s generator at each n (X ~ N(0, 1) rounded to 1/16, planted coefficients, "
             f"seed 42), λ = 1 (C = 1), scikit-learn tol = {tol:g} on the mean-loss gradient, Waypoint "
             "`--tolerance` = tol·n on the summed loss, as in the logistic section. Time = the fit only: Waypoint's "
             "`--timings` fit time (its CSV read is excluded), scikit-learn's `fit` on arrays already in memory; "
             "medians, tools interleaved. The iteration counts are from the last run: a per-row change can come from "
             "a different number of iterations rather than from a costlier pass.", ""]
    lines += table(header, body)
    lines += ["", "Cost curve: " + "; ".join(verdict(name, "row", rows, k) for name, k in
                                           (("Waypoint lbfgs", "lbfgs"), ("Waypoint newton", "newton"),
                                            ("scikit-learn lbfgs", "sklearn"))) + "."]
    return lines, len(rows)


# ---------------------------------------------------------------- scoring end to end

def score(args):
    ns = sizes(args.score_sizes)
    model = os.path.join(ROOT, "models", "demo")
    rows = []
    for n in ns:
        folder = os.path.join(DATA, f"sim-{n}-seed11")
        csv = os.path.join(folder, "events.csv")
        if not os.path.exists(csv):
            subprocess.run([args.waypoint, "simulate", "--customers", str(n), "--seed", "11", "--out", folder],
                           check=True, stdout=subprocess.DEVNULL)
        warm(csv)
        out = os.path.join(DATA, f"scores-{n}.csv")
        timed = {}
        for mode, extra in (("memory", []), ("sorted", ["--sorted"])):
            walls, peaks = [], []
            for _ in range(runs_for(n, ns, args, expensive=False)):
                start = time.perf_counter()
                # --at is the simulator's last day, so both modes score the same customers the same way.
                errors = os.path.join(DATA, "score-stderr.txt")
                with open(errors, "w") as err:
                    child = subprocess.Popen([args.waypoint, "score", "--model", model, "--events", csv, "--out", out,
                                              "--at", "2024-06-29"] + extra, stdout=subprocess.DEVNULL, stderr=err)
                    # The child's own high-water mark (VmHWM belongs to the program after exec; getrusage's
                    # ru_maxrss would count the pages of this large Python process copied at fork), read
                    # every 5 ms until it exits: monotonic, so the last reading is its peak.
                    peak_kb = 0
                    while child.poll() is None:
                        try:
                            with open(f"/proc/{child.pid}/status") as status_file:
                                for line in status_file:
                                    if line.startswith("VmHWM:"):
                                        peak_kb = max(peak_kb, int(line.split()[1]))
                        except (OSError, ValueError):
                            pass
                        time.sleep(0.005)
                walls.append(time.perf_counter() - start)
                peaks.append(peak_kb / 1024)
                stderr = open(errors).read()
                if child.returncode != 0:
                    sys.exit(f"waypoint score {' '.join(extra)} failed: {stderr}")
            timed[mode] = (statistics.median(walls), max(peaks), len(walls), stderr)
        os.remove(out)
        m = re.search(r"scored (\d+) of (\d+) customers.*?(\d+) rows read = (\d+) kept \+ (\d+) rejected",
                      timed["memory"][3], re.S)
        if not m:
            sys.exit(f"cannot parse waypoint score's summary: {timed['memory'][3]}")
        if timed["sorted"][3].strip() != timed["memory"][3].strip():
            sys.exit(f"--sorted and in-memory summaries differ:\n{timed['sorted'][3]}\n{timed['memory'][3]}")
        customers, events = int(m.group(1)), int(m.group(4))
        rows.append({"n": events, "customers": customers, "waypoint": timed["memory"][0], "sorted": timed["sorted"][0],
                     "peak": timed["memory"][1], "sortedPeak": timed["sorted"][1], "runs": timed["memory"][2],
                     "bytes": os.path.getsize(csv), "sim_customers": n})
        log(f"score {n} customers: {rows[-1]['waypoint']:.2f} s in memory, {rows[-1]['sorted']:.2f} s --sorted")
    ingest_rate, reference = ingestion_rate(args)
    header = ["simulated customers", "events", "CSV MB", "runs", "Waypoint s", "Waypoint µs/event",
              "Waypoint µs/customer scored", "peak MB", "vs the ingestion rate", "`--sorted` s", "`--sorted` µs/event",
              "`--sorted` peak MB", "`--sorted` vs the ingestion rate"]
    body = [[f"{r['sim_customers']:,}", f"{r['n']:,}", f"{r['bytes'] / 1e6:.0f}", str(r["runs"]),
             f"{r['waypoint']:.2f}", us(r["waypoint"], r["n"]), us(r["waypoint"], r["customers"]), f"{r['peak']:.0f}",
             f"{r['n'] / r['waypoint'] / ingest_rate:.2f}",
             f"{r['sorted']:.2f}", us(r["sorted"], r["n"]), f"{r['sortedPeak']:.0f}",
             f"{r['n'] / r['sorted'] / ingest_rate:.2f}"] for r in rows]
    lines = ["### Scoring a raw log end to end: Waypoint only", "",
             "Input: `waypoint simulate --customers N --seed 11` (events.csv, 12 columns, each customer's rows together "
             "in ascending id order). Task: `waypoint score --model models/demo --events events.csv --at 2024-06-29 "
             "--out FILE` on all cores: read and validate the CSV, replay every customer, score next channel, churn, "
             "conversion and the best action, write one CSV row per customer; then the same with `--sorted`, which "
             "reads, scores and writes a batch of whole customers at a time (same output, byte for byte, checked by "
             "the tests). Time = the whole process's wall clock (start, bundle load, read, score, write), warm page "
             "cache, medians; peak MB = the process's peak resident set. There is no peer tool that does this task, "
             "so there is no peer column. Beside it, as issue 6 asks, the ingestion benchmark's rate measured in this "
             f"run: Waypoint reading `{os.path.basename(reference)}` on {os.cpu_count()} threads "
             f"({ingest_rate / 1e6:.2f} M events/s, median of {args.repeats}); 'vs the ingestion rate' is events per "
             "second scored end to end over it.", ""]
    lines += table(header, body)
    first, last = rows[0], rows[-1]
    shares = (last["n"] / last["waypoint"] / ingest_rate, last["n"] / last["sorted"] / ingest_rate)
    lines += ["", "Cost curve: " + verdict("Waypoint", "event", rows, "waypoint") + "; "
              + verdict("`--sorted`", "event", rows, "sorted") + ". Peak memory from "
              f"{first['n']:,} to {last['n']:,} events: in memory {first['peak']:.0f} → {last['peak']:.0f} MB "
              f"({last['peak'] / first['peak']:.1f}x), `--sorted` {first['sortedPeak']:.0f} → {last['sortedPeak']:.0f} MB "
              f"({last['sortedPeak'] / first['sortedPeak']:.1f}x).", "",
              "Goals (issue 6, end to end): `waypoint score` from the raw CSV, the whole process with the output "
              "written, at no less than half the ingestion benchmark's rate, at the largest size: "
              f"{'**met**' if min(shares) >= 0.5 else '**not met**'} ({shares[0]:.2f} of it in memory, {shares[1]:.2f} "
              f"with `--sorted`: {last['n'] / last['waypoint'] / 1e6:.2f} and {last['n'] / last['sorted'] / 1e6:.2f} "
              f"M events/s against {ingest_rate / 1e6:.2f} M)."]
    return lines, len(rows)


# ---------------------------------------------------------------- simulation

_ingestion = {}


def ingestion_rate(args):
    """The ingestion benchmark's rate, measured once in this run: Waypoint reading the ingestion section's
    file on every core (its own load time, as that section reports it), median events/s; and the file."""
    if not _ingestion:
        reference = os.path.join(DATA, f"events-{sizes(args.ingest_sizes)[-1]}.csv")
        if not os.path.exists(reference):
            subprocess.run([sys.executable, os.path.join(HERE, "generate_events.py"), "--events",
                            str(sizes(args.ingest_sizes)[-1]), "--seed", "42", "--out", reference], check=True)
        warm(reference)
        runs = ingest_report.waypoint_runs(args.waypoint, reference, os.cpu_count() or 1, args.repeats)
        _ingestion["rate"] = statistics.median(r["rows_kept"] / r["load_seconds"] for r in runs)
        _ingestion["file"] = reference
    return _ingestion["rate"], _ingestion["file"]


def simulate(args):
    ns = sizes(args.simulate_sizes)
    ingest_rate, reference = ingestion_rate(args)
    rows = []
    for n in ns:
        folder = os.path.join(DATA, f"simulate-{n}")
        walls = []
        for _ in range(runs_for(n, ns, args, expensive=True)):
            start = time.perf_counter()
            p = subprocess.run([args.waypoint, "simulate", "--customers", str(n), "--seed", "5", "--out", folder],
                               capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            if p.returncode != 0:
                sys.exit(f"waypoint simulate failed: {p.stderr}")
        csv = os.path.join(folder, "events.csv")
        with open(csv, "rb") as f:
            events = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 24), b"")) - 1
        size = os.path.getsize(csv)
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
        rows.append({"n": n, "events": events, "bytes": size, "waypoint": statistics.median(walls), "runs": len(walls)})
        log(f"simulate {n} customers: {rows[-1]['waypoint']:.2f} s, {events:,} events")
    header = ["customers", "events", "CSV MB", "runs", "Waypoint s", "events/s", "µs/customer",
              "vs the ingestion rate"]
    body = [[f"{r['n']:,}", f"{r['events']:,}", f"{r['bytes'] / 1e6:.0f}", str(r["runs"]), f"{r['waypoint']:.2f}",
             f"{r['events'] / r['waypoint'] / 1e6:.2f} M", us(r["waypoint"], r["n"]),
             f"{r['events'] / r['waypoint'] / ingest_rate:.2f}"] for r in rows]
    lines = ["### Simulating a log: Waypoint only", "",
             f"Task: `waypoint simulate --customers N --seed 5 --out DIR` (release build): generate customers, journeys, "
             "actions and outcomes and write events.csv (12 columns) and truth.json. Time = the whole process's wall "
             "clock, medians. Beside it, the ingestion benchmark's rate measured in this run: Waypoint reading "
             f"`{os.path.basename(reference)}` on {os.cpu_count()} threads ({ingest_rate / 1e6:.2f} M events/s, "
             f"median of {args.repeats}). There is no peer tool that does this task, so there is no peer column.", ""]
    lines += table(header, body)
    lines += ["", "Cost curve: " + verdict("Waypoint", "customer", rows, "waypoint") + "."]
    largest = rows[-1]
    share = largest["events"] / largest["waypoint"] / ingest_rate
    lines += ["", f"Goals (issue 7): `waypoint simulate` at {largest['n']:,} customers at no less than half the ingestion "
              f"benchmark's rate: {'**met**' if share >= 0.5 else '**not met**'} ({share:.2f} of it: "
              f"{largest['events'] / largest['waypoint'] / 1e6:.2f} M events/s against {ingest_rate / 1e6:.2f} M)."]
    return lines, len(rows)


TASKS = {"ingest": ingest, "markov": markov, "logistic": logistic, "score": score, "simulate": simulate}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--waypoint", required=True)
    ap.add_argument("--tasks", default="ingest,markov,logistic,score,simulate")
    ap.add_argument("--ingest-sizes", default="500000,1000000,2000000,5000000")
    ap.add_argument("--markov-sizes", default="100000,300000,1000000")
    ap.add_argument("--markov-order", type=int, default=2)
    ap.add_argument("--logistic-sizes", default="100000,300000,1000000")
    ap.add_argument("--score-sizes", default="10000,30000,100000", help="simulated customers")
    ap.add_argument("--simulate-sizes", default="100000,300000,1000000", help="customers")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--largest-repeats", type=int, default=1, help="runs at the largest ingest and logistic size")
    ap.add_argument("--since", type=float, default=0.0,
                    help="Unix time the run started: ingest.sh's peers file is reused only when newer")
    args = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)

    started = time.time()
    load = os.getloadavg()[0]
    sections, counts = [], {}
    for name in args.tasks.split(","):
        t = time.time()
        lines, count = TASKS[name](args)
        counts[name] = count
        sections += lines + [""]
        log(f"{name}: {time.time() - t:.0f} s")
    elapsed = time.time() - started

    cpu = ingest_report.cpu_model()
    version = subprocess.run([args.waypoint, "--version"], capture_output=True, text=True).stdout.strip()
    met = [n for n, c in counts.items() if c >= 3]
    short = [f"{n}: {c}" for n, c in counts.items() if c < 3]
    goal = (f"met ({len(met)} tasks)" if not short and met else
            f"not met ({len(met)} tasks at 3 or more sizes; fewer: {', '.join(short) or 'no task ran'})")
    lo, hi = LINEAR_BAND
    print("## Scaling\n")
    print("Regenerate with `Benchmarks/compare/scaling.sh` (run by `run.sh`; this section is its output; numbers from "
          "one run on one machine).\n")
    print(f"Machine: {os.cpu_count()} cores, {cpu}, shared (load average {load:.1f} at the start); Python "
          f"{platform.python_version()}; Waypoint {version}. Each task at several sizes, the tools side by side on "
          "the same inputs; the `runs` column is the number of runs behind each median. Reading the cost curve: "
          f"the per-unit time at the largest size divided by that at the smallest; from {lo}x to {hi}x counts as "
          f"linear, below {lo}x as sublinear (fixed costs spread out), above {hi}x as worse than linear; "
          "n^b is the exponent of the time between those two sizes. Measuring this section took "
          f"{elapsed:.0f} s, inputs generated and cached in `Benchmarks/compare/data/` included.\n")
    print("\n".join(sections))
    print(f"Goals (issue 8): each task at 3 or more sizes: {goal}.")


if __name__ == "__main__":
    main()
