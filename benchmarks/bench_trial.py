"""Benchmark: a two-arm in-silico trial end to end (default 100,000 patients, 28 days).

Runs ``sepsistwin.trial.run_trial`` on the shipped ``anti-tnf-unselected`` example (no
enrollment selection, so every screened patient is followed in an arm: the most work per
sampled patient), with local worker processes, a DuckDB store on disk and the analysis. It
reports:

* wall time of the whole run and its parts (chunks, analysis), patients per second;
* the share of a chunk spent integrating the model (measured on one chunk in this process);
* peak memory of the process tree (main + workers, RSS sampled every 0.2 s);
* the extrapolation to 1,000,000 patients, against the issue #6 target (1M patients x 28 days
  in <= 10 minutes on 2 cores, peak memory <= 4 GB).

Usage: python benchmarks/bench_trial.py [--patients N] [--workers W] [--chunk-size C]
                                         [--no-write]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section
from sepsistwin.trial import load_spec, run_trial
from sepsistwin.trial.chunk import TrialPlan, run_chunk
from sepsistwin.trial.sepsistwin_simulator import SepsistwinSimulator

TARGET_SECONDS_1M = 600.0
TARGET_PEAK_GB = 4.0
SPEC = "anti-tnf-unselected"


class _TimedSimulator(SepsistwinSimulator):
    """The default simulator, timing its ``simulate`` calls (for the breakdown only)."""

    def __init__(self) -> None:
        super().__init__()
        self.sim_seconds = 0.0

    def simulate(self, cohort, schedule, t_eval, until_death=False):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return super().simulate(cohort, schedule, t_eval, until_death)
        finally:
            self.sim_seconds += time.perf_counter() - t


class _PeakRSS:
    """Peak resident memory of this process and its children, sampled in a thread."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> _PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def synthetic_store(path: Path, n: int, days: int = 28, seed: int = 0) -> None:
    """A store holding ``n`` randomised patients with plausible random endpoints (no model):
    the analysis of a 1,000,000-patient trial measured directly, not extrapolated."""
    from sepsistwin.store import TrialStore

    rng = np.random.default_rng(seed)
    with TrialStore(path) as st:
        st.initialise(
            {
                "run_id": "synthetic",
                "spec": {
                    "name": "synthetic",
                    "follow_up_days": days,
                    "arms": [{"name": "placebo"}, {"name": "anti-tnf"}],
                },
            }
        )
        step = 100_000
        for k, start in enumerate(range(0, n, step)):
            m = min(step, n - start)
            t = rng.exponential(40.0, m)
            died = t <= days
            traj = rng.normal(8.0, 2.0, (m, days + 1)).astype(np.float32)
            rows = {
                "patient_id": np.arange(start, start + m),
                "arm": rng.choice(np.array(["placebo", "anti-tnf"], dtype=object), m),
                "phenotype": rng.choice(
                    np.array(["MALS", "immunoparalysis", "intermediate"], dtype=object), m
                ),
                "time_days": np.minimum(t, days),
                "died": died,
                "dead_28d": died.astype(float),
                "dead_90d": np.full(m, np.nan),
                "baseline_sofa": traj[:, 0].astype(float),
                "sofa_change_day7": rng.normal(-1, 2, m),
                "sofa_drop_1p4_day9": (rng.random(m) < 0.3).astype(float),
                "alive_sofa_decrease_day7": (rng.random(m) < 0.4).astype(float),
                "organ_support_free_days": rng.uniform(0, 28, m),
                "secondary_infection": rng.random(m) < 0.1,
                "hyperinflammation_ae": rng.random(m) < 0.2,
            }
            frame = pd.DataFrame(rows)
            for name in ("sofa_traj", "lymphocytes_traj", "mhla_dr_traj"):
                frame[name] = list(traj)
            st.commit_chunk(k, {"patients": frame}, {"n_sampled": m, "n_enrolled": m})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--chunk-size", type=int, default=2_000)
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    spec = load_spec(SPEC)
    load0 = os.getloadavg()[0]

    # 1. One chunk in this process: warms the compiled kernel and gives the breakdown.
    timed = _TimedSimulator()
    plan = TrialPlan(spec.with_size(args.chunk_size), timed, args.chunk_size)
    t = time.perf_counter()
    run_chunk(plan, 0)
    t = time.perf_counter()
    timed.sim_seconds = 0.0
    one = run_chunk(plan, 0)
    chunk_s = time.perf_counter() - t
    sim_share = timed.sim_seconds / chunk_s
    print(
        f"one chunk of {args.chunk_size} in this process: {chunk_s:.1f} s "
        f"({100 * sim_share:.0f}% integrating the model; "
        f"{one.ledger['n_enrolled']:.0f} enrolled)"
    )

    # 2. The whole trial with worker processes and a store on disk.
    commits: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, _PeakRSS() as rss:
        store = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        result = run_trial(
            spec,
            size=args.patients,
            store=store,
            chunk_size=args.chunk_size,
            workers=args.workers,
            simulator=SepsistwinSimulator(),
            on_commit=lambda k, _: commits.append(time.perf_counter()),
        )
        total = time.perf_counter() - t0
        store_mb = store.stat().st_size / 1e6
    load1 = os.getloadavg()[0]

    # 3. The analysis of a 1,000,000-patient store, measured (synthetic endpoints, no model).
    from sepsistwin.store import TrialStore
    from sepsistwin.trial import analyze

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.duckdb"
        synthetic_store(path, 1_000_000)
        with _PeakRSS() as rss_an, TrialStore(path) as st:
            t = time.perf_counter()
            analyze(st)
            analysis_1m = time.perf_counter() - t
    peak_an_gb = rss_an.peak / 1e9
    print(
        f"analysis of 1,000,000 synthetic patients: {analysis_1m:.1f} s, peak RSS "
        f"{peak_an_gb:.2f} GB"
    )
    chunks_s = commits[-1] - t0
    analysis_s = total - chunks_s
    # Steady rate: from the first commit on (excludes starting the workers and loading the
    # compiled kernel in each, a fixed cost).
    # Steady rate: after the first round of chunks (one per worker), whose time includes
    # starting the workers and loading the compiled kernel in each (a fixed cost).
    n_chunks, first = len(commits), min(args.workers, len(commits)) - 1
    steady = (
        (n_chunks - 1 - first) * args.chunk_size / (commits[-1] - commits[first])
        if n_chunks - 1 > first and commits[-1] > commits[first]
        else args.patients / chunks_s
    )
    startup = max(0.0, chunks_s - args.patients / steady)
    est_1m = startup + 1_000_000 / steady + analysis_1m
    one_rate = args.chunk_size / chunk_s
    est_1m_one = 1_000_000 / one_rate + analysis_1m
    peak_gb = rss.peak / 1e9
    peak_1m_gb = max(peak_gb, peak_an_gb)
    sc = result.screening
    arms = {a["name"]: a for a in result.arms}
    comp = result.comparisons[0]

    print(
        f"{args.patients:,} patients, {args.workers} workers: {total:.0f} s "
        f"(chunks {chunks_s:.0f} s, analysis {analysis_s:.1f} s), steady {steady:.0f} "
        f"patients/s, peak RSS {peak_gb:.2f} GB, store {store_mb:.0f} MB"
    )
    print(
        f"1,000,000 patients (extrapolated): {est_1m / 60:.1f} min "
        f"(target {TARGET_SECONDS_1M / 60:.0f} min)"
    )
    print(result.summary())

    met_t = est_1m <= TARGET_SECONDS_1M
    met_m = peak_1m_gb <= TARGET_PEAK_GB
    sim_per_patient_ms = 1000 * timed.sim_seconds / args.chunk_size
    rows = [
        (
            "sampled / screened / enrolled",
            f"{sc['n_sampled']:,} / {sc['n_screened']:,} / {sc['n_enrolled']:,}",
        ),
        ("wall time, whole run", f"{total:.0f} s"),
        (
            "of which chunks (sample, simulate, screen, randomise, follow up, commit)",
            f"{chunks_s:.0f} s",
        ),
        ("of which analysis", f"{analysis_s:.1f} s"),
        ("steady rate", f"{steady:,.0f} patients/s"),
        (
            "one chunk in one process: share integrating the model",
            f"{100 * sim_share:.0f}% ({sim_per_patient_ms:.2f} ms per patient, 24 h + 28 days)",
        ),
        ("one chunk in one process, rate (kernel on both cores)", f"{one_rate:,.0f} patients/s"),
        ("peak memory (main + workers, RSS)", f"{peak_gb:.2f} GB"),
        ("store size", f"{store_mb:.0f} MB"),
        (
            "analysis of a 1,000,000-patient store (synthetic endpoints), measured",
            f"{analysis_1m:.0f} s, peak RSS {peak_an_gb:.2f} GB",
        ),
        (
            "**1,000,000 patients, extrapolated from the run**",
            f"**{est_1m / 60:.1f} min** (startup + 1M / steady rate + 1M analysis)",
        ),
        ("1,000,000 patients, extrapolated from the one-chunk rate", f"{est_1m_one / 60:.1f} min"),
    ]
    table = "\n".join(["| | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])
    margin = (
        f"Margin: the run would take {est_1m / TARGET_SECONDS_1M:.2f}x the target time."
        if met_t
        else f"Meeting the target needs about {est_1m / TARGET_SECONDS_1M:.2f}x faster "
        "integration of the model (or more cores: chunks scale out over processes and Dask "
        "workers)."
    )
    md = f"""
## Trial (`benchmarks/bench_trial.py`)

Machine: {machine_description()}. Date: {today()}. Load average at start / end:
{load0:.1f} / {load1:.1f} (other work shares the cores).
Trial: `{SPEC}` (two arms, every screened patient enrolled), {args.patients:,} virtual patients,
screening at 24 h, 28 days of follow-up after enrollment, chunks of {args.chunk_size:,},
{args.workers} local worker processes (each kernel with cores/workers threads), DuckDB store on
disk, then the analysis (Kaplan-Meier, log-rank, Cox, subgroups, trajectory quantiles).

{table}

28-day mortality {100 * (arms["placebo"]["mortality_28d"] or 0):.1f}% (placebo) vs
{100 * (arms["anti-tnf"]["mortality_28d"] or 0):.1f}% (anti-TNF); HR
{comp["hazard_ratio"] if comp["hazard_ratio"] is None else round(comp["hazard_ratio"], 3)},
log-rank p {comp["p_logrank"] if comp["p_logrank"] is None else f"{comp['p_logrank']:.3g}"}.

Issue #6 target, 1M patients x 28 days in <= 10 min on 2 cores: **{"met" if met_t else "not met"}**
({est_1m / 60:.1f} min extrapolated from this run; {est_1m_one / 60:.1f} min from the one-chunk
rate, measured when the cores were less shared). Peak memory <= 4 GB at 1M:
**{"met" if met_m else "not met"}** ({peak_1m_gb:.2f} GB: the larger of the run's peak, flat in
the population size because chunks stream into the store and workers hold one chunk each, and
the measured peak of the 1M analysis, which runs after the workers have exited).
What limits speed: integrating the `sepsistwin` model ({100 * sim_share:.0f}% of a chunk); the
trial machinery (screening with the clinical code, endpoints, DuckDB commits) is the rest.
{margin} The VM's speed moves by 10-20 % between runs minutes apart (a rerun of the same
code can land on the other side of the target); treat one figure as one sample.
"""
    if not args.no_write:
        write_section("trial", md)
        print("docs/benchmarks.md: section 'trial' written")
    if not np.isfinite(est_1m):
        raise SystemExit("no rate measured")


if __name__ == "__main__":
    main()
