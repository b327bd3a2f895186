"""Environment steps per second of the vectorised immune-rebalancing environment.

The vector environment (``gymnasium.make_vec("sepsistwin/ImmuneRebalancing-v0", num_envs=N)``)
advances all lanes with one batched solver call per day. Measured in steady state: after a
warm-up long enough for the lanes' episodes to fall out of step (deaths end episodes early, so
enrolments, with their sampling, first-day simulation and screening, spread over the run), a
random policy (a uniform action per lane and day, the exploration of an RL agent) steps the
environment; an environment step is one lane advanced one day (a lane's enrolment step
included). Two patient supplies: ``fresh`` (every episode a newly sampled, simulated and
screened patient, the default) and ``pool`` (``patient_pool`` of four times the lanes,
enrolled before the run: episodes cycle over a fixed cohort, no screening in the loop).
Baseline: Gymnasium's ``SyncVectorEnv`` over the single-patient environment (one solver call
per patient and day), on fewer lanes.

Wall-clock and process CPU time are both reported: on a machine shared with other work the
wall-clock rate is a lower bound, and CPU time (both kernel threads summed) is what the work
itself costs. CPU time is split into the solver calls (the compiled kernel, which runs the
lanes on all Numba threads) and the rest (Python: observations, dose tables, screening, run on
one thread); ``cpu_rest + cpu_solver / 2`` is then the wall time the same work takes on 2
cores that do nothing else, from which the table gives an estimated rate on 2 dedicated cores.

Run: ``.venv/bin/python benchmarks/bench_gym.py [--lanes 2048] [--steps 150] [--warmup 60]``.
Writes section ``gym`` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import gymnasium as gym
import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sepsistwin.control.gym  # noqa: F401  (registers the environments)
from _report import machine_description, today, write_section
from sepsistwin.control.gym import EnvConfig

ENV_ID = "sepsistwin/ImmuneRebalancing-v0"


def load() -> float:
    """One-minute load average (0 where the platform does not say)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


class SolverClock:
    """Process CPU time spent inside ``simulate_batch`` calls of the environment's modules."""

    def __init__(self) -> None:
        import sepsistwin.control.gym.engine as engine_mod
        import sepsistwin.control.gym.patients as patients_mod

        self.cpu = 0.0
        for mod in (engine_mod, patients_mod):
            original = mod.simulate_batch

            def timed(*args: object, _f=original, **kwargs: object):  # type: ignore[no-untyped-def]
                c0 = time.process_time()
                try:
                    return _f(*args, **kwargs)
                finally:
                    self.cpu += time.process_time() - c0

            mod.simulate_batch = timed  # type: ignore[attr-defined]


CLOCK: SolverClock | None = None


def measure_vector(lanes: int, steps: int, warmup: int, pool: int | None, seed: int) -> dict:
    """Steady-state steps per second of the vector environment with random actions."""
    envs = gym.make_vec(ENV_ID, num_envs=lanes, config=EnvConfig(patient_pool=pool))
    rng = np.random.default_rng(seed)
    n_actions = int(envs.single_action_space.n)  # type: ignore[attr-defined]
    envs.reset(seed=seed)
    if pool is not None:  # the fixed cohort is enrolled once, before the run
        envs.engine.source.take(np.arange(pool))  # type: ignore[attr-defined]
    for _ in range(warmup):
        envs.step(rng.integers(0, n_actions, size=lanes))
    src = envs.engine.source  # type: ignore[attr-defined]
    cand0, enr0 = src.candidates, src.n_enrolled
    episodes = 0
    load0 = load()
    assert CLOCK is not None
    s0 = CLOCK.cpu
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        _, _, term, trunc, _ = envs.step(rng.integers(0, n_actions, size=lanes))
        episodes += int(np.sum(term | trunc))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    solver = CLOCK.cpu - s0
    return {
        "lanes": lanes,
        "steps": steps * lanes,
        "episodes": episodes,
        "cpu_solver_s": solver,
        "dedicated_2core_steps_per_s": steps * lanes / (cpu - solver + solver / 2),
        "wall_s": wall,
        "cpu_s": cpu,
        "steps_per_s": steps * lanes / wall,
        "cpu_ms_per_1000_steps": 1000.0 * cpu / (steps * lanes) * 1000.0,
        "candidates": src.candidates - cand0,
        "enrolled": src.n_enrolled - enr0,
        "load": (load0 + load()) / 2,
    }


