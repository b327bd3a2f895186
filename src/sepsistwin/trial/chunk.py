"""One chunk of a trial: sample, simulate to screening, assess, enroll, randomise, follow up.

A chunk depends only on the spec, the simulator, the chunk size and its index: its seeds are
``SeedSequence(spec.seed, spawn_key=(chunk,))`` and its children, so its rows are the same
whichever process runs it, in whatever order, before or after a resume.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from sepsistwin.clinical import ClinicalConfig, assess, default_config
from sepsistwin.solve import Bolus, Infusion, Schedule
from sepsistwin.trial.arms import ArmContext, arm_kind, policy_kind
from sepsistwin.trial.endpoints import compute_endpoints
from sepsistwin.trial.randomize import randomize
from sepsistwin.trial.simulator import Cohort, TrialSimulator
from sepsistwin.trial.spec import TherapySpec, TrialSpec

#: Hours between screening observations (the clinical code takes each day's worst value).
SCREENING_STEP_HOURS = 4.0

#: Screening values kept per patient (day of screening, worst value of the day).
BASELINE_COLUMNS = ("sofa", "ferritin", "mhla_dr", "lymphocytes", "il6", "il10", "lactate")


@dataclass(frozen=True)
class TrialPlan:
    """Everything a worker needs to run any chunk (picklable).

    Examples
    --------
    >>> from sepsistwin.trial.spec import load_spec
    >>> plan = TrialPlan(load_spec("provide-like").with_size(250), None, chunk_size=100)
    >>> plan.n_chunks, plan.chunk_bounds(2)
    (3, (200, 250))
    """

    spec: TrialSpec
    simulator: TrialSimulator | None
    chunk_size: int
    counterfactual: bool = False

    @property
    def n_chunks(self) -> int:
        """Number of chunks covering the population."""
        return math.ceil(self.spec.population.size / self.chunk_size)

    def chunk_bounds(self, chunk: int) -> tuple[int, int]:
        """Global patient indices ``[start, stop)`` of ``chunk``."""
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.spec.population.size)


@dataclass(frozen=True)
class ChunkOutput:
    """A chunk's rows (``patients``, ``screening`` and, in paired mode, ``counterfactual``):
    DataFrames from :func:`run_chunk`, Arrow tables after :meth:`to_arrow`."""

    chunk: int
    tables: dict[str, pd.DataFrame | pa.Table]
    ledger: dict[str, float]

    def to_arrow(self) -> ChunkOutput:
        """The same rows as the Arrow tables the store inserts (see
        :func:`sepsistwin.store.trial_store.to_arrow`): what a worker sends back to the
        parent, which then only inserts them."""
        from sepsistwin.store.trial_store import to_arrow

        return ChunkOutput(
            self.chunk, {k: to_arrow(v) for k, v in self.tables.items()}, dict(self.ledger)
        )


def chunk_seeds(seed: int, chunk: int) -> list[np.random.SeedSequence]:
    """Independent seeds of a chunk: population, screening (assay noise), randomisation.

    Examples
    --------
    >>> a = chunk_seeds(7, 3)[0].generate_state(1)[0]
    >>> b = chunk_seeds(7, 3)[0].generate_state(1)[0]
    >>> bool(a == b), bool(a != chunk_seeds(7, 4)[0].generate_state(1)[0])
    (True, True)
    """
    return np.random.SeedSequence(int(seed), spawn_key=(int(chunk),)).spawn(3)


def split_schedule(schedule: Schedule, at: float) -> tuple[Schedule, Schedule]:
    """Doses before ``at`` and doses from ``at`` on; an infusion running across ``at`` is cut.

    Per-patient times may fall on both sides of ``at``: each side then keeps the dose with a
    zero amount (or rate) for the patients it does not concern, so no dose is given twice and
    every event of the second part starts at or after ``at``.

    Examples
    --------
    >>> before, after = split_schedule(Infusion("x", 20.0, 10.0, 1.0) + Bolus("x", 30.0, 1.0), 24)
    >>> [(d.start, d.duration) for d in before.doses], len(after.doses)
    ([(20.0, 4.0)], 2)
    """
    pre: list[Bolus | Infusion] = []
    post: list[Bolus | Infusion] = []

    def back(x: NDArray[np.float64]) -> float | NDArray[np.float64]:
        return float(x) if x.ndim == 0 else x

    for d in schedule.doses:
        if isinstance(d, Bolus):
            t = np.asarray(d.time, dtype=float)
            amount = np.asarray(d.amount, dtype=float)
            early = t < at
            if np.all(early):
                pre.append(d)
            elif not np.any(early):
                post.append(d)
            else:
                pre.append(Bolus(d.state, back(t), back(np.where(early, amount, 0.0))))
                post.append(
                    Bolus(d.state, back(np.maximum(t, at)), back(np.where(early, 0.0, amount)))
                )
            continue
        start = np.asarray(d.start, dtype=float)
        dur = np.asarray(d.duration, dtype=float)
        rate = np.asarray(d.rate, dtype=float)
        end = start + dur
        if np.all(end <= at):
            pre.append(d)
        elif np.all(start >= at):
            post.append(d)
        else:
            before_dur = np.where(start < at, np.minimum(end, at) - start, dur)
            pre.append(
                Infusion(
                    d.state, back(start), back(before_dur), back(np.where(start < at, rate, 0.0))
                )
            )
            after_start = np.maximum(start, at)
            after_dur = np.where(end > at, end - after_start, dur)
            post.append(
                Infusion(
                    d.state, back(after_start), back(after_dur), back(np.where(end > at, rate, 0.0))
                )
            )
    return Schedule(tuple(pre)), Schedule(tuple(post))


def screening_times(at_hours: float, n_days: int) -> NDArray[np.float64]:
    """Observation times (hours since onset) of the ``n_days`` days up to screening: the
    window ``(at - 24 n_days, at]``, screening time included, clipped at onset (the
    assessment window rule of :mod:`sepsistwin.clinical.windows`: before 24 h the last day
    holds only the hours since onset).

    Examples
    --------
    >>> screening_times(24.0, 1).tolist()
    [4.0, 8.0, 12.0, 16.0, 20.0, 24.0]
    """
    j = np.arange(0, math.ceil(24.0 * n_days / SCREENING_STEP_HOURS))
    t = at_hours - SCREENING_STEP_HOURS * j
    return np.sort(t[t >= 0.0])


def _screening_assessment(
    obs: pd.DataFrame,
    times: NDArray[np.float64],
    at: float,
    n_days: int,
    n: int,
    alive: NDArray[np.bool_] | None = None,
) -> pd.DataFrame:
    """Assess the observation window of the ``alive`` patients (all when ``None``); rows for
    patients 0..n-1, days 0..n_days-1."""
    pid = obs["patient_id"].to_numpy()
    hours = obs["hours"].to_numpy()
    # One pass over the long table: rows of the window, of patients alive at screening.
    keep = np.isin(hours, times)
    if alive is not None:
        keep &= np.isin(pid, np.flatnonzero(alive))
    # Map the window (at - 24 n, at] onto assessment days 0..n-1 (day d = [24 d, 24 d + 24)):
    # shifted half a step earlier so the screening time itself falls in the last day.
    obs = pd.DataFrame(
        {
            "patient_id": pid[keep],
            "hours": hours[keep] - (at - 24.0 * n_days) - SCREENING_STEP_HOURS / 2,
            "variable": obs["variable"].to_numpy()[keep],
            "value": obs["value"].to_numpy()[keep],
        }
    )
    assessed = assess(obs, config=_clinical_config(), trace=False)
    grid = pd.MultiIndex.from_product(
        [np.arange(n), np.arange(n_days)], names=["patient_id", "day"]
    )
    assessed["patient_id"] = assessed["patient_id"].astype(np.int64)
    return assessed.set_index(["patient_id", "day"]).reindex(grid)


@functools.cache
def _clinical_config() -> ClinicalConfig:
    """The default clinical thresholds, validated once per process (read-only: frozen)."""
    return default_config()


#: States a hair below zero at screening are integration round-off (an adaptive solver
#: overshoots a decaying concentration by ~1e-17): they restart at 0. Anything more negative
#: is left for the solver's input check to report.
ROUND_OFF = 1e-9


def _state_at_end(values: NDArray[np.float64]) -> NDArray[np.float64]:
    last = np.array(values[:, -1], dtype=float)
    last[(last < 0) & (last > -ROUND_OFF)] = 0.0
    return last


class SimulationFailed(RuntimeError):
    """Some virtual patients could not be integrated; their outcomes would be wrong."""


def _check_ok(result: object, ids: NDArray[np.int64], where: str) -> None:
    """Raise :class:`SimulationFailed` if any patient's integration failed: a failed patient
    has NaN outputs, which would read as "no death" and bias the arm, so it is never kept."""
    ok = getattr(result, "ok", None)
    if ok is None:
        return
    bad = np.flatnonzero(~np.asarray(ok))
    if bad.size:
        first = int(bad[0])
        status = result.status_of(first).describe()  # type: ignore[attr-defined]
        raise SimulationFailed(
            f"{where}: {bad.size} of {len(ok)} virtual patient(s) failed to integrate; first: "
            f"patient {int(ids[first])}: {status}. Results would be biased, so the trial stops; "
            "check the model and solver settings"
        )


def _take_schedule(schedule: Schedule, index: NDArray[np.intp]) -> Schedule:
    """The schedule of the patients at ``index`` (per-patient fields subset, scalars kept)."""

    def sub(v: Any) -> Any:
        a = np.asarray(v)
        return v if a.ndim == 0 else a[index]

    out: list[Bolus | Infusion] = []
    for d in schedule.doses:
        if isinstance(d, Bolus):
            out.append(Bolus(d.state, sub(d.time), sub(d.amount)))
        else:
            out.append(Infusion(d.state, sub(d.start), sub(d.duration), sub(d.rate)))
    return Schedule(tuple(out))


def _signature(therapies: Sequence[TherapySpec]) -> str:
    return json.dumps([t.model_dump(mode="json") for t in therapies], sort_keys=True)


def _follow(
    sim: TrialSimulator,
    cohort: Cohort,
    idx: NDArray[np.intp],
    therapies_of: list[list[TherapySpec]],
    background_after: Schedule,
    at: float,
    spec: TrialSpec,
    baseline: dict[str, NDArray[np.float64]],
    hyper0: NDArray[np.bool_],
    first_id: int = 0,
) -> dict[str, NDArray[np.generic]]:
    """Simulate patients ``idx`` (each with its therapies) to the end of follow-up; endpoints
    in the order of ``idx``."""
    days = spec.follow_up_days
    step = 24.0 / sim.samples_per_day
    t_eval = at + np.arange(0.0, days * 24.0 + step / 2, step)
    # Patients with the same therapies (same signature) are simulated together; the
    # signature is computed once per distinct list object (callers share one list per arm and
    # phenotype), not once per patient.
    groups: dict[str, list[int]] = {}
    signature_of: dict[int, str] = {}
    for i, ther in enumerate(therapies_of):
        sig = signature_of.get(id(ther))
        if sig is None:
            sig = signature_of[id(ther)] = _signature(ther)
        groups.setdefault(sig, []).append(i)
    cols: dict[str, NDArray[np.generic]] = {}
    for positions in groups.values():
        pos = np.asarray(positions, dtype=np.intp)
        members = idx[pos]
        sub = cohort.take(members)
        sched = _take_schedule(background_after, members) + sim.schedule(
            therapies_of[positions[0]], at, sub
        )
        res = sim.simulate(sub, sched, t_eval, until_death=True)
        _check_ok(res, first_id + members, "follow-up")
        out = sim.outcomes(res, sub, at, days)
        ends = compute_endpoints(
            out,
            enrollment_hours=at,
            follow_up_days=days,
            baseline={k: v[members] for k, v in baseline.items()},
            baseline_hyperinflammation=hyper0[members],
        )
        for k, v in ends.items():
            if k not in cols:
                cols[k] = np.empty((idx.size, *v.shape[1:]), dtype=v.dtype)
            cols[k][pos] = v
    return cols


def _frame(cols: dict[str, NDArray[np.generic]]) -> pd.DataFrame:
    data: dict[str, object] = {}
    for k, v in cols.items():
        data[k] = list(v) if v.ndim == 2 else v
    return pd.DataFrame(data)


def run_chunk(plan: TrialPlan, chunk: int) -> ChunkOutput:
    """Run chunk ``chunk`` of ``plan`` and return its rows (nothing is written here).

    Examples
    --------
    See :func:`sepsistwin.trial.run_trial`, which runs and stores every chunk.
    """
    t0 = time.perf_counter()
    spec, sim = plan.spec, plan.simulator
    if sim is None:
        raise ValueError("TrialPlan.simulator is None: a chunk needs a TrialSimulator")
    start, stop = plan.chunk_bounds(chunk)
    n = stop - start
    s_pop, s_screen, s_rand = chunk_seeds(spec.seed, chunk)
    cohort = sim.sample(n, spec.population.preset, s_pop)
    if len(cohort) != n:
        raise ValueError(f"simulator.sample returned {len(cohort)} patients, expected {n}")

    at = float(spec.screening.at_hours)
    n_days = max((r.for_days for r in spec.enrollment.rules), default=1)
    times = screening_times(at, n_days)
    care_start = cohort.extra.get("care_start_hours")
    background = sim.schedule(spec.background, 0.0 if care_start is None else care_start, cohort)
    bg_before, bg_after = split_schedule(background, at)
    res = sim.simulate(cohort, bg_before, np.unique(np.concatenate([[0.0], times, [at]])))
    _check_ok(res, start + np.arange(n), "simulation to screening")
    alive = sim.death_hours(res, cohort) > at

    obs = sim.observations(res, cohort, np.random.default_rng(s_screen))
    a = _screening_assessment(obs, times, at, n_days, n, alive)
    last = a.xs(n_days - 1, level="day")
    phenotype = last["phenotype"].fillna("indeterminate").to_numpy(dtype=object)
    immune_state = last["immune_state"].fillna("indeterminate").to_numpy(dtype=object)
    shock = last["septic_shock"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    baseline = {
        c: (last[c].to_numpy(dtype=float) if c in last else np.full(n, np.nan))
        for c in BASELINE_COLUMNS
    }

    eligible = alive.copy()
    # Why each screened patient was not enrolled: the first criterion it fails, in the order
    # they are applied (the CONSORT flow's reasons).
    reason = np.full(n, "", dtype=object)

    def require(ok: NDArray[np.bool_], why: str) -> None:
        nonlocal eligible
        reason[eligible & ~ok] = why
        eligible &= ok

    # A preset's patients are enrolled only once they meet its criterion (septic shock for
    # ``septic_shock``, Sepsis-3 for ``sepsis``).
    criterion_of = getattr(sim, "enrolment_criterion", None)
    criterion = criterion_of(spec.population.preset) if criterion_of is not None else None
    if criterion is not None and criterion in last:
        require(
            last[criterion].astype("boolean").fillna(False).to_numpy(dtype=bool),
            f"not {criterion.replace('_', ' ')} ({spec.population.preset} preset)",
        )
    if spec.enrollment.phenotypes:
        require(
            np.isin(phenotype, spec.enrollment.phenotypes),
            "phenotype not enrolled (" + ", ".join(spec.enrollment.phenotypes) + " only)",
        )
    for rule in spec.enrollment.rules:
        col = (
            # Float64 first: yes/no criteria (sepsis3) are nullable booleans -> 1/0, NA -> NaN.
            a[rule.variable]
            .astype("Float64")
            .to_numpy(dtype=float, na_value=np.nan)
            .reshape(n, n_days)
            if rule.variable in a
            else np.full((n, n_days), np.nan)
        )
        require(rule.holds(col[:, n_days - rule.for_days :]), f"rule not met: {rule.text}")
    idx = np.flatnonzero(eligible)

    strata_cols = {
        "phenotype": phenotype,
        "immune_state": immune_state,
        "septic_shock": shock.astype(str),
    }
    strata = [strata_cols[s][idx] for s in spec.randomization.stratify_by]
    arm_of = randomize(
        [a.allocation for a in spec.arms],
        idx.size,
        np.random.default_rng(s_rand),
        strata=strata,
        block_size=spec.randomization.block_size,
    )

    hyper0 = np.isin(immune_state, ("hyperinflammatory", "mixed")) | (phenotype == "MALS")
    at_screen = cohort.with_init({s: _state_at_end(v) for s, v in res.states.items()})
    traj_base = {
        "sofa": baseline["sofa"],
        "lymphocytes": baseline["lymphocytes"],
        "mhla_dr": baseline["mhla_dr"],
    }
    arm_names = np.array(spec.arm_names, dtype=object)
    policy_arms = [k for k, arm in enumerate(spec.arms) if policy_kind(arm) is not None]
    # A policy's decisions per (arm, patient): computed once, shared by the randomised and
    # the counterfactual rows (they are deterministic in the patient's seed).
    decided: dict[tuple[int, int], tuple[list[TherapySpec], str]] = {}

    def policy_therapies(
        members: NDArray[np.intp], arm_index: NDArray[np.intp], ther: list[list[TherapySpec]]
    ) -> NDArray[np.object_]:
        texts = np.full(members.size, "", dtype=object)
        for k in policy_arms:
            pos = np.flatnonzero(arm_index == k)
            todo = np.array([p for p in pos if (k, int(members[p])) not in decided], dtype=int)
            if todo.size:
                sel = members[todo]
                ctx = ArmContext(
                    spec,
                    sim,
                    at_screen.take(sel),
                    (start + sel).astype(np.int64),
                    at,
                    _take_schedule(bg_after, sel),
                    np.asarray(res.time, dtype=float),
                    {name: np.atleast_2d(v)[sel] for name, v in res.observables.items()},
                    int(spec.seed),
                )
                arm = spec.arms[k]
                kind_name = policy_kind(arm)
                assert kind_name is not None
                lists, notes = arm_kind(kind_name)(arm).therapies(ctx)
                for i, t, note in zip(sel.tolist(), lists, notes, strict=True):
                    decided[(k, int(i))] = (t, note)
            for p in pos:
                ther[p], texts[p] = decided[(k, int(members[p]))]
        return texts

    def rows(members: NDArray[np.intp], arm_index: NDArray[np.intp]) -> pd.DataFrame:
        # Therapies depend on the arm and the phenotype only: one list per distinct pair,
        # shared by its patients.
        per_pair: dict[tuple[int, str], list[TherapySpec]] = {}
        ther = []
        for ph, k in zip(phenotype[members].tolist(), arm_index.tolist(), strict=True):
            key = (int(k), str(ph))
            t = per_pair.get(key)
            if t is None:
                t = per_pair[key] = spec.arms[key[0]].therapies_for(key[1])
            ther.append(t)
        texts = policy_therapies(members, arm_index, ther) if policy_arms else None
        cols = _follow(
            sim, at_screen, members, ther, bg_after, at, spec, traj_base, hyper0, first_id=start
        )
        head = pd.DataFrame(
            {
                "patient_id": (start + members).astype(np.int64),
                "chunk": np.full(members.size, chunk, dtype=np.int32),
                "arm": arm_names[arm_index],
                "phenotype": phenotype[members],
                "immune_state": immune_state[members],
                "septic_shock": shock[members],
                **{f"baseline_{c}": baseline[c][members] for c in BASELINE_COLUMNS},
            }
        )
        if texts is not None:
            # Trials with a policy arm record its decisions (JSON; empty for other arms).
            head["decisions"] = texts.astype(str)
        return pd.concat([head, _frame(cols)], axis=1)

    tables: dict[str, pd.DataFrame | pa.Table] = {}
    tables["patients"] = rows(idx, arm_of) if idx.size else pd.DataFrame()
    if plan.counterfactual and idx.size:
        k = len(spec.arms)
        tables["counterfactual"] = rows(np.repeat(idx, k), np.tile(np.arange(k), idx.size))
    if tables["patients"].empty:
        del tables["patients"]

    screened = pd.DataFrame(
        {"phenotype": phenotype[alive], "enrolled": eligible[alive], "reason": reason[alive]}
    )
    counts = (
        screened.groupby("phenotype")
        .agg(n_screened=("enrolled", "size"), n_enrolled=("enrolled", "sum"))
        .reset_index()
    )
    # Reasons for non-enrolment per phenotype, as JSON {reason: count} (one column, so the
    # table keeps its shape whatever the enrollment rules are).
    excluded = screened[~screened["enrolled"]]
    by_reason = excluded.groupby(["phenotype", "reason"]).size()
    counts["not_enrolled"] = [
        json.dumps(
            {str(r): int(k) for r, k in by_reason.loc[ph].items()}
            if ph in by_reason.index.get_level_values(0)
            else {}
        )
        for ph in counts["phenotype"]
    ]
    counts.insert(0, "chunk", np.int32(chunk))
    counts["n_screened"] = counts["n_screened"].astype(np.int64)
    counts["n_enrolled"] = counts["n_enrolled"].astype(np.int64)
    tables["screening"] = counts
    ledger = {
        "n_sampled": n,
        "n_died_before_screening": int((~alive).sum()),
        "n_screened": int(alive.sum()),
        "n_enrolled": int(idx.size),
        "seconds": time.perf_counter() - t0,
    }
    return ChunkOutput(chunk, tables, ledger)
