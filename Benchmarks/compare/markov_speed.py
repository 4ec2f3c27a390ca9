"""Markov attribution speed: Waypoint against ChannelAttribution, same file, same run.

Usage: markov_speed.py --waypoint BIN [--repeats 3] > ../results/markov.md
Inputs: data/Data.csv (fetch_data_csv.py) and data/paths-1000000.csv (generate_paths.py --seed 7).

Both tools are timed in-process from the file on disk to the attribution table, so neither pays
interpreter or process start: ChannelAttribution as pandas.read_csv + markov_model(order=k, ncore=1,
defaults otherwise: 100,000 simulated walks); Waypoint as its own `--timings` total (read, count and
exact solve, all cores). The machine's core count is printed; ChannelAttribution runs single-core
here because its simulation is the part that scales with ncore, and ncore=2 gave identical times
on Data.csv. Median of the repeats.
"""
import argparse
import contextlib
import io
import os
import re
import statistics
import subprocess
import sys
import time

import pandas as pd
from ChannelAttribution import markov_model

HERE = os.path.dirname(os.path.abspath(__file__))


def ca_seconds(path, order):
    t = time.perf_counter()
    df = pd.read_csv(path, sep=";")
    with contextlib.redirect_stdout(io.StringIO()):
        markov_model(df, "path", "total_conversions", var_value="total_conversion_value", var_null="total_null",
                     order=order, sep=">", ncore=1, seed=0)
    return time.perf_counter() - t


def waypoint_seconds(binary, path, order):
    run = subprocess.run([binary, "attribute", "--paths", path, "--order", str(order), "--semantics",
                          "channel-attribution", "--format", "json", "--timings"],
                         capture_output=True, text=True, check=True)
    match = re.search(r"total ([0-9.]+) s \((\d+) states\)", run.stderr)
    return float(match.group(1)), int(match.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--waypoint", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    inputs = [("Data.csv (ChannelAttribution's sample, 10,000 rows)", os.path.join(HERE, "data", "Data.csv")),
              ("1,000,000 simulated journeys (generate_paths.py --seed 7)", os.path.join(HERE, "data", "paths-1000000.csv"))]
    print("## Markov attribution: Waypoint vs ChannelAttribution\n")
    print(f"Regenerate with `Benchmarks/compare/markov.sh`. Machine: {os.cpu_count()} cores. "
          "In-process seconds from the file to the table, median of "
          f"{a.repeats}; ChannelAttribution = pandas.read_csv + markov_model (100,000 simulated walks, "
          "ncore=1); Waypoint = exact solve (`attribute --semantics channel-attribution --timings`). "
          "Goal (issue 3): at least 10x at every order.\n")
    print("| input | order | states | ChannelAttribution s | Waypoint s | ratio | goal |")
    print("|---|---|---|---|---|---|---|")
    for label, path in inputs:
        for order in (1, 2, 3, 4):
            ca = statistics.median(ca_seconds(path, order) for _ in range(a.repeats))
            runs = [waypoint_seconds(a.waypoint, path, order) for _ in range(a.repeats)]
            wp = statistics.median(r[0] for r in runs)
            ratio = ca / wp
            print(f"| {label} | {order} | {runs[0][1]} | {ca:.3f} | {wp:.4f} | {ratio:.1f}x | {'met' if ratio >= 10 else 'not met'} |",
                  flush=True)
    print("\nParity of the same numbers (exact to 1e-9, inside ChannelAttribution's seed-to-seed spread): "
          "`Benchmarks/compare/markov_parity.py --waypoint BIN`.")


if __name__ == "__main__":
    main()
