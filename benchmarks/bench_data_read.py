"""Benchmark: reading + validating + converting long input with ``sepsistwin.data``.

Generates a long table (default 5,000 patients x 14 days x 14 variables, about 1 M rows)
with a realistic unit mix (lactate in mg/dL and mmol/L, creatinine and bilirubin in
umol/L, PaO2 in kPa, FiO2 in %, urine output in mL/h, norepinephrine in mcg/kg/min, ...),
writes it as CSV (ISO times), CSV (hours) and Parquet (timestamps), and times
``read_timeline`` on each plus ``observations_from_frame`` on the in-memory frame.

Baseline named for comparison: the same conversion done per row in Python with pint
(``Quantity(v, unit).to(canonical)``) on a 20,000-row sample, extrapolated per row.

Usage: python benchmarks/bench_data_read.py [--patients N] [--days D] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section

# (variable, unit, typical value in that unit)
_MIX = [
    ("lactate", "mg/dL", 27.0),
    ("lactate", "mmol/L", 3.0),
    ("creatinine", "umol/L", 130.0),
    ("bilirubin", "umol/L", 25.0),
    ("pao2", "kPa", 10.0),
    ("fio2", "%", 45.0),
    ("platelets", "10^9/L", 150.0),
    ("map", "mmHg", 68.0),
    ("norepinephrine", "mcg/kg/min", 0.15),
    ("gcs", "", 13.0),
    ("urine_output", "mL/h", 40.0),
    ("ferritin", "ug/L", 900.0),
    ("mhla_dr", "AB/C", 9000.0),
    ("temperature", "degF", 100.4),
]


def generate(n_patients: int, n_days: int, seed: int = 3) -> pd.DataFrame:
    """Long table in patient-major order, hours as float."""
    rng = np.random.default_rng(seed)
    k = len(_MIX)
    n = n_patients * n_days * k
    pid = np.repeat(np.arange(n_patients), n_days * k)
    day = np.tile(np.repeat(np.arange(n_days), k), n_patients)
    which = np.tile(np.arange(k), n_patients * n_days)
    typical = np.array([m[2] for m in _MIX])
    values = np.round(typical[which] * rng.uniform(0.9, 1.1, n), 3)
    values[which == 9] = 13.0  # GCS is a whole number
    names = np.array([f"P{i:06d}" for i in range(n_patients)], dtype=object)
    hours = np.round(day * 24.0 + rng.uniform(0, 23.9, n), 3)
    # Lactate comes twice a day (mg/dL and mmol/L): half a thousandth apart at least, so the
    # two never share a time (equal times with different values are a conflict the reader
    # rejects).
    hours[which == 1] += 0.0005
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(pid, names),
            "time": hours,
            "variable": pd.Categorical(np.array([m[0] for m in _MIX], dtype=object)[which]),
            "value": values,
            "unit": pd.Categorical(np.array([m[1] for m in _MIX], dtype=object)[which]),
        }
    )


def per_row_pint_baseline(frame: pd.DataFrame, n: int = 20_000) -> float:
    """Seconds per row for the obvious per-row pint conversion."""
    from sepsistwin.data import CATALOGUE
    from sepsistwin.data.units import normalise_unit, unit_registry

    ureg = unit_registry()
    sample = frame.head(n)
    start = time.perf_counter()
    for var, value, unit in zip(sample["variable"], sample["value"], sample["unit"], strict=True):
        v = CATALOGUE[var]
        q = ureg.Quantity(value, ureg.parse_expression(normalise_unit(unit, v)).units)
        target = ureg.parse_expression(normalise_unit(v.canonical_unit, v)).units
        try:
            q.to(target)
        except Exception:  # molar-mass conversions need a context; the cost is what matters
            pass
    return (time.perf_counter() - start) / len(sample)


def _timed(label: str, fn, rows: int, results: list[tuple[str, float, int]]) -> None:
    start = time.perf_counter()
    tl = fn()
    elapsed = time.perf_counter() - start
    assert len(tl.observations) == rows and len(tl.rejected) == 0
    results.append((label, elapsed, rows))
    print(f"{label:<40} {elapsed:7.2f} s  {rows / elapsed:>12,.0f} rows/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--no-write", action="store_true", help="do not update docs")
    args = parser.parse_args()

    from sepsistwin.data import observations_from_frame, read_timeline
    from sepsistwin.data.units import unit_registry

    unit_registry()  # pint start-up (~0.3-1 s) is paid once per process, not per file
    frame = generate(args.patients, args.days)
    rows = len(frame)
    print(f"{rows:,} rows ({args.patients:,} patients x {args.days} days x {len(_MIX)} vars)")
    results: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        stamps = pd.Timestamp("2024-01-01T00:00:00Z") + pd.to_timedelta(frame["time"], unit="h")
        iso = frame.assign(time=stamps)
        iso.to_parquet(d / "long.parquet")
        pacsv.write_csv(pa.Table.from_pandas(iso, preserve_index=False), d / "iso.csv")
        frame.to_csv(d / "hours.csv", index=False)
        del iso, stamps
        _timed("read_timeline CSV (ISO times)", lambda: read_timeline(d / "iso.csv"), rows, results)
        _timed("read_timeline CSV (hours)", lambda: read_timeline(d / "hours.csv"), rows, results)
        _timed(
            "read_timeline Parquet (timestamps)",
            lambda: read_timeline(d / "long.parquet"),
            rows,
            results,
        )
        _timed(
            "observations_from_frame (in memory)",
            lambda: observations_from_frame(frame),
            rows,
            results,
        )
    per_row = per_row_pint_baseline(frame)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    load = os.getloadavg()[0]
    print(f"per-row pint baseline: {1 / per_row:,.0f} rows/s; peak RSS {peak_gib:.1f} GiB")

    table = "\n".join(
        f"| {label} | {elapsed:.2f} | {n / elapsed:,.0f} | {n / elapsed * per_row:,.0f}x |"
        for label, elapsed, n in results
    )
    md = f"""## Data layer: read, validate, convert (`benchmarks/bench_data_read.py`)

{today()}, {machine_description()}. {rows:,} rows ({args.patients:,} patients x {args.days}
days x {len(_MIX)} variables, 11 of 14 in a non-canonical unit), one run each after pint
start-up. Baseline: per-row pint conversion in Python, {1 / per_row:,.0f} rows/s (on a
20,000-row sample). Peak RSS of the whole script: {peak_gib:.1f} GiB. Load average at the
end: {load:.1f} (other jobs on a shared machine slow the figures down).

| input | seconds | rows/s | vs per-row pint |
|---|---|---|---|
{table}
"""
    if not args.no_write:
        write_section("data-read", md)


if __name__ == "__main__":
    main()
