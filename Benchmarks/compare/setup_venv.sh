#!/usr/bin/env bash
# Create Benchmarks/compare/.venv (if missing) with the Python peers used by the
# ingestion comparison: numpy, pandas, polars, threadpoolctl.
#
# Usage:  bash Benchmarks/compare/setup_venv.sh [EXTRA_REQUIREMENT ...]
# Then:   Benchmarks/compare/.venv/bin/python Benchmarks/compare/generate_events.py ...
#
# Idempotent: re-running only installs what is missing or out of the pinned range.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="$venv/bin/python"

# Pinned to a minor series (checked with `pip index versions NAME`).
reqs=(
  "numpy>=2.4,<2.5"
  "pandas>=3.1,<3.2"
  "polars>=2.1,<2.2"
  "threadpoolctl>=3.8,<4"
  "$@"
)

if [ ! -x "$py" ]; then
  python3 -m venv "$venv"
fi

# Skip pip entirely when every requirement is already satisfied.
if ! "$py" - "${reqs[@]}" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
from pip._vendor.packaging.requirements import Requirement
for r in map(Requirement, sys.argv[1:]):
    if not r.specifier.contains(version(r.name)):
        sys.exit(1)
EOF
then
  "$py" -m pip install --quiet --disable-pip-version-check "${reqs[@]}"
fi

"$py" - <<'EOF'
import sys, numpy, pandas, polars, threadpoolctl
print(f"python {sys.version.split()[0]}  numpy {numpy.__version__}  pandas {pandas.__version__}  "
      f"polars {polars.__version__}  threadpoolctl {threadpoolctl.__version__}")
EOF
