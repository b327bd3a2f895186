"""Solver benchmark: 10,000 Reynolds 2006 patients, 28 days hourly, vs scipy LSODA and roadrunner.

Run from the repository root (``make bench``) or from ``benchmarks/``:

    .venv/bin/python benchmarks/bench_solver.py            # full run, writes docs/benchmarks.md
    .venv/bin/python benchmarks/bench_solver.py --quick    # skip the 1,000,000-patient run

All three solvers run in this process on the same patients. The scipy and libroadrunner loops
are timed on a subsample and their per-patient time extrapolated to 10,000 (stated in the
output). Each solver's accuracy is measured against a scipy LSODA rtol=1e-10 reference on a
subsample, with the error definition of tests/solve/test_accuracy.py.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _report import machine_description, today, write_section  # noqa: E402

N_PATIENTS = 10_000
HOURS = 28 * 24
SEED = 20240601
STATES = ("P", "N", "D", "CA")
#: (rtol, atol) ladder for the baselines; each uses the loosest rung meeting 1e-4.
LADDER = ((1e-6, 1e-10), (1e-7, 1e-11), (1e-8, 1e-12), (1e-9, 1e-13), (1e-10, 1e-14))


def population(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """k_pg ~ U(0.2, 0.7) /h and P(0) ~ U(0.2, 2.0) (spans all three outcomes)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.2, 0.7, n), rng.uniform(0.2, 2.0, n)


def scipy_rhs_factory(params: dict[str, float]):  # type: ignore[no-untyped-def]
    """Plain-numpy Reynolds RHS for scipy (what a modeller would write)."""
    q = params

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        P, N, D, CA = y
        inhib = 1 + (CA / q["c_inf"]) ** 2
        fN = N / inhib
        R = (q["k_nn"] * N + q["k_np"] * P + q["k_nd"] * D) / inhib
        g = (N + q["k_cnd"] * D) / inhib
        return [
            q["k_pg"] * P * (1 - P / q["P_inf"])
            - q["k_pm"] * q["s_m"] * P / (q["mu_m"] + q["k_mp"] * P)
            - q["k_pn"] * fN * P,
            q["s_nr"] * R / (q["mu_nr"] + R) - q["mu_n"] * N,
            q["k_dn"] * fN**6 / (q["x_dn"] ** 6 + fN**6) - q["mu_d"] * D,
            q["s_c"] + q["k_cn"] * g / (1 + g) - q["mu_c"] * CA,
        ]

    return rhs


def lsoda(
    k_pg: float, p0: float, t: np.ndarray, defaults: dict[str, float], rtol: float, atol: float
) -> np.ndarray:
    from scipy.integrate import solve_ivp

    f = scipy_rhs_factory({**defaults, "k_pg": k_pg})
    sol = solve_ivp(
        f, (t[0], t[-1]), [p0, 0.0, 0.0, 0.125], method="LSODA", t_eval=t, rtol=rtol, atol=atol
    )
    return sol.y


def rel_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """Max |ours - ref| / max(|ref|, 1e-6 * scale of the state over the population)."""
    floor = 1e-6 * np.abs(ref).max(axis=(0, 2))[None, :, None]
    return float((np.abs(ours - ref) / np.maximum(np.abs(ref), floor)).max())


def warm_load_seconds(cache: str) -> float:
    """Time to import and load the cached compiled kernel in a fresh interpreter."""
    code = (
        "import time; t=time.perf_counter(); from sepsistwin.model import get_model; "
        "from sepsistwin.solve.compile import load_compiled; "
        "m=load_compiled(get_model('reynolds2006')); "
        "import numpy as np; from sepsistwin.solve import simulate; "
        "simulate('reynolds2006', {}, {}, [0.0, 1.0]); print(time.perf_counter()-t)"
    )
    env = {**os.environ, "SEPSISTWIN_CACHE": cache}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


