"""What-if simulation of one virtual patient under several therapy scenarios.

Inputs are checked in the server (model, parameter and state names, dose syntax, time grid);
the integration runs in a worker process, because a model's first use compiles its kernel
(minutes, then cached on disk) and the compiled kernel holds the interpreter lock while it
integrates. Each scenario's result is the CLI's ``simulate --json`` body.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Highest index of a virtual patient drawn from a population.
MAX_PATIENT_INDEX = 999
#: Bounds on one request.
MAX_HOURS = 24.0 * 180
MAX_POINTS = 5_000
MAX_SCENARIOS = 4
MAX_DOSES = 50
#: Read-outs plotted for the full model (when the model has them), in this order.
KEY_OBSERVABLES = (
    "organ_failure_index",
    "death_probability",
    "pathogen_load",
    "il6",
    "ferritin",
    "mhla_dr",
    "lymphocytes",
    "lactate",
    "pd1_receptor_occupancy",
)
_MAX_PANELS = 9


class SimulationInputError(ValueError):
    """Inputs a simulation cannot run with; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Scenario:
    """A named list of doses (CLI ``--dose`` syntax)."""

    name: str
    doses: tuple[str, ...]


@dataclass(frozen=True)
class SimulationPlan:
    """A checked request: everything the worker needs, as plain values."""

    model: str
    params: dict[str, float]
    init: dict[str, float]
    hours: float
    step: float
    weight_kg: float
    scenarios: tuple[Scenario, ...]
    population: str | None = None
    seed: int = 1
    index: int = 0

    def times(self) -> np.ndarray:
        """Save points: every ``step`` hours, always ending at ``hours``."""
        return np.unique(np.r_[np.arange(0.0, self.hours, self.step), self.hours])


def _schedule(model: Any, doses: tuple[str, ...], weight_kg: float) -> Any:
    from sepsistwin.dosing import Schedule
    from sepsistwin.model.pharmacology import dose_schedule

    sched = Schedule()
    for spec in doses:
        sched = sched + dose_schedule(spec, model.state_names, weight_kg)
    return sched


def check_plan(plan: SimulationPlan) -> SimulationPlan:
    """Check names, doses and the time grid without compiling anything.

    Raises
    ------
    SimulationInputError
        Every problem found, each naming the field and what was expected.
    """
    from sepsistwin.model import get_model, list_models

    errors: list[str] = []
    models = list_models()
    if plan.model not in models:
        raise SimulationInputError([f"model: {plan.model!r} is not one of {', '.join(models)}"])
    m = get_model(plan.model)
    if not (0 < plan.hours <= MAX_HOURS):
        errors.append(f"hours: {plan.hours!r} must be > 0 and <= {MAX_HOURS:g}")
    if not plan.step > 0:
        errors.append(f"step: {plan.step!r} must be > 0 hours")
    elif plan.hours > 0 and plan.hours / plan.step > MAX_POINTS:
        errors.append(
            f"step: {plan.step:g} h gives {plan.hours / plan.step:.0f} save points; at most "
            f"{MAX_POINTS} (use a larger step)"
        )
    if plan.population is not None:
        from sepsistwin.population import PRESETS

        if plan.model != "sepsistwin":
            errors.append(
                f"population: virtual patients are drawn for the 'sepsistwin' model, not "
                f"{plan.model!r}"
            )
        if plan.population not in PRESETS:
            errors.append(f"population: {plan.population!r} is not one of {sorted(PRESETS)}")
        if not 0 <= plan.index <= MAX_PATIENT_INDEX:
            errors.append(f"index: {plan.index!r} must be 0 to {MAX_PATIENT_INDEX}")
        if plan.seed < 0:
            errors.append(f"seed: {plan.seed!r} must be >= 0")
    if not (0 < plan.weight_kg <= 500):
        errors.append(f"weight_kg: {plan.weight_kg!r} must be > 0 and <= 500 kg")
    for kind, values, valid in (
        ("params", plan.params, m.parameter_names),
        ("init", plan.init, m.state_names),
    ):
        unknown = sorted(set(values) - set(valid))
        if unknown:
            errors.append(f"{kind}: unknown name(s) {unknown} for model {m.name!r}")
        bad = [k for k, v in values.items() if not np.isfinite(v)]
        if bad:
            errors.append(f"{kind}: {bad} must be finite numbers")
    if not 1 <= len(plan.scenarios) <= MAX_SCENARIOS:
        errors.append(f"scenarios: give 1 to {MAX_SCENARIOS}, got {len(plan.scenarios)}")
    names = [s.name for s in plan.scenarios]
    if len(set(names)) != len(names):
        errors.append(f"scenarios: names must differ, got {names}")
    for s in plan.scenarios:
        if len(s.doses) > MAX_DOSES:
            errors.append(f"scenario {s.name!r}: at most {MAX_DOSES} doses")
            continue
        try:
            sched = _schedule(m, s.doses, plan.weight_kg)
        except ValueError as exc:
            errors.append(f"scenario {s.name!r}: {exc}")
            continue
        missing = sorted({d.state for d in sched.doses} - set(m.state_names))
        if missing:
            errors.append(
                f"scenario {s.name!r}: model {m.name!r} has no state(s) {missing} for these "
                "doses; therapy doses need a model with pharmacology (sepsistwin)"
            )
    if errors:
        raise SimulationInputError(errors)
    return plan