def measure_sync(lanes: int, steps: int, seed: int) -> dict:
    """The baseline: SyncVectorEnv over the single-patient environment."""
    envs = gym.make_vec(ENV_ID, num_envs=lanes, vectorization_mode="sync")
    rng = np.random.default_rng(seed)
    envs.reset(seed=seed)
    envs.step(rng.integers(0, 11, size=lanes))
    load0 = load()
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        envs.step(rng.integers(0, 11, size=lanes))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "lanes": lanes,
        "steps": steps * lanes,
        "wall_s": wall,
        "cpu_s": cpu,
        "steps_per_s": steps * lanes / wall,
        "cpu_ms_per_1000_steps": 1000.0 * cpu / (steps * lanes) * 1000.0,
        "load": (load0 + load()) / 2,
    }


def main() -> None:
    """Measure, print and write the docs section."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lanes", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--sync-lanes", type=int, default=32)
    ap.add_argument("--sync-steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-write", action="store_true", help="print only")
    a = ap.parse_args()
    global CLOCK
    CLOCK = SolverClock()
    rows = []
    pool = 4 * a.lanes
    for name, p in (("fresh patients", None), (f"patient pool of {pool:,}", pool)):
        r = measure_vector(a.lanes, a.steps, a.warmup, p, a.seed)
        r["supply"] = name
        rows.append(r)
        print(
            f"vector, {name}: {r['steps_per_s']:,.0f} steps/s wall "
            f"({r['cpu_ms_per_1000_steps']:.0f} ms CPU per 1000 steps, "
            f"{100 * r['cpu_solver_s'] / r['cpu_s']:.0f}% in the solver, load {r['load']:.1f}; "
            f"estimated {r['dedicated_2core_steps_per_s']:,.0f} steps/s on 2 dedicated cores); "
            f"{r['episodes']} episodes, {r['enrolled']} enrolled of {r['candidates']} screened"
        )
    s = measure_sync(a.sync_lanes, a.sync_steps, a.seed)
    print(
        f"baseline SyncVectorEnv x {a.sync_lanes}: {s['steps_per_s']:,.0f} steps/s wall "
        f"({s['cpu_ms_per_1000_steps']:.0f} ms CPU per 1000 steps, load {s['load']:.1f})"
    )
    fresh = rows[0]
    speedup = fresh["steps_per_s"] / s["steps_per_s"]
    print(f"vector (fresh) / SyncVectorEnv: {speedup:.0f}x")
    lines = [
        "## Gymnasium environment (`benchmarks/bench_gym.py`)",
        "",
        f"{today()}, {machine_description()}, {numba.get_num_threads()} Numba threads "
        "(shared with other work: the load average is given per row; wall-clock rates are "
        "lower bounds).",
        "",
        f'`gymnasium.make_vec("{ENV_ID}", num_envs={a.lanes})`, random actions, '
        f"{a.steps} steps after {a.warmup} warm-up steps (steady state); an environment step "
        "is one lane advanced one day (enrolments included). Target: >= 10,000 steps/s on 2 "
        "cores.",
        "",
        "| environment | patients | env steps/s (wall, shared) | CPU ms per 1,000 steps "
        "(in the solver) | estimated env steps/s, 2 dedicated cores | episodes ended | "
        "enrolled / screened | load average |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| vector, {r['lanes']} lanes | {r['supply']} | {r['steps_per_s']:,.0f} | "
            f"{r['cpu_ms_per_1000_steps']:.0f} ({100 * r['cpu_solver_s'] / r['cpu_s']:.0f}%) | "
            f"{r['dedicated_2core_steps_per_s']:,.0f} | {r['episodes']:,} | "
            f"{r['enrolled']:,} / {r['candidates']:,} | {r['load']:.1f} |"
        )
    lines.append(
        f"| baseline: `SyncVectorEnv` over the single environment, {s['lanes']} lanes | "
        f"fresh patients | {s['steps_per_s']:,.0f} | {s['cpu_ms_per_1000_steps']:.0f} | | | | "
        f"{s['load']:.1f} |"
    )
    lines += [
        "",
        f"The batched vector environment is {speedup:.0f}x the `SyncVectorEnv` baseline "
        "(one solver call per patient and day). The estimate for 2 dedicated cores is "
        "`steps / (CPU outside the solver + CPU in the solver / 2)`: the kernel spreads the "
        "lanes over both Numba threads, the rest runs on one.",
    ]
    if not a.no_write:
        write_section("gym", "\n".join(lines))


if __name__ == "__main__":
    main()
