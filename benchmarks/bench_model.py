"""Model benchmark: full ``sepsistwin`` model with dosing, sepsistwin batch vs libroadrunner.

A seeded septic-shock population (standard-care meropenem q8h from each patient's start time,
plus nivolumab 480 mg at 24 h) is simulated for 28 days with hourly output. sepsistwin
integrates the whole batch in one call; libroadrunner (CVODE) runs the exported SBML of each
patient (its own parameters, initial state and dose events) in a loop on a subsample. Both use
rtol 1e-6; the relative difference of key outputs is reported. Writes section ``model`` of
docs/benchmarks.md.

Run: ``.venv/bin/python benchmarks/bench_model.py [--n 2000] [--sub 20]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section
from sepsistwin.model import get_model
from sepsistwin.model.pharmacology import standard_care, therapy_schedule
from sepsistwin.model.sbml import to_sbml
from sepsistwin.population import sample_population
from sepsistwin.solve import simulate_batch

HOURS = 28 * 24
OUTPUTS = ("P", "D", "HLA", "T", "HZ", "nivolumab_c")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="patients for sepsistwin")
    ap.add_argument("--sub", type=int, default=20, help="patients for libroadrunner")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    model = get_model("sepsistwin")
    pop = sample_population(args.n, seed=args.seed)
    t = np.arange(0.0, HOURS + 1.0, 1.0)
    doses = pop.standard_care() + therapy_schedule("nivolumab", "480mg", 24.0)
    simulate_batch(
        model,
        {k: v[:2] for k, v in pop.params.items()},
        {k: v[:2] for k, v in pop.init.items()},
        t[:3],
    )  # load the compiled kernel
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = simulate_batch(model, pop.params, pop.init, t, doses=doses, rtol=1e-6, atol=1e-9)
    ours_s = time.perf_counter() - t0
    ours_rate = args.n / ours_s
    n_ev = ours.info["n_dose_events"]
    print(
        f"sepsistwin: {args.n} patients in {ours_s:.2f} s ({ours_rate:,.0f} patients/s), "
        f"{n_ev} dose events per patient, ok {ours.ok.mean():.3f}"
    )

    import roadrunner

    sub = np.arange(min(args.sub, args.n))
    rr_sim_s = rr_load_s = 0.0
    errs = []
    names = list(OUTPUTS)
    for i in sub:
        p_i = {k: float(v[i]) for k, v in pop.params.items()}
        y_i = {k: float(v[i]) for k, v in pop.init.items()}
        d_i = standard_care(
            float(pop.abx_start[i]), weight_kg=p_i["body_weight"]
        ) + therapy_schedule("nivolumab", "480mg", 24.0)
        t0 = time.perf_counter()
        rr = roadrunner.RoadRunner(to_sbml(model, params=p_i, init=y_i, doses=d_i))
        rr.integrator.relative_tolerance = 1e-6
        rr.integrator.absolute_tolerance = 1e-9
        rr.integrator.maximum_num_steps = 200_000
        rr.timeCourseSelections = ["time", *names]
        rr_load_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        res = np.asarray(rr.simulate(0.0, float(HOURS), t.size))[:, 1:]
        rr_sim_s += time.perf_counter() - t0
        mine = np.stack([ours.states[nm][i] for nm in names], axis=1)
        scale = np.maximum(np.abs(mine).max(axis=0), 1e-6)
        errs.append(float(np.max(np.abs(res - mine) / scale)))
    rr_rate = sub.size / rr_sim_s
    ratio = ours_rate / rr_rate
    print(
        f"libroadrunner {roadrunner.__version__}: {sub.size} patients, simulate "
        f"{rr_sim_s:.2f} s ({rr_rate:,.1f} patients/s), load {rr_load_s:.1f} s; max scaled "
        f"difference {max(errs):.1e}; speed-up {ratio:,.1f}x"
    )
    row_ours = (
        f"| sepsistwin `simulate_batch` (Numba DOPRI5/Rodas4, one call) | {args.n} | "
        f"{ours_s:.2f} s | {ours_rate:,.0f} |"
    )
    row_rr = (
        f"| libroadrunner {roadrunner.__version__} (CVODE) loop on each patient's exported "
        f"SBML, simulate only | {sub.size} | {rr_sim_s:.2f} s | {rr_rate:,.1f} |"
    )
    md = f"""## Model: full sepsistwin model with dosing (issue #5)

{today()}, {machine_description()}. Model `sepsistwin`: {len(model.state_names)} states,
{len(model.parameter_names)} parameters. Seeded septic-shock population (seed {args.seed}),
28 days with hourly output, standard-care meropenem 1 g q8h for 7 days from each patient's
antibiotic start plus nivolumab 480 mg at 24 h ({n_ev} dose events per patient); rtol 1e-6,
atol 1e-9 for both.

| solver | patients | wall time | patients/s |
|---|---|---|---|
{row_ours}
{row_rr}

SBML load and JIT per patient (dose events are part of each document): {rr_load_s:.1f} s for
{sub.size} patients, not counted above. Largest difference between the two solvers over
{", ".join(OUTPUTS)} (scaled by each output's maximum): {max(errs):.1e}.

Speed-up: **{ratio:,.1f}x** libroadrunner (issue #5 target >= 20x:
**{"met" if ratio >= 20 else "not met"}**).

Command: `.venv/bin/python benchmarks/bench_model.py --n {args.n} --sub {args.sub}`.
"""
    write_section("model", md)


if __name__ == "__main__":
    main()
