#!/usr/bin/env bash
# Reading a touchpoint log into memory, grouped by customer and ordered by time: Waypoint against
# pandas and polars on the same generated file, in the same run. Writes Benchmarks/results/ingestion.md
# (run.sh puts it into Benchmarks/RESULTS.md).
#
#   Benchmarks/compare/ingest.sh                 # 5,000,000 events, 3 runs each
#   EVENTS=1000000 REPEATS=5 Benchmarks/compare/ingest.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
events="${EVENTS:-5000000}"
repeats="${REPEATS:-3}"

"$root/scripts/setup"
echo "building waypoint (release)..." >&2
(cd "$root" && swift build -c release --product waypoint >/dev/null)
bin="$(cd "$root" && swift build -c release --show-bin-path)/waypoint"
bash "$here/setup_venv.sh" >&2
py="$here/.venv/bin/python"

mkdir -p "$here/data" "$root/Benchmarks/results"
csv="$here/data/events-$events.csv"
[ -f "$csv" ] || "$py" "$here/generate_events.py" --events "$events" --seed 42 --out "$csv"

peers="$here/data/peers-$events.jsonl"
"$py" "$here/ingest_peers.py" "$csv" --repeats "$repeats" > "$peers"
"$py" "$here/ingest_report.py" --waypoint "$bin" --csv "$csv" --repeats "$repeats" --peers "$peers" \
    > "$root/Benchmarks/results/ingestion.md"
cat "$root/Benchmarks/results/ingestion.md"
