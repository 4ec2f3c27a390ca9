#!/usr/bin/env bash
# Extend Benchmarks/compare/.venv (made by setup_venv.sh) with ChannelAttribution for the Markov
# parity check (markov_parity.py), then fetch its Data.csv into data/.
#
# Usage:  bash Benchmarks/compare/setup_markov_venv.sh
#
# channelattribution 2.2.5 ships only a source distribution on PyPI: pip compiles its C++ core
# (Cython + bundled Armadillo headers, -std=c++17 -O3; about 30 s on 2 cores), so it needs a C++
# compiler (g++) and the Python headers. It imports matplotlib at import time without declaring it,
# so matplotlib is installed too. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$here/.venv/bin/python"
if ! command -v c++ >/dev/null 2>&1; then
  echo "no C++ compiler: installing g++ (Debian)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >&2
fi
bash "$here/setup_venv.sh" "channelattribution==2.2.5" "matplotlib>=3.11,<3.12" >&2

MPLBACKEND=Agg "$py" - <<'EOF'
import contextlib, io
from importlib.metadata import version
with contextlib.redirect_stdout(io.StringIO()):
    import ChannelAttribution  # prints a banner on import
print(f"channelattribution {version('channelattribution')}  matplotlib {version('matplotlib')}")
EOF
"$py" "$here/fetch_data_csv.py"