#: Alternating sepsistwin / libroadrunner runs after the separate best-of-three timings.
PAIRED_ROUNDS = 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-patient run")
    ap.add_argument("--sub", type=int, default=200, help="subsample for roadrunner and accuracy")
    ap.add_argument("--sub-lsoda", type=int, default=50, help="subsample for the LSODA loop")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    load0 = os.getloadavg()[0]
    # Cold compile in a fresh cache directory, then measure a warm load in a new process.
    cache = tempfile.mkdtemp(prefix="sepsistwin-bench-cache-")
    os.environ["SEPSISTWIN_CACHE"] = cache
    import numba

    from sepsistwin.model import get_model
    from sepsistwin.model.sbml import to_sbml
    from sepsistwin.solve import DEFAULT_ATOL, DEFAULT_RTOL, simulate_batch

    model = get_model("reynolds2006")
    defaults = model.default_parameters
    t = np.arange(0.0, HOURS + 1.0)
    k_pg, p0 = population(N_PATIENTS)

    t0 = time.perf_counter()
    simulate_batch(model, {"k_pg": k_pg[:2]}, {"P": p0[:2]}, t[:2])
    compile_s = time.perf_counter() - t0
    load_s = warm_load_seconds(cache)
    print(
        f"compile (cold cache): {compile_s:.1f} s; load from cache in a new process: {load_s:.2f} s"
    )

    threads = numba.get_num_threads()
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = simulate_batch(model, {"k_pg": k_pg}, {"P": p0}, t)
        runs.append(time.perf_counter() - t0)
    ours_s = min(runs)
    ours_rate = N_PATIENTS / ours_s
    n_fail = int((~res.ok).sum())
    n_stiff = int(((res.status & 1) != 0).sum())
    numba.set_num_threads(1)
    runs_1t = []
    for _ in range(2):
        t0 = time.perf_counter()
        simulate_batch(model, {"k_pg": k_pg}, {"P": p0}, t)
        runs_1t.append(time.perf_counter() - t0)
    ours_1t_rate = N_PATIENTS / min(runs_1t)
    numba.set_num_threads(threads)
    # Ten times tighter tolerances, for comparison (same kernel, same patients).
    t0 = time.perf_counter()
    res_tight = simulate_batch(model, {"k_pg": k_pg}, {"P": p0}, t, rtol=1e-8, atol=1e-12)
    tight_rate = N_PATIENTS / (time.perf_counter() - t0)
    print(
        f"sepsistwin: {N_PATIENTS} patients in {ours_s:.2f} s = {ours_rate:,.0f} patients/s "
        f"({threads} threads; {ours_1t_rate:,.0f}/s on 1 thread); median steps "
        f"{np.median(res.n_steps):.0f} (mean {res.n_steps.mean():.0f}, of which Rodas4 "
        f"{res.n_stiff_steps.mean():.0f}); used Rodas4 {n_stiff}; failed {n_fail}; "
        f"at rtol 1e-8/atol 1e-12: {tight_rate:,.0f}/s"
    )

    # Reference and accuracy on a subsample.
    sub = np.linspace(0, N_PATIENTS - 1, args.sub).astype(int)
    ref = np.stack([lsoda(k_pg[i], p0[i], t, defaults, 1e-10, 1e-14) for i in sub])
    ours_sub = np.stack([res.states[s][sub] for s in STATES], axis=1)
    err_ours = rel_error(ours_sub, ref)
    err_tight = rel_error(np.stack([res_tight.states[s][sub] for s in STATES], axis=1), ref)

    # Baselines: the loosest (rtol, atol) rung of LADDER that meets the same 1e-4 accuracy on
    # their whole subsample; the timing is that rung's run.
    sub_l = sub[: args.sub_lsoda]
    for lsoda_rtol, lsoda_atol in LADDER:
        t0 = time.perf_counter()
        lso = np.stack([lsoda(k_pg[i], p0[i], t, defaults, lsoda_rtol, lsoda_atol) for i in sub_l])
        lsoda_per = (time.perf_counter() - t0) / sub_l.size
        err_lsoda = rel_error(lso, ref[: sub_l.size])
        if err_lsoda <= 1e-4:
            break
    # Best of three at the chosen rung, as for sepsistwin (the cores are shared).
    for _ in range(2):
        t0 = time.perf_counter()
        for i in sub_l:
            lsoda(k_pg[i], p0[i], t, defaults, lsoda_rtol, lsoda_atol)
        lsoda_per = min(lsoda_per, (time.perf_counter() - t0) / sub_l.size)
    print(
        f"scipy LSODA loop (rtol {lsoda_rtol:g}, atol {lsoda_atol:g}): "
        f"{1 / lsoda_per:,.1f} patients/s on {sub_l.size} patients; max rel err "
        f"{err_lsoda:.1e}"
    )

    # libroadrunner loop on the exported SBML, CVODE at tolerances meeting the same accuracy.
    import roadrunner

    rr = roadrunner.RoadRunner(to_sbml(model))
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = ["time", *STATES]

    def rr_loop(idx: np.ndarray) -> np.ndarray:
        out = []
        for i in idx:
            rr.reset()  # back to the document's initial values, then this patient's inputs
            rr["k_pg"] = float(k_pg[i])
            rr["P"] = float(p0[i])
            out.append(np.asarray(rr.simulate(0.0, float(HOURS), t.size))[:, 1:].T)
        return np.stack(out)

    for rr_rtol, rr_atol in LADDER:
        rr.integrator.relative_tolerance = rr_rtol
        rr.integrator.absolute_tolerance = rr_atol
        t0 = time.perf_counter()
        rr_res = rr_loop(sub)
        rr_per = (time.perf_counter() - t0) / sub.size
        err_rr = rel_error(rr_res, ref)
        if err_rr <= 1e-4:
            break
    for _ in range(2):  # best of three at the chosen rung
        t0 = time.perf_counter()
        rr_loop(sub)
        rr_per = min(rr_per, (time.perf_counter() - t0) / sub.size)
    # Paired rounds: sepsistwin and libroadrunner alternately, so that both see the same
    # machine state (on the shared VM single passes of either side vary by up to ~1.7x within
    # minutes, which biased a ratio of runs minutes apart); best of all runs of each.
    for _ in range(PAIRED_ROUNDS):
        t0 = time.perf_counter()
        simulate_batch(model, {"k_pg": k_pg}, {"P": p0}, t)
        ours_s = min(ours_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        rr_loop(sub)
        rr_per = min(rr_per, (time.perf_counter() - t0) / sub.size)
    ours_rate = N_PATIENTS / ours_s
    print(
        f"libroadrunner loop (CVODE rtol {rr_rtol:g}, atol {rr_atol:g}): "
        f"{1 / rr_per:,.1f} patients/s on {sub.size} patients; max rel err {err_rr:.1e}"
    )
    print(f"sepsistwin max rel err (rtol {DEFAULT_RTOL:g}, atol {DEFAULT_ATOL:g}): {err_ours:.1e}")
    ratio_rr = ours_rate * rr_per
    ratio_lsoda = ours_rate * lsoda_per
    print(
        f"speed-up: {ratio_lsoda:,.0f}x vs scipy LSODA loop, {ratio_rr:,.1f}x vs roadrunner "
        f"loop ({ours_1t_rate * rr_per:,.1f}x per thread)"
    )

    million = ""
    if not args.quick:
        n_m = 1_000_000
        km, pm = population(n_m, SEED + 1)
        td = np.arange(0.0, HOURS + 1.0, 24.0)
        t0 = time.perf_counter()
        rm = simulate_batch(model, {"k_pg": km}, {"P": pm}, td)
        m_s = time.perf_counter() - t0
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        out_gb = sum(a.nbytes for a in [*rm.states.values(), *rm.observables.values()]) / 1e9
        million = (
            f"| 1,000,000 patients, daily outputs (29 save times) | {m_s:.0f} s "
            f"({n_m / m_s:,.0f} patients/s) | peak RSS {peak_gb:.2f} GB "
            f"(result arrays {out_gb:.2f} GB; chunks of 65,536) |"
        )
        print(million)

    row_ours = (
        f"| sepsistwin (Numba DOPRI5 with per-patient switching to Rodas4 and back) | rtol "
        f"{DEFAULT_RTOL:g}, atol {DEFAULT_ATOL:g} (default) | {ours_rate:,.0f} ({threads} "
        f"threads); {ours_1t_rate:,.0f} (1 thread) | {err_ours:.1e} | 1 |"
    )
    row_tight = (
        f"| sepsistwin, ten times tighter tolerances | rtol 1e-08, atol 1e-12 | "
        f"{tight_rate:,.0f} ({threads} threads) | {err_tight:.1e} | |"
    )
    row_lsoda = (
        f"| scipy `solve_ivp` LSODA loop | rtol {lsoda_rtol:g}, atol {lsoda_atol:g} | "
        f"{1 / lsoda_per:,.1f} | {err_lsoda:.1e} | {ratio_lsoda:,.0f}x |"
    )
    row_rr = (
        f"| libroadrunner {roadrunner.__version__} loop (CVODE) on the exported SBML | "
        f"rtol {rr_rtol:g}, atol {rr_atol:g} | {1 / rr_per:,.1f} | {err_rr:.1e} | "
        f"{ratio_rr:,.1f}x ({ours_1t_rate * rr_per:,.1f}x per thread) |"
    )
    target_note = (
        f"Issue #4 target, >= 100x libroadrunner: **{'met' if ratio_rr >= 100 else 'not met'}** "
        f"in this run ({ratio_rr:,.1f}x measured, {ours_1t_rate * rr_per:,.1f}x per thread). "
        "Both sides meet the same 1e-4 criterion on the same patients, timed in one process. "
        "The ratio moves with the shared VM (runs of this script an hour apart, before the "
        "paired rounds, gave 68-101x: docs/architecture.md); treat a single figure as one "
        "sample. What limits it: libroadrunner is itself compiled (LLVM-generated "
        "model, CVODE in C), so the gap is per-simulation overhead plus per-step work, not "
        f"Python vs C. Our cost per patient on one thread ({1e6 / ours_1t_rate:,.0f} µs in this "
        "run) is the integration of ~200 steps (8 patients interleaved per thread), the dense "
        "output of 673 save points, the page faults of 21.5 kB of fresh hourly output and the "
        "observables. See docs/architecture.md, 'What limits speed' and 'Lanes'."
    )
    md = f"""## Solver (`benchmarks/bench_solver.py`)

Machine: {machine_description()}; Numba {numba.__version__}, {threads} threads. Date: {today()}.
Load average at start / end: {load0:.1f} / {os.getloadavg()[0]:.1f} (other work shares the
cores; the baselines run in the same process at the same time, so ratios are less affected).
Reynolds 2006, {N_PATIENTS:,} patients (k_pg ~ U(0.2, 0.7) /h, P(0) ~ U(0.2, 2.0)), 28 days,
hourly outputs ({t.size} save times). Baselines run in the same process on a subsample
({args.sub_lsoda} patients for LSODA, {args.sub} for libroadrunner), per-patient time
extrapolated; every timing is the best of several runs (sepsistwin: 3 calls on 2 threads, 2 on one;
each baseline: its chosen tolerance rung three times; then {PAIRED_ROUNDS} rounds alternating
sepsistwin and libroadrunner, so both see the same machine state), since the cores are shared.
Accuracy: max relative error vs scipy LSODA rtol 1e-10 on {args.sub} patients (floor 1e-6 x
state scale, as in tests/solve/test_accuracy.py).

| solver | tolerances | patients/s | max rel. error | sepsistwin speed-up |
|---|---|---|---|---|
{row_ours}
{row_tight}
{row_lsoda}
{row_rr}

| | time | memory |
|---|---|---|
| compile, cold cache | {compile_s:.1f} s | |
| load cached kernel in a new process (import + first call) | {load_s:.2f} s | |
| {N_PATIENTS:,} patients, hourly, 28 days | {ours_s:.2f} s | |
{million}

Accepted steps per patient: median {np.median(res.n_steps):.0f}, mean {res.n_steps.mean():.0f}
(of which Rodas4: mean {res.n_stiff_steps.mean():.1f}); patients that used Rodas4: {n_stiff:,};
failed: {n_fail}.

{target_note}
"""
    if not args.no_write:
        write_section("solver", md)
        print("wrote section 'solver' of docs/benchmarks.md")


if __name__ == "__main__":
    main()
