"""Benchmark: daily assessment of a generated cohort (default 100,000 patients x 14 days).

Measures, on canonical Parquet input written once up front:
  * end to end: ``sepsistwin.assess(path)`` = read + validate + convert units + assess;
  * the clinical rules alone: ``sepsistwin.clinical.assess(observations)``;
  * the command line, ``sepsistwin assess cohort.parquet --out result.parquet`` run as a
    process (start-up, read, assess, write the result, print the summary) on a
    ``--cli-patients`` x ``--days`` cohort (default 10,000 x 14), beside the API on the same
    file and the same output;
and compares with two named baselines:
  * the target, 1,000,000 patient-days per minute on 2 cores (issue #2);
  * a per-patient-day Python loop (scalar SOFA rules written the obvious way) on a
    sample, whose SOFA must agree with the vectorised result.

Usage: python benchmarks/bench_assess.py [--patients N] [--days D] [--cli-patients N] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section

TARGET_PATIENT_DAYS_PER_MIN = 1_000_000

# variable -> (unit, generator(rng, n) in that unit)
_VARIABLES = {
    "pao2": ("mmHg", lambda r, n: r.uniform(50, 140, n)),
    "fio2": ("1", lambda r, n: r.uniform(0.21, 1.0, n)),
    "mechanical_ventilation": ("", lambda r, n: (r.random(n) < 0.5).astype(float)),
    "platelets": ("10^9/L", lambda r, n: r.uniform(10, 300, n)),
    "bilirubin": ("umol/L", lambda r, n: r.uniform(5, 300, n)),
    "map": ("mmHg", lambda r, n: r.uniform(45, 100, n)),
    "norepinephrine": (
        "ug/kg/min",
        lambda r, n: np.where(r.random(n) < 0.4, r.uniform(0.01, 0.6, n), 0.0),
    ),
    "gcs": ("", lambda r, n: r.integers(3, 16, n).astype(float)),
    "creatinine": ("mg/dL", lambda r, n: r.uniform(0.5, 6.0, n)),
    "urine_output": ("mL/day", lambda r, n: r.uniform(100, 3000, n)),
    "lactate": ("mmol/L", lambda r, n: r.uniform(0.5, 10, n)),
    "ferritin": ("ng/mL", lambda r, n: np.exp(r.normal(7.5, 1.0, n))),
    "mhla_dr": ("AB/C", lambda r, n: r.uniform(1000, 30000, n)),
    "lymphocytes": ("10^9/L", lambda r, n: r.uniform(0.2, 3.0, n)),
    "il6": ("pg/mL", lambda r, n: np.exp(r.normal(5.5, 1.5, n))),
    "infection_suspected": ("", lambda r, n: (r.random(n) < 0.8).astype(float)),
}


def generate_cohort(n_patients: int, n_days: int, seed: int = 1) -> pd.DataFrame:
    """Long table, one observation per variable per patient-day at a random hour."""
    rng = np.random.default_rng(seed)
    n = n_patients * n_days
    pid = np.repeat(np.arange(n_patients), n_days)
    day = np.tile(np.arange(n_days), n_patients)
    frames = []
    for name, (unit, gen) in _VARIABLES.items():
        values = np.clip(gen(rng, n), None, 1e7)
        frames.append(
            pd.DataFrame(
                {
                    "patient_id": pd.Categorical.from_codes(
                        pid, [f"P{i:06d}" for i in range(n_patients)]
                    ),
                    "time": day * 24.0 + rng.uniform(0, 23.9, n),
                    "variable": name,
                    "value": np.round(values, 3),
                    "unit": unit,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def naive_sofa(daily: dict[str, float]) -> int:
    """SOFA of one patient-day written as scalar if/else rules (the baseline)."""

    def g(k: str) -> float:
        return daily.get(k, float("nan"))

    pts = 0
    pf, vent = g("pf"), g("mechanical_ventilation") > 0
    if pf < 100 and vent:
        pts += 4
    elif pf < 200 and vent:
        pts += 3
    elif pf < 300:
        pts += 2
    elif pf < 400:
        pts += 1
    p = g("platelets")
    pts += 4 if p < 20 else 3 if p < 50 else 2 if p < 100 else 1 if p < 150 else 0
    b = g("bilirubin")
    pts += 4 if b >= 12 else 3 if b >= 6 else 2 if b >= 2 else 1 if b >= 1.2 else 0
    ne = g("norepinephrine")
    pts += 4 if ne > 0.1 else 3 if ne > 0 else 1 if g("map") < 70 else 0
    gcs = g("gcs")
    pts += 4 if gcs < 6 else 3 if gcs < 10 else 2 if gcs < 13 else 1 if gcs < 15 else 0
    c, u = g("creatinine"), g("urine_output")
    rc = 4 if c >= 5 else 3 if c >= 3.5 else 2 if c >= 2 else 1 if c >= 1.2 else 0
    ru = 4 if u < 200 else 3 if u < 500 else 0
    return pts + max(rc, ru)


def naive_assess(obs: pd.DataFrame) -> dict[tuple[str, int], int]:
    """Per-patient-day Python loop over canonical observations (one value per day here).

    PaO2 is paired with the latest FiO2 up to 24 h before it, as the vectorised rules do.
    """
    out: dict[tuple[str, int], int] = {}
    obs = obs.assign(day=np.floor(obs["hours"] / 24).astype(int))
    for pid, patient in obs.groupby("patient_id", observed=True, sort=False):
        fio2 = patient[patient["variable"] == "fio2"].sort_values("hours")
        fio2_t, fio2_v = fio2["hours"].tolist(), fio2["value"].tolist()
        for day, rows in patient.groupby("day", sort=False):
            d = dict(zip(rows["variable"], rows["value"], strict=False))
            d.pop("fio2", None)
            pf = float("inf")
            for t_p, v_p in zip(
                rows["hours"][rows["variable"] == "pao2"],
                rows["value"][rows["variable"] == "pao2"],
                strict=True,
            ):
                before = [
                    (t, v) for t, v in zip(fio2_t, fio2_v, strict=True) if t_p - 24 <= t <= t_p
                ]
                if before and before[-1][1] > 0:
                    pf = min(pf, v_p / before[-1][1])
            if pf != float("inf"):
                d["pf"] = pf
            out[(str(pid), int(day))] = naive_sofa(d)
    return out


def cli_vs_api(n_patients: int, n_days: int, repeats: int = 2) -> dict[str, float]:
    """Best wall time of ``sepsistwin assess FILE --out OUT`` run as a process, of the same
    work as a Python script (``import sepsistwin; sepsistwin.assess(FILE).to_parquet(OUT)``,
    also a process, so both pay interpreter start-up and imports), and of the API call in
    this already-initialised process; runs alternate so neither gets a warmer machine."""
    import sepsistwin

    exe = Path(sys.executable).with_name("sepsistwin")
    times: dict[str, list[float]] = {"cli": [], "script": [], "api": []}
    cpu: dict[str, list[float]] = {"cli": [], "script": []}

    def child_cpu() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    with tempfile.TemporaryDirectory() as tmp:
        src, out_cli, out_api = (Path(tmp) / n for n in ("c.parquet", "cli.parquet", "api.parquet"))
        generate_cohort(n_patients, n_days, seed=2).to_parquet(src, index=False)
        env = {**os.environ, "COLUMNS": "100"}
        script = (
            "import sepsistwin, sys; sepsistwin.assess(sys.argv[1]).to_parquet(sys.argv[2], "
            "index=False)"
        )
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), child_cpu()
            proc = subprocess.run(
                [str(exe), "assess", str(src), "--out", str(out_cli)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            times["cli"].append(time.perf_counter() - t0)
            cpu["cli"].append(child_cpu() - c0)
            t0, c0 = time.perf_counter(), child_cpu()
            subprocess.run(
                [sys.executable, "-c", script, str(src), str(out_api)], env=env, check=True
            )
            times["script"].append(time.perf_counter() - t0)
            cpu["script"].append(child_cpu() - c0)
            t0 = time.perf_counter()
            sepsistwin.assess(src).to_parquet(out_api, index=False)
            times["api"].append(time.perf_counter() - t0)
        same = pd.read_parquet(out_cli)["sofa"].equals(pd.read_parquet(out_api)["sofa"])
    print(proc.stdout)
    return {
        **{k: min(v) for k, v in times.items()},
        **{f"{k}_cpu": min(v) for k, v in cpu.items()},
        "same": float(same),
        "lines": proc.stdout.count("\n"),
        "repeats": repeats,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--baseline-sample", type=int, default=2_000, help="patients in the loop")
    ap.add_argument("--cli-patients", type=int, default=10_000, help="patients in the CLI run")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    import sepsistwin
    from sepsistwin.api import load_timeline
    from sepsistwin.clinical import assess as assess_observations

    n_pd = args.patients * args.days
    n_cli = args.cli_patients * args.days
    cli = cli_vs_api(args.cli_patients, args.days)
    rate_cli, rate_api = n_cli / cli["cli"] * 60, n_cli / cli["api"] * 60
    rate_script = n_cli / cli["script"] * 60
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    cohort = generate_cohort(args.patients, args.days)
    t_gen = time.perf_counter() - t0
    n_rows = len(cohort)
    print(
        f"cohort: {args.patients:,} patients x {args.days} days = {n_pd:,} patient-days, "
        f"{n_rows:,} rows (generated in {t_gen:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.parquet"
        cohort.to_parquet(path, index=False)
        del cohort

        t0 = time.perf_counter()
        result = sepsistwin.assess(path)
        t_e2e = time.perf_counter() - t0
        del result

        t0 = time.perf_counter()
        observations = load_timeline(path).observations
        t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    rules = assess_observations(observations)
    t_rules = time.perf_counter() - t0

    sample_ids = {f"P{i:06d}" for i in range(min(args.baseline_sample, args.patients))}
    sample = observations[observations["patient_id"].isin(sample_ids)]
    del observations
    t0 = time.perf_counter()
    naive = naive_assess(sample)
    t_naive = time.perf_counter() - t0
    n_naive = len(naive)
    vec = rules.set_index(["patient_id", "day"])["sofa"]
    mismatches = sum(int(vec.loc[k]) != v for k, v in naive.items())
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    rate_e2e = n_pd / t_e2e * 60
    rate_rules = n_pd / t_rules * 60
    rate_naive = n_naive / t_naive * 60
    lines = [
        f"Machine: {machine_description()}; date {today()}.",
        "",
        f"Cohort: {args.patients:,} patients x {args.days} days = {n_pd:,} patient-days, "
        f"{n_rows:,} observation rows (16 variables, bilirubin in umol/L), Parquet.",
        "",
        "| measure | time (s) | patient-days / min | vs target 1,000,000/min | vs Python loop |",
        "|---|---:|---:|---:|---:|",
        f"| end to end `sepsistwin.assess(parquet)` (read, validate, convert, assess) | "
        f"{t_e2e:.1f} | {rate_e2e:,.0f} | {rate_e2e / TARGET_PATIENT_DAYS_PER_MIN:.2f}x | "
        f"{rate_e2e / rate_naive:.0f}x |",
        f"| clinical rules alone `clinical.assess(observations)` | {t_rules:.1f} | "
        f"{rate_rules:,.0f} | {rate_rules / TARGET_PATIENT_DAYS_PER_MIN:.2f}x | "
        f"{rate_rules / rate_naive:.0f}x |",
        f"| of which read + validate + convert (`load_timeline`) | {t_read:.1f} | | | |",
        f"| baseline: per-patient-day Python loop, SOFA only ({n_naive:,} patient-days) | "
        f"{t_naive:.1f} | {rate_naive:,.0f} | {rate_naive / TARGET_PATIENT_DAYS_PER_MIN:.2f}x | "
        "1x |",
        "",
        f"Command line vs API on a {args.cli_patients:,} x {args.days}-day cohort "
        f"({n_cli:,} patient-days, Parquet in, Parquet out; best of {int(cli['repeats'])} "
        f"alternating runs; 1-minute load average {load:.1f} on {os.cpu_count()} cores):",
        "",
        "| path | wall time (s) | CPU time (s) | patient-days / min (wall) | vs target "
        "1,000,000/min |",
        "|---|---:|---:|---:|---:|",
        f"| `sepsistwin assess cohort.parquet --out result.parquet` (a process: start-up, "
        f"read, assess, write, print the summary) | {cli['cli']:.1f} | {cli['cli_cpu']:.1f} | "
        f"{rate_cli:,.0f} | {rate_cli / TARGET_PATIENT_DAYS_PER_MIN:.2f}x |",
        f"| the same as a Python script (`python -c 'import sepsistwin; "
        f"sepsistwin.assess(path).to_parquet(out)'`, a process) | {cli['script']:.1f} | "
        f"{cli['script_cpu']:.1f} | {rate_script:,.0f} | "
        f"{rate_script / TARGET_PATIENT_DAYS_PER_MIN:.2f}x |",
        f"| `sepsistwin.assess(path).to_parquet(out)` in an initialised process (no start-up) "
        f"| {cli['api']:.1f} | | {rate_api:,.0f} | "
        f"{rate_api / TARGET_PATIENT_DAYS_PER_MIN:.2f}x |",
        "",
        "CPU time (user + system of the process) is the figure least disturbed by other "
        "work on a shared machine; the command line's CPU time over the script's is the cost "
        f"of the command itself: {cli['cli_cpu'] / cli['script_cpu']:.2f}x.",
        "",
        f"The command printed a {int(cli['lines'])}-line summary (no per-patient tables: "
        f"`--out` was given); its SOFA column {'equals' if cli['same'] else 'DIFFERS from'} "
        "the API's.",
        "",
        f"SOFA of the loop and the vectorised rules disagree on {mismatches} of {n_naive:,} "
        f"patient-days. Peak RSS of the process (includes the generator's copies): "
        f"{peak_gb:.1f} GB. Rows in the result: {len(rules):,}.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("assess", "## Assessment (`benchmarks/bench_assess.py`)\n\n" + text)


if __name__ == "__main__":
    main()
