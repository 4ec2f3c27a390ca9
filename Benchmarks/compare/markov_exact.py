"""Exact (no simulation) Markov attribution under ChannelAttribution 2.2.5's markov_model semantics.

Usage: markov_exact.py [--data data/Data.csv] [--orders 1 2 3 4] [--sep '>'] [--collapse states]

Prints one JSON object per order (a JSON array): P(conversion) from (start), the max_step CA would
use by default, and per channel (in order of first appearance, as CA lists them) the removal
effects and the attributed conversions and conversion value. Semantics (functions.cpp,
markov_model_cpp / W_markov_model_1):
  * a path is split on the one-character sep; each token is trimmed of ' ' (spaces only); empty
    tokens are dropped;
  * order-k states are the sliding windows of k consecutive channels (stride 1); a path shorter
    than k is one state (the whole path); THEN consecutive identical states are collapsed
    (a > a > b at order 2 is the states (a,a), (a,b); at order 1 it is a, b);
  * counts: (start) -> s1 -> ... -> sn each weighted by conversions + nulls; sn -> (conversion)
    weighted by conversions, sn -> (null) by nulls; probabilities are the row-normalised counts;
  * removal effect of channel c: 1 - P(conv | every state containing c removed, i.e. sent to null)
    / P(conv), which equals P(a converting walk visits c) -- what CA's simulation estimates;
  * conversion-value removal effect: the same with each conversion worth m(last state), the mean
    value per conversion of the paths whose last state it is (sum value / sum conversions);
  * attributed conversions = RE / sum(RE) * total conversions; value likewise with the value REs.
The "*_max_step" fields repeat the computation for walks cut after max_step states (CA's default
max_step: the longest collapsed state path + 1), which is what CA's simulation actually samples.
"""
import argparse
import csv
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path, sep=">"):
    """Rows (channel ids, conversions, value, nulls) and the channel names by first appearance."""
    names, ids, rows = [], {}, []
    with open(path, newline="") as f:
        r = csv.DictReader(f, delimiter=";")
        for rec in r:
            chans = []
            for tok in rec["path"].split(sep):
                tok = tok.strip(" ")
                if tok:
                    if tok not in ids:
                        ids[tok] = len(names)
                        names.append(tok)
                    chans.append(ids[tok])
            rows.append((chans, int(rec["total_conversions"]), float(rec["total_conversion_value"]),
                         int(rec["total_null"])))
    return rows, names


def states_of(chans, order, collapse="states"):
    """CA's order-k state path: sliding windows (whole path if shorter), then repeats collapsed.
    collapse="channels" instead collapses repeated channels before windowing (NOT what CA does;
    a diagnostic for implementations that do)."""
    if collapse == "channels":
        chans = [c for i, c in enumerate(chans) if i == 0 or c != chans[i - 1]]
    if len(chans) >= order:
        wins = [tuple(chans[i:i + order]) for i in range(len(chans) - order + 1)]
    else:
        wins = [tuple(chans)] if chans else []
    return [w for i, w in enumerate(wins) if i == 0 or w != wins[i - 1]]


def build(rows, order, collapse="states"):
    """Transition probabilities among transient states (state 0 = start) and absorbing vectors."""
    sid = {(): 0}
    edges, last = {}, []
    longest = 0
    for chans, conv, _, null in rows:
        path = [sid.setdefault(s, len(sid)) for s in states_of(chans, order, collapse)]
        longest = max(longest, len(path))
        prev = 0
        for s in path:
            edges[prev, s] = edges.get((prev, s), 0) + conv + null
            prev = s
        last.append(prev)
    n = len(sid)
    Q = np.zeros((n, n))
    for (i, j), w in edges.items():
        Q[i, j] = w
    conv_w, null_w, val_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    for (chans, conv, value, null), s in zip(rows, last):
        conv_w[s] += conv
        null_w[s] += null
        if conv > 0:
            val_sum[s] += value
    tot = Q.sum(axis=1) + conv_w + null_w
    tot[tot == 0] = 1.0
    Q /= tot[:, None]
    p_conv = conv_w / tot
    mean_val = np.divide(val_sum, conv_w, out=np.zeros(n), where=conv_w > 0)
    states = [None] * n
    for s, i in sid.items():
        states[i] = s
    return Q, np.column_stack([p_conv, p_conv * mean_val]), states, longest + 1


def absorb(Q, R, keep):
    """From start: [P(conv), E(value at conversion)] restricted to the kept states (exact solve)."""
    idx = np.flatnonzero(keep)
    A = np.eye(len(idx)) - Q[np.ix_(idx, idx)]
    return np.linalg.solve(A, R[idx])[0]


def absorb_steps(Q, R, keep, max_step):
    """The same, for walks that absorb after at most max_step transient states (CA's cut-off)."""
    x = np.zeros(len(Q))
    x[0] = 1.0
    acc = np.zeros(R.shape[1])
    for _ in range(max_step + 1):
        acc += x @ R
        x = (x @ Q) * keep
    return acc


def exact(rows, names, order, max_step=None, truncated=True, collapse="states"):
    Q, R, states, default_step = build(rows, order, collapse)
    max_step = max_step or default_step
    total_conv = float(sum(r[1] for r in rows))
    total_val = float(sum(r[2] for r in rows))
    everything = np.ones(len(states), dtype=bool)
    out = {"order": order, "states": len(states) - 1, "max_step": max_step}
    variants = [("", lambda keep: absorb(Q, R, keep))]
    if truncated:
        variants.append(("_max_step", lambda keep: absorb_steps(Q, R, keep, max_step)))
    per = [{"channel": name} for name in names]
    for suffix, solve in variants:
        base = solve(everything)
        out["p_conversion" + suffix] = base[0]
        re = np.zeros((len(names), 2))
        for c in range(len(names)):
            keep = np.array([c not in s for s in states])
            re[c] = 1.0 - solve(keep) / base
        share = re / re.sum(axis=0)
        for c, d in enumerate(per):
            d["removal_effect" + suffix] = re[c, 0]
            d["removal_effect_value" + suffix] = re[c, 1]
            d["conversions" + suffix] = share[c, 0] * total_conv
            d["conversion_value" + suffix] = share[c, 1] * total_val
    out["total_conversions"], out["total_conversion_value"] = total_conv, total_val
    out["channels"] = per
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(HERE, "data", "Data.csv"))
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--sep", default=">")
    ap.add_argument("--collapse", choices=["states", "channels"], default="states",
                    help="states: CA's semantics (default); channels: collapse repeats before windowing")
    a = ap.parse_args()
    rows, names = load(a.data, a.sep)
    print(json.dumps([exact(rows, names, k, collapse=a.collapse) for k in a.orders], indent=1))


if __name__ == "__main__":
    main()
