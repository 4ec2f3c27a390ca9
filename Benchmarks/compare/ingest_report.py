"""Runs Waypoint's reader on the CSV (fresh process per run, threads 1 and 2), joins the peers'
results from ingest_peers.py, and prints the ingestion section of the results (markdown) to stdout.

Usage: ingest_report.py --waypoint BIN --csv FILE --repeats R --peers peers.jsonl

Waypoint's time is its own load time (read + parse + intern + order by customer and time), measured
inside the process like the peers' (imports and process start excluded for both). Memory: whole-process
peak RSS after the read, for every tool; for Waypoint also the store's own bytes per event: (peak RSS -
RSS before reading - distinct id strings and their table) / events.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys


def waypoint_runs(binary, csv, threads, repeats):
    runs = []
    for _ in range(repeats):
        out = subprocess.run([binary, "events", "summarize", csv, "--threads", str(threads), "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
    return runs


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--waypoint", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peers", required=True)
    a = ap.parse_args()
    size = os.path.getsize(a.csv)
    peers = [json.loads(line) for line in open(a.peers) if line.strip()]
    version = subprocess.run([a.waypoint, "--version"], capture_output=True, text=True).stdout.strip()

    rows = []
    for threads in (1, 2):
        runs = waypoint_runs(a.waypoint, a.csv, threads, a.repeats)
        events = runs[0]["rows_kept"]
        assert all(r["rows_kept"] == events and r["rows_rejected"] == 0 for r in runs), "waypoint lost rows"
        seconds = statistics.median(r["load_seconds"] for r in runs)
        peak = max(r["peak_rss_after_read_bytes"] for r in runs)
        store = max((r["peak_rss_after_read_bytes"] - r["rss_before_read_bytes"] - r["distinct_id_table_bytes"]) / events
                    for r in runs)
        rows.append(dict(tool=f"Waypoint {version}", threads=threads, seconds=seconds, events=events, peak=peak,
                         store_bytes_per_event=store, runs=[r["load_seconds"] for r in runs]))
        print(f"waypoint threads={threads}: {seconds:.2f} s", file=sys.stderr)
    for p in peers:
        assert p["check_ok"] and p["rows"] == rows[0]["events"], f"peer check failed: {p}"
        name = {"pandas": "pandas", "polars": "polars", "polarscat": "polars, categorical ids"}[p["peer"]]
        rows.append(dict(tool=f"{name} {p['version']}", threads=p["threads"], seconds=p["median_total_s"],
                         events=p["rows"], peak=p["peak_rss_bytes"], store_bytes_per_event=None, runs=p["totals_s"]))

    pandas = next(r["seconds"] for r in rows if r["tool"].startswith("pandas"))
    def best_polars(threads):
        return min(r["seconds"] for r in rows if r["tool"].startswith("polars") and r["threads"] == threads)

    print("## Reading a touchpoint log\n")
    print("Regenerate with `Benchmarks/compare/ingest.sh` (this section is its output; numbers from one run on one machine).\n")
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}; Python {platform.python_version()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}.\n")
    print(f"Input: `{os.path.basename(a.csv)}`, {rows[0]['events']:,} events, {size / 1e6:.1f} MB, all seven columns, "
          "customers interleaved in time order (`generate_events.py --seed 42`). Task: parse every field "
          "(timestamps to UTC instants), and order the rows by customer and time. Waypoint also interns ids "
          "and validates every row. Time is in-process (no interpreter start or imports), median of "
          f"{a.repeats} fresh-process runs; the page cache is warm for all.\n")
    print("| tool | threads | seconds | events/s | MB/s | vs pandas | vs best polars, same threads | peak RSS MB | peak RSS B/event | store B/event |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        store = f"{r['store_bytes_per_event']:.1f}" if r["store_bytes_per_event"] is not None else "n/a"
        print(f"| {r['tool']} | {r['threads']} | {r['seconds']:.2f} | {r['events'] / r['seconds'] / 1e6:.2f} M | "
              f"{size / 1e6 / r['seconds']:.0f} | {pandas / r['seconds']:.2f}x | {best_polars(r['threads']) / r['seconds']:.2f}x | "
              f"{r['peak'] / 1e6:.0f} | {r['peak'] / r['events']:.0f} | {store} |")
    ours = [r for r in rows if r["tool"].startswith("Waypoint")]
    single = next(r for r in ours if r["threads"] == 1) if any(r["threads"] == 1 for r in ours) else ours[0]
    vs_pandas = pandas / single["seconds"]  # pandas is single-threaded: held against Waypoint on one thread
    vs_polars = min(best_polars(r["threads"]) / r["seconds"] for r in ours)
    store = max(r["store_bytes_per_event"] for r in ours)
    def met(ok):
        return "**met**" if ok else "**not met**"
    print(f"\nGoals (issue 2): at least 3x pandas: {met(vs_pandas >= 3)} ({vs_pandas:.2f}x, one thread each); at least "
          f"even with polars: {met(vs_polars >= 1)} (smallest ratio {vs_polars:.2f}x against the best polars pipeline on "
          f"the same threads); store under 40 B/event: {met(store < 40)} ({store:.1f}).")
    print("`store B/event` = (peak RSS after the read - RSS before it - distinct id strings and their table) / events; "
          "`peak RSS B/event` is the whole process, comparable across tools.")
    print("The plain polars and pandas pipelines sort by the customer id *string*; `polars, categorical ids` sorts "
          "by the id's categorical code, which is the grouping Waypoint does.\n")
    print("Runs (seconds): " + "; ".join(f"{r['tool']} x{r['threads']}: " + ", ".join(f"{s:.2f}" for s in r["runs"]) for r in rows))


if __name__ == "__main__":
    main()
