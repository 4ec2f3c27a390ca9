#!/usr/bin/env bash
# Binary L2 logistic regression on a dense 1,000,000 x 100 problem: Waypoint against scikit-learn's
# newton-cholesky and lbfgs on the same data, in the same run (fit time only; medians). Writes
#
#   Benchmarks/compare/logistic_speed.sh                      # 1,000,000 x 100, 3 runs each
#   ROWS=200000 COLS=100 REPEATS=3 Benchmarks/compare/logistic_speed.sh
#   WAYPOINT=/path/to/release/waypoint Benchmarks/compare/logistic_speed.sh   # skip the build
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rows="${ROWS:-1000000}"
cols="${COLS:-100}"
repeats="${REPEATS:-3}"

source "$here/waypoint_bin.sh"
bash "$here/setup_venv.sh" "scikit-learn>=1.9,<2" >&2
py="$here/.venv/bin/python"

mkdir -p "$here/data" "$root/Benchmarks/results"
"$py" "$here/logistic_speed.py" --waypoint "$WAYPOINT" --rows "$rows" --cols "$cols" --repeats "$repeats" \
    > "$root/Benchmarks/results/logistic.md.tmp"
mv "$root/Benchmarks/results/logistic.md.tmp" "$root/Benchmarks/results/logistic.md"
cat "$root/Benchmarks/results/logistic.md"
