"""Deterministic generator of a realistic touchpoint event log (CSV).

Usage:
    .venv/bin/python generate_events.py --events 5000000 --seed 42 --out /tmp/events5m.csv
    (--customers defaults to events/20)

Columns: customer_id,timestamp,channel,event,value,action,propensity
  customer_id  c + 7 digits, random ids, customers interleaved (rows in global time order)
  timestamp    ISO 8601 UTC over 2024, e.g. 2024-03-13T10:21:14Z; ~5% carry millis (.250Z)
  channel      8 channels, skewed;  event: view/click/add_to_cart/purchase(~3%)/complaint/unsubscribe
  value        amount like 59.90 on purchase rows only, empty otherwise
  action       empty on ~90% of rows, else one of 10 action ids
  propensity   empty when action is empty, else a probability in (0,1], up to 4 decimals

Everything is vectorised with numpy: each chunk of rows is laid out as a byte matrix of
fixed-width slots plus a keep-mask, and matrix[mask] is the CSV text of the chunk.
Prints rows, bytes and seconds to stderr.
"""
import argparse
import sys
import time

import numpy as np

CHANNELS = ["web", "app", "email", "push", "social", "sms", "store", "call_center"]
CHANNEL_P = [0.31, 0.22, 0.18, 0.10, 0.07, 0.05, 0.04, 0.03]
EVENTS = ["view", "click", "add_to_cart", "purchase", "complaint", "unsubscribe"]
EVENT_P = [0.70, 0.18, 0.07, 0.03, 0.012, 0.008]
ACTIONS = ["email_discount10", "email_winback", "push_reminder", "sms_offer5", "web_banner_upsell",
           "app_recommendation", "call_retention", "social_retarget", "store_coupon", "loyalty_points2x"]
ACTION_P = [0.22, 0.14, 0.13, 0.10, 0.10, 0.09, 0.06, 0.06, 0.05, 0.05]
ACTION_RATE, MILLIS_RATE = 0.10, 0.05
YEAR_START = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
DAYS = 366
CHUNK = 500_000