def virtual_patient(plan: SimulationPlan) -> tuple[dict[str, float], dict[str, float], Any, dict]:
    """Parameters, initial state, standard-care schedule and description of the plan's patient:
    a draw from a virtual population (with its meropenem standard care), or the model's
    defaults (no standard care); the plan's overrides on top."""
    from sepsistwin.population import sample_population
    from sepsistwin.solve import Schedule

    if plan.population is None:
        return dict(plan.params), dict(plan.init), Schedule(), {"source": "model defaults"}
    pop = sample_population(plan.index + 1, preset=plan.population, seed=plan.seed)
    one = pop.subset([plan.index])
    params = {k: float(v[0]) for k, v in one.params.items()}
    init = {k: float(v[0]) for k, v in one.init.items()}
    about = {
        "source": "virtual population",
        "population": plan.population,
        "seed": plan.seed,
        "index": plan.index,
        "weight_kg": float(one.weight_kg[0]),
        "antibiotics_start_h": float(one.abx_start[0]),
        "standard_care": "meropenem 1 g every 8 h for 7 days from the antibiotic start",
    }
    return {**params, **plan.params}, {**init, **plan.init}, one.standard_care(), about


def run_plan(plan: SimulationPlan) -> dict[str, Any]:
    """Integrate every scenario (in the worker process); JSON-ready result."""
    from sepsistwin.api import jsonable
    from sepsistwin.model import get_model
    from sepsistwin.solve import simulate

    m = get_model(plan.model)
    t = plan.times()
    params, init, base, about = virtual_patient(plan)
    weight = about.get("weight_kg", plan.weight_kg)
    out = []
    for s in plan.scenarios:
        sched = base + _schedule(m, s.doses, weight)
        r = simulate(m, params, init, t, doses=sched if len(sched) else None)
        out.append(
            {
                "name": s.name,
                "doses": list(s.doses),
                "status": r.status_of(0).describe(),
                "states": r.states,
                "observables": r.observables,
            }
        )
    return jsonable({"model": m.name, "patient": about, "time": t, "scenarios": out})


def panels(result: dict[str, Any]) -> list[tuple[str, str]]:
    """``(kind, name)`` of the series to plot: the key read-outs of a large model, every state
    of a small one."""
    first = result["scenarios"][0]
    observables = first["observables"]
    key = [("observables", k) for k in KEY_OBSERVABLES if k in observables]
    if key:
        return key[:_MAX_PANELS]
    if len(first["states"]) <= 12:
        return [("states", k) for k in first["states"]][:_MAX_PANELS]
    return [("observables", k) for k in observables][:_MAX_PANELS]


class SimulationRunner:
    """One worker process for simulations, started on first use; one run at a time.

    Parameters
    ----------
    timeout_s
        Longest wait for one request (a model's first use compiles its kernel).
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, plan: SimulationPlan) -> dict[str, Any]:
        """Run a checked plan in the worker (``TimeoutError`` past ``timeout_s``)."""
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            pool = self._pool
        future = pool.submit(run_plan, plan)
        try:
            return future.result(timeout=self.timeout_s)
        except concurrent.futures.process.BrokenProcessPool:
            with self._lock:
                self._pool = None
            raise

    def shutdown(self) -> None:
        """Stop the worker."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
