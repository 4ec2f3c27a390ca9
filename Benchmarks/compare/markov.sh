#!/usr/bin/env bash
# Markov attribution side by side with ChannelAttribution: parity (exact to 1e-9, inside CA's
# seed-to-seed spread), speed and peak memory on Data.csv and 1M simulated journeys. Writes
# Benchmarks/results/markov.md (run.sh puts it into Benchmarks/RESULTS.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# WAYPOINT_BIN: time an already built release binary; otherwise build one (WAYPOINT_SCRATCH: the
# build folder, default .build).
if [ -n "${WAYPOINT_BIN:-}" ]; then
    bin="$WAYPOINT_BIN"
else
    "$root/scripts/setup"
    scratch="${WAYPOINT_SCRATCH:-$root/.build}"
    (cd "$root" && swift build -c release --scratch-path "$scratch" --product waypoint >/dev/null)
    bin="$(cd "$root" && swift build -c release --scratch-path "$scratch" --show-bin-path)/waypoint"
fi
bash "$here/setup_markov_venv.sh" >&2
py="$here/.venv/bin/python"
[ -f "$here/data/paths-1000000.csv" ] || "$py" "$here/generate_paths.py" --paths 1000000 --seed 7 --out "$here/data/paths-1000000.csv"
"$py" "$here/markov_parity.py" --waypoint "$bin" > "$here/data/markov-parity.txt"
tail -n 1 "$here/data/markov-parity.txt" >&2
mkdir -p "$root/Benchmarks/results"
"$py" "$here/markov_speed.py" --waypoint "$bin" > "$root/Benchmarks/results/markov.md"
cat "$root/Benchmarks/results/markov.md"
