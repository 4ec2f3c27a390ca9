"""Time CSV ingestion of a touchpoint log by pandas and polars (peers of Waypoint).

Usage:
    .venv/bin/python ingest_peers.py /tmp/events5m.csv [--repeats 3] [--peers pandas,polars1,polars2] > results.jsonl

Pipeline per peer (read CSV -> parse timestamp to UTC datetime -> stable sort by (customer_id, timestamp)):
  pandas   pd.read_csv + pd.to_datetime(format="ISO8601", utc=True) + sort_values(kind="stable")
  polarsN  POLARS_MAX_THREADS=N; pl.read_csv + str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ") + sort(maintain_order=True)
  polarscatN  as polarsN, but sorts by the customer's Categorical code (ids interned in order of first
           appearance, as Waypoint numbers customers) instead of the id string: the same grouping
           work Waypoint does, and the cheapest sort a polars user can ask for

Every run is a fresh subprocess (imports excluded from the timings), so ru_maxrss is that run's
peak RSS. Runs go round-robin over peers after one warm-up read of the file (warm page cache).
stdout: one JSON object per peer (median of the runs); stderr: a readable table.
MB = 10^6 bytes throughout.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

TS_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"  # chrono: %.f accepts an optional fraction


def child(peer, path):
    """One run in this process; prints a JSON object with phase times and peak RSS."""
    t0 = time.perf_counter()
    import numpy as np
    if peer == "pandas":
        import pandas as pd
        t1 = time.perf_counter()
        df = pd.read_csv(path)
        t2 = time.perf_counter()
        df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601", utc=True)
        t3 = time.perf_counter()
        df = df.sort_values(["customer_id", "timestamp"], kind="stable")
        t4 = time.perf_counter()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # before the checks below
        ts, raw = df["timestamp"], pd.read_csv(path, usecols=["timestamp"])["timestamp"]
        check = dict(nulls=int(ts.isna().sum()), ms_sum=int((ts.dt.microsecond // 1000).sum()),
                     ms_sum_expected=int(pd.to_numeric(raw.str.slice(20, 23), errors="coerce").fillna(0).sum()),
                     sorted=bool(df.set_index(["customer_id", "timestamp"]).index.is_monotonic_increasing))
        dtypes = {c: str(t) for c, t in df.dtypes.items()}
        version = pd.__version__
    else:
        import polars as pl
        t1 = time.perf_counter()
        df = pl.read_csv(path)
        t2 = time.perf_counter()
        df = df.with_columns(pl.col("timestamp").str.to_datetime(TS_FORMAT, time_unit="us", time_zone="UTC"))
        t3 = time.perf_counter()
        if peer.startswith("polarscat"):
            df = df.with_columns(code=pl.col("customer_id").cast(pl.Categorical).to_physical())
            df = df.sort(["code", "timestamp"], maintain_order=True).drop("code")
        else:
            df = df.sort(["customer_id", "timestamp"], maintain_order=True)
        t4 = time.perf_counter()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # before the checks below
        cid, ts = pl.col("customer_id"), pl.col("timestamp")
        raw = pl.read_csv(path, columns=["timestamp"])["timestamp"]
        grouped = (cid != cid.shift()).cast(pl.Int64).sum() + 1 == cid.n_unique()  # each customer one run
        in_time = (cid.shift().is_null() | (cid != cid.shift()) | (ts >= ts.shift())).all()
        check = df.select(nulls=ts.null_count(), ms_sum=(ts.dt.microsecond() // 1000).cast(pl.Int64).sum(),
                          sorted=grouped & in_time).row(0, named=True)
        check["ms_sum_expected"] = int(raw.str.slice(20, 3).cast(pl.Int64, strict=False).fill_null(0).sum())
        check["pool_threads"] = pl.thread_pool_size()
        dtypes = {c: str(t) for c, t in df.schema.items()}
        version = pl.__version__
    print(json.dumps(dict(rows=len(df), import_s=t1 - t0, read_s=t2 - t1, parse_s=t3 - t2, sort_s=t4 - t3,
                          total_s=t4 - t1, peak_rss_bytes=rss,
                          check=check, dtypes=dtypes, version=version, numpy=np.__version__)))


def run_child(peer, path):
    env = dict(os.environ)
    if peer.startswith("polars"):
        env["POLARS_MAX_THREADS"] = peer.lstrip("polarscat")
    out = subprocess.run([sys.executable, __file__, "--child", peer, path], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--repeats", "-R", type=int, default=3)
    ap.add_argument("--peers", default="pandas,polars1,polars2,polarscat1,polarscat2")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.path)

    peers = a.peers.split(",")
    size = os.path.getsize(a.path)
    with open(a.path, "rb") as f:  # warm the page cache so every run reads from memory
        while f.read(1 << 24):
            pass
    runs = {p: [] for p in peers}
    for r in range(a.repeats):
        for p in peers:
            runs[p].append(run_child(p, a.path))
            print(f"  run {r + 1}/{a.repeats} {p:8s} total {runs[p][-1]['total_s']:.2f}s", file=sys.stderr)

    print(f"\n{a.path}: {size / 1e6:.1f} MB, cpu_count={os.cpu_count()}, median of {a.repeats} runs",
          file=sys.stderr)
    print(f"{'peer':12s}{'threads':>8s}{'read s':>9s}{'parse s':>9s}{'sort s':>9s}{'total s':>9s}"
          f"{'Mev/s':>8s}{'MB/s':>8s}{'RSS MB':>9s}{'B/ev':>7s}  check", file=sys.stderr)
    for p in peers:
        rs = runs[p]
        med = {k: statistics.median(r[k] for r in rs) for k in ("read_s", "parse_s", "sort_s", "total_s", "import_s")}
        rows, rss = rs[0]["rows"], max(r["peak_rss_bytes"] for r in rs)
        c = rs[0]["check"]
        ok = c["nulls"] == 0 and c["sorted"] and c["ms_sum"] == c["ms_sum_expected"]
        res = dict(peer=p.rstrip("0123456789"),
                   threads=1 if p == "pandas" else int(p.lstrip("polarscat")),
                   file=a.path, file_bytes=size, rows=rows, repeats=a.repeats,
                   median_total_s=med["total_s"], median_read_s=med["read_s"], median_parse_s=med["parse_s"],
                   median_sort_s=med["sort_s"], median_import_s=med["import_s"],
                   events_per_s=rows / med["total_s"], mb_per_s=size / 1e6 / med["total_s"],
                   read_events_per_s=rows / med["read_s"],
                   peak_rss_bytes=rss, peak_rss_mb=rss / 1e6, peak_rss_bytes_per_event=rss / rows,
                   totals_s=[r["total_s"] for r in rs], peak_rss_bytes_runs=[r["peak_rss_bytes"] for r in rs],
                   check=c, check_ok=ok, dtypes=rs[0]["dtypes"], version=rs[0]["version"],
                   numpy=rs[0]["numpy"], python=sys.version.split()[0], cpu_count=os.cpu_count())
        print(json.dumps(res))
        print(f"{res['peer']:12s}{res['threads']:8d}{med['read_s']:9.2f}{med['parse_s']:9.2f}{med['sort_s']:9.2f}"
              f"{med['total_s']:9.2f}{res['events_per_s'] / 1e6:8.2f}{res['mb_per_s']:8.1f}{rss / 1e6:9.0f}"
              f"{rss / rows:7.0f}  {'ok' if ok else 'FAILED ' + json.dumps(c)} ({res['peer']} {res['version']})",
              file=sys.stderr)


if __name__ == "__main__":
    main()
