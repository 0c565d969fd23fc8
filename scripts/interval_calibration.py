#!/usr/bin/env python3
"""Compares interval calibration rules on competition holdouts, offline.

Input: files written by the ignored library test `select::eval::dump_calibration` (one per
dataset), which records for every series the default selection's forecast, its own 80%/95%
intervals, its backtest errors over the model's implied sd per step, and the held-out values:

    scripts/forecast_bench.py export --out DIR --datasets m1,tourism,m3
    CAL_EVAL=DIR/m1.json CAL_OUT=OUT/m1.json \\
        cargo test -p cityos_tsmodels --lib select::eval::dump_calibration -- --ignored

Then `python3 scripts/interval_calibration.py OUT/m1.json OUT/tourism.json OUT/m3.json` prints, per
dataset and frequency, the share of held-out values (pooled) inside each rule's 80% and 95%
intervals. `calibrated-0.6` is the rule `cityos_tsmodels::select::calibrated` implements
(`mixture_quantile` with `effective_scores` = origins · steps^0.6); the others are the
alternatives docs/FORECASTING.md says were compared. Standard library only.
"""

import bisect
import collections
import json
import math
import sys
from statistics import NormalDist

N = NormalDist()


def z(level: float) -> float:
    return N.inv_cdf(0.5 + level / 200)


def implied_sd(r) -> list[float]:
    lo, hi = r["i95"]
    return [(b - a) / (2 * z(95)) for a, b in zip(lo, hi)]


def pooled_scores(r) -> list[float]:
    return [e for step in r["std_steps"] for e in step if math.isfinite(e) and e >= 0]


def conformal_quantile(scores, level):
    s = sorted(scores)
    k = len(s)
    rank = math.ceil((k + 1) * level / 100)
    return s[min(max(rank, 1), k) - 1]


def mixture_quantile(scores, level, effective):
    """Mirror of select::mixture_quantile."""
    s = sorted(scores)
    k = len(s)
    if k == 0:
        return z(level)
    c = effective / (effective + 1) if effective > 0 else 0.0
    p = level / 100
    for j in range(k + 1):
        t = 2 * p - c * j / k
        lo = 0.0 if j == 0 else s[j - 1]
        hi = s[j] if j < k else math.inf
        if t <= 0:
            return lo
        if t < 1:
            u = max(z(100 * t), lo)
            if u < hi:
                return u
    return max(z(level), s[-1])


def model(r, level):
    lo, hi = r[f"i{level}"]
    return [(b - a) / 2 for a, b in zip(lo, hi)]


def conformal(r, level):
    """select::conformal_scaled with 10+ scores, else per-step select::conformal."""
    p = pooled_scores(r)
    if len(p) >= 10:
        q = conformal_quantile(p, level)
        return [q * s for s in implied_sd(r)]
    ae = r["abs_errors"]
    if not ae:
        return model(r, level)
    big_h = len(ae)
    out = []
    for i in range(len(r["mean"])):
        row, scale = (ae[i], 1.0) if i < big_h else (ae[big_h - 1], math.sqrt((i + 1) / big_h))
        out.append(conformal_quantile(row, level) * scale)
    return out


def calibrated(exponent):
    def rule(r, level):
        p = pooled_scores(r)
        if not p:
            return model(r, level)
        effective = len(r["bt_origins"]) * r["bt_horizon"] ** exponent if exponent is not None else len(p)
        u = mixture_quantile(p, level, effective)
        return [u * s for s in implied_sd(r)]

    return rule


def wider(r, level):
    return [max(a, b) for a, b in zip(model(r, level), conformal(r, level))]


def geometric(r, level):
    return [math.sqrt(a * b) for a, b in zip(model(r, level), conformal(r, level))]


def arithmetic(r, level):
    return [(a + b) / 2 for a, b in zip(model(r, level), conformal(r, level))]


RULES = {
    "model": model,
    "conformal": conformal,
    "wider": wider,
    "geometric": geometric,
    "arithmetic": arithmetic,
    "calibrated-all": calibrated(None),  # every score independent
    "calibrated-0": calibrated(0.0),  # one score per origin
    "calibrated-0.5": calibrated(0.5),
    "calibrated-0.6": calibrated(0.6),
    "calibrated-0.7": calibrated(0.7),
}


def inside(r, half):
    return sum(1 for y, m, w in zip(r["test"], r["mean"], half) if m - w <= y <= m + w)


def main(paths):
    for path in paths:
        rows = json.load(open(path))
        groups = collections.defaultdict(collections.Counter)
        for r in rows:
            for g in (r["frequency"], "all"):
                c = groups[g]
                c["points"] += len(r["test"])
                for name, rule in RULES.items():
                    for level in (80, 95):
                        c[(name, level)] += inside(r, rule(r, level))
        print(f"{path}: share of held-out values inside, 80 / 95")
        for g in ("yearly", "quarterly", "monthly", "all"):
            if g not in groups:
                continue
            c = groups[g]
            cells = "  ".join(f"{n} {100 * c[(n, 80)] / c['points']:.1f}/{100 * c[(n, 95)] / c['points']:.1f}" for n in RULES)
            print(f"  {g:9} {c['points']:6}  {cells}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
