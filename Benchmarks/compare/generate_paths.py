"""Simulated journeys as ChannelAttribution-style path rows, one row per journey.

Usage: generate_paths.py --paths 1000000 --seed 7 --out data/paths-1000000.csv

A planted order-2 chain over 12 channels: each journey starts at a channel drawn from a start
distribution, then moves by a random (seeded) order-2 transition table with a per-history chance to
end; it ends converted with a probability that grows with the touches on channels 0-2. Rows:
path;total_conversions;total_conversion_value;total_null with counts 0/1 (value: lognormal on conversion).
"""
import argparse
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    t0 = time.time()
    rng = np.random.default_rng(a.seed)
    C = 12
    names = [f"ch{c:02d}" for c in range(C)]
    start = rng.dirichlet(np.ones(C))
    table = rng.dirichlet(np.ones(C) * 0.5, size=(C, C))  # P(next | prev2, prev1)
    end = rng.uniform(0.15, 0.35, size=(C, C))
    rows = []
    n = a.paths
    first = rng.choice(C, size=n, p=start)
    for i in range(n):
        prev2, prev1 = first[i], first[i]
        path = [prev1]
        while len(path) < 30 and rng.random() > end[prev2, prev1]:
            nxt = rng.choice(C, p=table[prev2, prev1])
            path.append(nxt)
            prev2, prev1 = prev1, nxt
        strong = sum(1 for c in path if c < 3)
        converted = rng.random() < 1 - np.exp(-0.15 * (1 + strong))
        value = round(float(rng.lognormal(3, 0.5)), 2) if converted else 0
        rows.append(f"{' > '.join(names[c] for c in path)};{int(converted)};{value};{1 - int(converted)}")
    with open(a.out, "w") as f:
        f.write("path;total_conversions;total_conversion_value;total_null\n")
        f.write("\n".join(rows))
        f.write("\n")
    print(f"paths={n} seconds={time.time() - t0:.1f} -> {a.out}")


if __name__ == "__main__":
    main()
