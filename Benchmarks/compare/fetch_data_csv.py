"""Fetch ChannelAttribution's example Data.csv from its PyPI source distribution.

Usage: fetch_data_csv.py [--version 2.2.5] [--out Benchmarks/compare/data/Data.csv]

Runs `pip download --no-deps --no-binary :all: channelattribution==VERSION` into a temporary
directory and extracts the sdist member `channelattribution-VERSION/src/cypack/data/Data.csv`
(10,000 aggregated paths, `;`-separated: path;total_conversions;total_conversion_value;total_null,
steps joined by ' > '). Idempotent: does nothing when OUT already exists. The data stays out of the
repository (data/ is git-ignored); it is fetched at run time. Prints OUT's path.
"""
import argparse
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="2.2.5")
    ap.add_argument("--out", default=os.path.join(HERE, "data", "Data.csv"))
    a = ap.parse_args()
    if os.path.exists(a.out):
        print(a.out)
        return
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--no-binary", ":all:", f"channelattribution=={a.version}", "-d", tmp],
                       check=True, stdout=sys.stderr)
        sdist = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".tar.gz"))
        with tarfile.open(sdist) as tf:
            member = next(m for m in tf.getmembers() if m.name.endswith("/src/cypack/data/Data.csv"))
            data = tf.extractfile(member).read()
    tmp_out = a.out + ".part"
    with open(tmp_out, "wb") as f:
        f.write(data)
    os.replace(tmp_out, a.out)
    print(a.out)


if __name__ == "__main__":
    main()
