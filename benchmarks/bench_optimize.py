"""Benchmark: ``sepsistwin.control.optimize`` on a few virtual ICU patients (7-day horizon).

Virtual septic-shock patients (``sepsistwin.twin.virtual``, seeded) are fitted on days 0-2;
those for whom ``recommend`` lists at least one option are optimised with the default search
(CMA-ES per therapy, 40 scenario draws, all posterior draws for the final evaluation). Prints
and records the median wall and CPU time per patient against the issue #16 target (<= 60 s on
2 cores, median) and each plan against the rules' first option.

Usage: python benchmarks/bench_optimize.py [--patients N] [--cohort M] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section
from sepsistwin.api import load_timeline
from sepsistwin.control import optimize
from sepsistwin.twin import (
    SamplerSettings,
    fit,
    observation_model,
    population_prior,
    without_discrepancy,
)
from sepsistwin.twin.virtual import virtual_cohort

TARGET_SECONDS = 60.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=5, help="patients to optimise")
    ap.add_argument("--cohort", type=int, default=16, help="virtual patients to draw from")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()
    om = without_discrepancy(observation_model())
    vc = virtual_cohort(args.cohort, population_prior(), om, seed=21, horizon_days=8)
    tl = load_timeline(vc.window(2))
    rows = []
    for pid in vc.ids:
        if len(rows) >= args.patients:
            break
        twin = fit(tl, pid, until_day=2, observation=om, settings=SamplerSettings(), seed=0)
        if not twin.converged or not twin.options():
            continue
        wall, cpu = time.perf_counter(), time.process_time()
        plan = optimize(twin, horizon_days=7)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rule = plan.rule_based[0] if plan.rule_based else None
        rows.append(
            {
                "patient": pid,
                "options": len(plan.spaces),
                "regimens": plan.evaluations,
                "wall": wall,
                "cpu": cpu,
                "plan": "no immunotherapy" if plan.regimen is None else plan.regimen.describe(),
                "delta": None if plan.effect is None else plan.effect.delta_mortality_mean,
                "rule": None if rule is None else rule.regimen.describe(),
                "rule_delta": None if rule is None else rule.effect.delta_mortality_mean,
            }
        )
        print(rows[-1], flush=True)
    walls = np.array([r["wall"] for r in rows])
    cpus = np.array([r["cpu"] for r in rows])

    def pp(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:+.1f} pp"

    lines = [
        "## Therapy optimisation (`benchmarks/bench_optimize.py`)",
        "",
        f"{today()}, {machine_description()}.",
        "",
        f"{len(rows)} virtual septic-shock patients with at least one recommended option "
        "(seeded), twin fitted on days 0-2 (default sampler), plan over a 7-day horizon with "
        "the default search (CMA-ES per therapy, 6 candidates x 10 generations, 40 scenario "
        "draws; final evaluation on 200 posterior draws). Time of `optimize` alone:",
        "",
        "| median wall | max wall | median CPU | target |",
        "|---|---|---|---|",
        f"| {np.median(walls):.1f} s | {walls.max():.1f} s | {np.median(cpus):.1f} s | "
        f"<= {TARGET_SECONDS:.0f} s |",
        "",
        "| patient | options | regimens scored | wall | plan | change in 28-day death | "
        "rules' first option | its change |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['patient']} | {r['options']} | {r['regimens']} | {r['wall']:.1f} s | "
            f"{r['plan']} | {pp(r['delta'])} | {r['rule'] or '-'} | {pp(r['rule_delta'])} |"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section("optimize", text)


if __name__ == "__main__":
    main()
