#!/usr/bin/env bash
# Every side-by-side comparison, one command: builds Waypoint (release), installs the peers into
# Benchmarks/compare/.venv from PyPI (pandas, polars, scikit-learn, statsmodels, channelattribution),
# fetches or generates the inputs, runs each comparison in turn and writes Benchmarks/RESULTS.md: the
# machine and versions, the goals of every issue with their measured ratios, then each section.
#
#   Benchmarks/compare/run.sh             # everything (about 20-30 minutes on 2 cores)
#   SKIP="ingest markov" Benchmarks/compare/run.sh    # leave some out (their last results stay)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
skip=" ${SKIP:-} "
started=$(date +%s)

"$root/scripts/setup"
echo "== building waypoint (release)" >&2
log="$(mktemp)"
if ! (cd "$root" && swift build -c release --product waypoint >"$log" 2>&1); then cat "$log" >&2; exit 1; fi
tail -n 1 "$log" >&2
bin="$(cd "$root" && swift build -c release --show-bin-path)/waypoint"
bash "$here/setup_venv.sh" "scikit-learn>=1.9,<2" "statsmodels>=0.15,<0.16" >&2
py="$here/.venv/bin/python"
mkdir -p "$root/Benchmarks/results"

step() { case "$skip" in *" $1 "*) echo "== skipping $1" >&2; return 1;; esac; echo "== $1" >&2; }

if step ingest; then bash "$here/ingest.sh" >/dev/null; fi
if step markov; then WAYPOINT_BIN="$bin" bash "$here/markov.sh" >/dev/null; fi
if step logistic; then
    WAYPOINT="$bin" bash "$here/logistic_speed.sh" >/dev/null
    parity="$("$py" "$here/logistic_parity.py" --waypoint "$bin" 2>&1 || true)"
    { echo "## Logistic regression parity on IBM's Telco churn table"; echo
      echo "Regenerate with \`Benchmarks/compare/logistic_parity.py --waypoint BIN\` (run by \`run.sh\`; this section is its output)."; echo
      echo '```'; echo "$parity"; echo '```'; echo
      if grep -q "^all checks PASS" <<<"$parity"; then verdict="**met** (every check above PASS)"; else verdict="**not met** ($(grep -m1 '^FAIL' <<<"$parity" || echo 'the script did not finish'))"; fi
      echo "Goals (issue 4, parity): coefficients equal to scikit-learn (C = 1) and to statsmodels (unpenalized, standard errors included) to 1e-6, test AUC and log-loss to 4 decimals: $verdict."
    } > "$root/Benchmarks/results/logistic-parity.md.tmp"
    mv "$root/Benchmarks/results/logistic-parity.md.tmp" "$root/Benchmarks/results/logistic-parity.md"
fi
if step scoring; then bash "$here/scoring.sh" >/dev/null; fi
if step scaling; then WAYPOINT="$bin" RUN_STARTED="$started" bash "$here/scaling.sh" >/dev/null; fi

elapsed=$(( $(date +%s) - started ))
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
openblas="$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || dpkg-query -W -f='${Version}' libopenblas0 2>/dev/null || echo unknown)"
swiftv="$(swift --version 2>/dev/null | head -1)"
peers="$("$py" - <<'PY'
from importlib.metadata import version
out = []
for name in ["pandas", "polars", "numpy", "scikit-learn", "statsmodels", "channelattribution"]:
    try: out.append(f"{name} {version(name)}")
    except Exception: pass
print(", ".join(out))
PY
)"
{
  echo "# Benchmark results"
  echo
  echo "Written by \`Benchmarks/compare/run.sh\` in $((elapsed / 60)) min $((elapsed % 60)) s on $(date -u +%Y-%m-%d)."
  if [ -n "${SKIP:-}" ]; then
    echo "Skipped in this run (SKIP): ${SKIP}; those sections and their Goals lines are from an earlier run (see each file's date in git)."
  fi
  echo "Machine: $(nproc) cores, $cpu; OpenBLAS $openblas (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}); $swiftv; Waypoint $("$bin" --version)."
  echo "Peers: $peers. Every ratio below is from one run, tools side by side on the same input."
  echo
  echo "## Goals"
  echo
  for f in "$root"/Benchmarks/results/*.md; do grep -h "^Goals" "$f" | sed 's/^/- /' || true; done
  echo
  for f in "$root"/Benchmarks/results/*.md; do cat "$f"; echo; done
} > "$root/Benchmarks/RESULTS.md"
echo "wrote Benchmarks/RESULTS.md in $((elapsed / 60)) min $((elapsed % 60)) s" >&2
