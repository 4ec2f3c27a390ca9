#!/usr/bin/env bash
# Scaling rows (issue 8): ingestion, order-2 Markov attribution and the L2 logistic fit at three or more
# sizes each beside their peers (pandas and polars, ChannelAttribution, scikit-learn), and `waypoint score`
# end to end and `waypoint simulate` at three sizes (no peer), timed as the main sections time them. Writes
# Benchmarks/results/scaling.md (run.sh puts it into Benchmarks/RESULTS.md).
#
#   Benchmarks/compare/scaling.sh                          # full sizes (about 4-6 minutes on 2 cores)
#   WAYPOINT=/path/to/release/waypoint Benchmarks/compare/scaling.sh     # skip the build
#   TASKS=markov,score REPEATS=3 LARGEST_REPEATS=1 Benchmarks/compare/scaling.sh
#   INGEST_SIZES=500000,1000000,2000000,5000000 MARKOV_SIZES=100000,300000,1000000 \
#   LOGISTIC_SIZES=100000,300000,1000000 SCORE_SIZES=10000,30000,100000 \
#   SIMULATE_SIZES=100000,300000,1000000 Benchmarks/compare/scaling.sh
# RUN_STARTED (Unix seconds, set by run.sh): peers' figures ingest.sh wrote after it are reused.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

source "$here/waypoint_bin.sh"
bash "$here/setup_venv.sh" "scikit-learn>=1.9,<2" >&2
bash "$here/setup_markov_venv.sh" >&2
py="$here/.venv/bin/python"

args=(--waypoint "$WAYPOINT" --since "${RUN_STARTED:-0}")
[ -n "${TASKS:-}" ] && args+=(--tasks "$TASKS")
[ -n "${INGEST_SIZES:-}" ] && args+=(--ingest-sizes "$INGEST_SIZES")
[ -n "${MARKOV_SIZES:-}" ] && args+=(--markov-sizes "$MARKOV_SIZES")
[ -n "${LOGISTIC_SIZES:-}" ] && args+=(--logistic-sizes "$LOGISTIC_SIZES")
[ -n "${SCORE_SIZES:-}" ] && args+=(--score-sizes "$SCORE_SIZES")
[ -n "${SIMULATE_SIZES:-}" ] && args+=(--simulate-sizes "$SIMULATE_SIZES")
[ -n "${REPEATS:-}" ] && args+=(--repeats "$REPEATS")
[ -n "${LARGEST_REPEATS:-}" ] && args+=(--largest-repeats "$LARGEST_REPEATS")

mkdir -p "$here/data" "$root/Benchmarks/results"
"$py" "$here/scaling.py" "${args[@]}" > "$root/Benchmarks/results/scaling.md.tmp"
mv "$root/Benchmarks/results/scaling.md.tmp" "$root/Benchmarks/results/scaling.md"
cat "$root/Benchmarks/results/scaling.md"