def generate(n, n_customers, seed):
    """Return per-row columns (numpy arrays), rows sorted by time."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(10_000_000, size=n_customers, replace=False)
    activity = rng.lognormal(0.0, 1.0, n_customers)            # a few very active customers
    cust = ids[rng.choice(n_customers, size=n, p=activity / activity.sum())]
    day = rng.integers(0, DAYS, n)
    sec_of_day = (rng.normal(14.0, 4.0, n) * 3600).astype(np.int64) % 86400  # daytime peak
    millis = np.where(rng.random(n) < MILLIS_RATE, rng.integers(0, 1000, n), -1)
    t_ms = (YEAR_START + day * 86400 + sec_of_day) * 1000 + np.maximum(millis, 0)
    order = np.argsort(t_ms, kind="stable")
    event = rng.choice(len(EVENTS), size=n, p=EVENT_P)
    cents = np.clip(np.round(rng.lognormal(3.8, 0.8, n) * 100), 99, 9_999_999).astype(np.int64)
    action = np.where(rng.random(n) < ACTION_RATE, rng.choice(len(ACTIONS), size=n, p=ACTION_P), -1)
    prop = np.clip(np.round(rng.beta(2.0, 5.0, n) * 10_000), 1, 10_000).astype(np.int64)
    return dict(cust=cust[order], t_ms=t_ms[order], millis=millis[order],
                channel=rng.choice(len(CHANNELS), size=n, p=CHANNEL_P), event=event,
                cents=cents, action=action, prop=prop)


def digits(x, width):
    """Zero-padded ASCII digits of non-negative ints, shape (len(x), width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int32)
    return (x.astype(np.int32)[:, None] // powers % 10 + 48).astype(np.uint8)


def ndigits(x, width):
    return 1 + sum((x >= 10 ** k).astype(np.int64) for k in range(1, width))


def render(c):
    """CSV bytes for one chunk of columns: slots of (byte matrix, keep mask)."""
    n = len(c["cust"])
    slots = []

    def const(s, keep=True):
        b = np.frombuffer(s.encode(), np.uint8)
        slots.append((np.broadcast_to(b, (n, len(b))), np.broadcast_to(np.asarray(keep)[..., None], (n, len(b)))))

    def text(table, codes, keep=True):  # left-aligned strings from a lookup table
        w = max(map(len, table))
        mat = np.array(table, dtype=f"S{w}")[codes].view(np.uint8).reshape(n, w)
        lens = np.array([len(s) for s in table])[codes]
        slots.append((mat, (np.arange(w) < lens[:, None]) & np.asarray(keep)[..., None]))

    def num(x, width, keep=True, strip_leading=False, keep_len=None):
        mat = digits(x, width)
        j = np.arange(width)
        mask = np.ones((n, width), bool)
        if strip_leading:
            mask = j >= width - ndigits(x, width)[:, None]
        if keep_len is not None:
            mask = j < keep_len[:, None]
        slots.append((mat, mask & np.asarray(keep)[..., None]))

    # customer_id
    const("c"); num(c["cust"], 7); const(",")
    # timestamp: YYYY-MM-DDTHH:MM:SS[.mmm]Z
    secs = c["t_ms"] // 1000
    d = secs.astype("datetime64[s]").astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    mon = month.astype(np.int64) % 12 + 1
    dom = (d - month).astype(np.int64) + 1
    sod = secs % 86400
    has_ms = c["millis"] >= 0
    num(year, 4); const("-"); num(mon, 2); const("-"); num(dom, 2); const("T")
    num(sod // 3600, 2); const(":"); num(sod // 60 % 60, 2); const(":"); num(sod % 60, 2)
    const(".", has_ms); num(c["t_ms"] % 1000, 3, keep=has_ms); const("Z,")
    # channel, event
    text(CHANNELS, c["channel"]); const(",")
    text(EVENTS, c["event"]); const(",")
    # value: only on purchases
    purchase = c["event"] == EVENTS.index("purchase")
    num(c["cents"] // 100, 5, keep=purchase, strip_leading=True)
    const(".", purchase); num(c["cents"] % 100, 2, keep=purchase); const(",")
    # action and propensity (empty together); propensity trims trailing zeros: 0.25, 0.1234, 1.0
    acted = c["action"] >= 0
    text(ACTIONS, np.maximum(c["action"], 0), keep=acted); const(",")
    p, one = c["prop"], c["prop"] == 10_000
    tz = sum((p % 10 ** k == 0).astype(np.int64) for k in range(1, 4))
    const("0.", acted & ~one); num(p, 4, keep=acted & ~one, keep_len=4 - tz); const("1.0", acted & one)
    const("\n")

    width = sum(m.shape[1] for m, _ in slots)
    mat, keep = np.empty((n, width), np.uint8), np.empty((n, width), bool)
    col = 0
    for m, k in slots:
        mat[:, col:col + m.shape[1]], keep[:, col:col + m.shape[1]] = m, k
        col += m.shape[1]
    return mat[keep].tobytes()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--customers", type=int, default=None, help="default: events/20")
    a = ap.parse_args()
    customers = a.customers or max(1, a.events // 20)

    t0 = time.perf_counter()
    cols = generate(a.events, customers, a.seed)
    written = 0
    with open(a.out, "wb", buffering=1 << 24) as f:
        written += f.write(b"customer_id,timestamp,channel,event,value,action,propensity\n")
        for lo in range(0, a.events, CHUNK):
            written += f.write(render({k: v[lo:lo + CHUNK] for k, v in cols.items()}))
    dt = time.perf_counter() - t0
    print(f"rows={a.events} customers={customers} bytes={written} seconds={dt:.2f} "
          f"({a.events / dt / 1e6:.2f} M rows/s) -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
