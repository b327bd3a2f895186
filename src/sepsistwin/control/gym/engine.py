"""The lanes behind both environments: patients advanced one decision interval at a time.

Each lane holds one patient: parameters, the model state at its current time, the dose events
still to come (standard-care meropenem and the doses the agent chose) and its clock (hours after
infection onset). A step advances any set of lanes by one interval in one
:func:`sepsistwin.solve.simulate_batch` call that starts from the lanes' saved states
(``init``): the model is autonomous (no rate depends on time), so every lane is integrated over
the same window ``[0, interval]`` with its dose times shifted by its own clock. Doses are cut to
the window (an infusion running across a boundary continues in the next window at the same
rate), so restarting from the saved state reproduces one continuous simulation to the solver
tolerance (``tests/control/gym``).

Examples
--------
>>> eng = LaneEngine(EnvConfig(block_size=16), n_lanes=2)  # doctest: +SKIP
>>> eng.seed(0); eng.load(np.array([0, 1]), np.array([0, 1]))  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sepsistwin.control.gym.actions import ActionCatalogue
from sepsistwin.control.gym.config import EnvConfig
from sepsistwin.control.gym.observe import Measurer, ObservationLayout, sofa_components
from sepsistwin.control.gym.patients import ATOL, CARE_DAYS, PatientSource, solver_rtol
from sepsistwin.dosing import Bolus, Infusion, Schedule
from sepsistwin.model import get_model
from sepsistwin.solve import simulate_batch
from sepsistwin.twin.observation import observation_model

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_BOLUS, _INFUSION = 0, 1


@dataclass
class StepResult:
    """What one interval gave the stepped lanes (arrays over those lanes)."""

    reward: FloatArray
    terminated: BoolArray
    truncated: BoolArray
    died: BoolArray
    survival_probability: FloatArray


class LaneEngine:
    """Patients in ``n_lanes`` lanes, stepped together by one batched solver call.

    Parameters
    ----------
    config : EnvConfig
        Episode settings.
    n_lanes : int
        Number of lanes.
    model : str
        Model preset (default ``"sepsistwin"``; it must be autonomous and have the
        ``HZ`` cumulative-hazard state).
    """

    def __init__(self, config: EnvConfig, n_lanes: int, model: str = "sepsistwin") -> None:
        if isinstance(n_lanes, bool) or int(n_lanes) != n_lanes or n_lanes < 1:
            raise ValueError(f"n_lanes must be a positive integer, got {n_lanes!r}")
        self.config = config
        self.n = int(n_lanes)
        self.model = get_model(model)
        if self.model.uses_time:
            raise ValueError(f"model {model!r} depends on time explicitly; lanes need autonomy")
        if "HZ" not in self.model.state_names:
            raise ValueError(f"model {model!r} has no cumulative death hazard state 'HZ'")
        self.catalogue = ActionCatalogue(config.levels, config.action_mode)
        self.layout = ObservationLayout(self.catalogue.therapies)
        self.measurer = Measurer(
            observation_model(self.model), self.model.observable_names, config.missing
        )
        self.rtol = solver_rtol(self.model)
        self.state_names: tuple[str, ...] = tuple(self.model.state_names)
        self.observable_names: tuple[str, ...] = tuple(self.model.observable_names)
        self.state_index = {s: i for i, s in enumerate(self.state_names)}
        self._hz = self.state_index["HZ"]
        self._level_therapy = np.zeros((len(self.catalogue.levels), len(self.catalogue.therapies)))
        for i, lv in enumerate(self.catalogue.levels):
            self._level_therapy[i, self.catalogue.therapies.index(lv.therapy)] = 1.0
        n, ns, no = self.n, len(self.state_names), len(self.observable_names)
        self.params = np.zeros((n, 0))
        self.state = np.zeros((n, ns))
        self.observables = np.zeros((n, no))
        self.clock = np.zeros(n)
        self.day = np.zeros(n, dtype=np.int64)
        self.threshold = np.full(n, np.inf)
        self.hz0 = np.zeros(n)
        self.sofa_true = np.zeros(n)
        self.weight = np.full(n, 75.0)
        self.patient = np.full(n, -1, dtype=np.int64)
        self.phenotype = np.full(n, "", dtype=object)
        self.dosed = np.zeros((n, len(self.catalogue.therapies)), dtype=np.float32)
        self._ev = {
            k: np.zeros(0, dtype=dt)
            for k, dt in (
                ("lane", np.int64),
                ("state", np.int64),
                ("kind", np.int64),
                ("start", float),
                ("end", float),
                ("value", float),
            )
        }
        self.source: PatientSource | None = None
        self.rng = np.random.default_rng(0)

    # --- patients -----------------------------------------------------------------------------
    def seed(self, seed: int) -> None:
        """Start a new patient source and observation noise stream from ``seed``."""
        self.source = PatientSource(self.config, seed, self.model)
        self.rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))

    def load(self, lanes: IntArray, patients: IntArray) -> None:
        """Put enrolled patients number ``patients`` into ``lanes`` (their day 0)."""
        from sepsistwin.model.pharmacology import standard_care

        if self.source is None:
            raise RuntimeError("seed the engine before loading patients")
        p = self.source.take(patients)
        if self.params.shape[1] != p.params.shape[1]:
            self.params = np.zeros((self.n, p.params.shape[1]))
        self.params[lanes] = p.params
        self.state[lanes] = p.state
        self.observables[lanes] = p.observables
        self.clock[lanes] = self.config.enrol_hours
        self.day[lanes] = 0
        self.threshold[lanes] = -np.log(np.clip(p.death_u, 1e-300, 1.0))
        self.hz0[lanes] = p.state[:, self._hz]
        self.weight[lanes] = p.weight_kg
        self.patient[lanes] = p.index
        self.phenotype[lanes] = p.phenotype
        self.dosed[lanes] = 0.0
        self.sofa_true[lanes] = self._true_sofa(p.observables)
        self._drop_events(lanes)
        self._add_schedule(lanes, standard_care(p.abx_start, days=CARE_DAYS, weight_kg=p.weight_kg))

    def _true_sofa(self, observables: FloatArray) -> FloatArray:
        m = self.measurer
        return sofa_components(m.true_values(observables), m.sofa_thresholds)[:, -1]

    # --- dose events --------------------------------------------------------------------------
    def _drop_events(self, lanes: IntArray) -> None:
        keep = ~np.isin(self._ev["lane"], lanes)
        self._ev = {k: v[keep] for k, v in self._ev.items()}

    def _add_schedule(self, lanes: IntArray, sched: Schedule) -> None:
        k = lanes.size
        rows: dict[str, list[Any]] = {key: [] for key in self._ev}
        for d in sched.doses:
            if isinstance(d, Bolus):
                start = np.broadcast_to(np.asarray(d.time, dtype=float), (k,))
                end, value, kind = start, np.asarray(d.amount, dtype=float), _BOLUS
            elif isinstance(d, Infusion):
                start = np.broadcast_to(np.asarray(d.start, dtype=float), (k,))
                end = start + np.asarray(d.duration, dtype=float)
                value, kind = np.asarray(d.rate, dtype=float), _INFUSION
            else:  # pragma: no cover - schedules hold boluses and infusions only
                raise TypeError(f"unexpected dose {d!r}")
            rows["lane"].append(lanes)
            rows["state"].append(np.full(k, self.state_index[d.state], dtype=np.int64))
            rows["kind"].append(np.full(k, kind, dtype=np.int64))
            rows["start"].append(start)
            rows["end"].append(np.broadcast_to(end, (k,)))
            rows["value"].append(np.broadcast_to(value, (k,)))
        if rows["lane"]:
            self._ev = {
                key: np.concatenate([self._ev[key], *rows[key]]).astype(self._ev[key].dtype)
                for key in self._ev
            }

    def _window_schedule(self, lanes: IntArray, dt: float) -> Schedule:
        """The lanes' dose events inside ``[clock, clock + dt)``, times relative to the clock."""
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[lanes] = np.arange(lanes.size)
        ev = self._ev
        p = pos[ev["lane"]]
        clock = np.where(p >= 0, self.clock[ev["lane"]], 0.0)
        s_rel, e_rel = ev["start"] - clock, ev["end"] - clock
        bolus = ev["kind"] == _BOLUS
        inside = np.where(bolus, (s_rel >= 0) & (s_rel < dt), (s_rel < dt) & (e_rel > 0))
        sel = np.flatnonzero((p >= 0) & inside & (ev["value"] > 0))
        if sel.size == 0:
            return Schedule()
        k = lanes.size
        key = ev["state"][sel] * 2 + ev["kind"][sel]
        order = np.lexsort((p[sel], key))
        sel, key = sel[order], key[order]
        lane_pos = p[sel]
        # rank of each event among the events of the same (state, kind) and lane
        grp = key * k + lane_pos
        first = np.r_[True, grp[1:] != grp[:-1]]
        starts = np.flatnonzero(first)
        run = np.arange(sel.size) - np.repeat(starts, np.diff(np.r_[starts, sel.size]))
        names = self.state_names
        doses: list[Bolus | Infusion] = []
        for kk in np.unique(key):
            in_key = key == kk
            state, kind = names[int(kk) // 2], int(kk) % 2
            for r in range(int(run[in_key].max()) + 1):
                m = in_key & (run == r)
                lp, ix = lane_pos[m], sel[m]
                value = np.zeros(k)
                value[lp] = ev["value"][ix]
                if kind == _BOLUS:
                    t = np.zeros(k)
                    t[lp] = s_rel[ix]
                    doses.append(Bolus(state, t, value))
                else:
                    t = np.zeros(k)
                    dur = np.full(k, dt)
                    s0 = np.maximum(s_rel[ix], 0.0)
                    t[lp] = s0
                    dur[lp] = np.minimum(e_rel[ix], dt) - s0
                    doses.append(Infusion(state, t, dur, value))
        return Schedule(tuple(doses))

    def _expire_events(self) -> None:
        ev = self._ev
        keep = ev["end"] >= self.clock[ev["lane"]] - 1e-9
        keep &= ~((ev["kind"] == _BOLUS) & (ev["start"] < self.clock[ev["lane"]] - 1e-9))
        self._ev = {key: v[keep] for key, v in ev.items()}

    # --- stepping -----------------------------------------------------------------------------
    def step(self, lanes: IntArray, chosen: BoolArray) -> StepResult:
        """Give the lanes the dose levels ``chosen`` (k, n_levels) and advance one interval."""
        cfg = self.config
        dt = float(cfg.interval_hours)
        k = lanes.size
        for j, lv in enumerate(self.catalogue.levels):
            on = np.flatnonzero(chosen[:, j])
            if on.size:
                ln = lanes[on]
                self._add_schedule(ln, lv.schedule(self.clock[ln], self.weight[ln], dt))
        dosed = (chosen.astype(float) @ self._level_therapy > 0).astype(np.float32)
        sched = self._window_schedule(lanes, dt)
        names = self.state_names
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # failures are handled below
            r = simulate_batch(
                self.model,
                {name: self.params[lanes, j] for j, name in enumerate(self._param_names())},
                {s: self.state[lanes, i] for i, s in enumerate(names)},
                [0.0, dt],
                rtol=self.rtol,
                atol=ATOL,
                doses=sched,
                n=k,
            )
        new_state = np.stack([np.asarray(r.states[s])[:, -1] for s in names], axis=1)
        new_obs = np.stack(
            [np.asarray(r.observables[o])[:, -1] for o in self.observable_names], axis=1
        )
        failed = ~np.asarray(r.ok) | ~np.all(np.isfinite(new_state), axis=1)
        new_state = np.where(failed[:, None], self.state[lanes], np.maximum(new_state, 0.0))
        new_obs = np.where(failed[:, None], self.observables[lanes], new_obs)
        self.state[lanes] = new_state
        self.observables[lanes] = new_obs
        self.clock[lanes] += dt
        self.day[lanes] += 1
        self.dosed[lanes] = dosed
        self._expire_events()

        hz = new_state[:, self._hz]
        surv = np.exp(-(hz - self.hz0[lanes]))
        horizon = self.day[lanes] >= cfg.n_steps
        if cfg.death == "sample":
            died = (hz >= self.threshold[lanes]) & ~failed
        else:
            died = np.zeros(k, dtype=bool)
        terminated = (died | horizon) & ~failed
        reward = np.zeros(k)
        if cfg.death == "sample":
            reward[died] = cfg.death_reward
            reward[horizon & ~died & ~failed] = cfg.survival_reward
        else:
            end = horizon & ~failed
            reward[end] = surv[end] * cfg.survival_reward + (1 - surv[end]) * cfg.death_reward
        if cfg.sofa_weight:
            new_sofa = self._true_sofa(new_obs)
            prev = self.sofa_true[lanes]
            # Potential-based: phi = -w * SOFA, and phi = 0 at a terminal state.
            reward += cfg.sofa_weight * np.where(terminated, prev, prev - new_sofa)
            self.sofa_true[lanes] = new_sofa
        if cfg.dose_cost:
            reward -= cfg.dose_cost * dosed.sum(axis=1)
        return StepResult(reward, terminated, failed, died, surv)

    def _param_names(self) -> list[str]:
        assert self.source is not None
        return self.source.param_names

    # --- observations -------------------------------------------------------------------------
    def observe(self, lanes: IntArray) -> NDArray[np.float32]:
        """Observation vectors (k, layout.size) of the lanes at their current time."""
        lay = self.layout
        vals, measured, sofa_vals = self.measurer.measure(self.observables[lanes], self.rng)
        out = np.zeros((lanes.size, lay.size), dtype=np.float32)
        out[:, lay.values] = np.nan_to_num(vals, nan=0.0)
        out[:, lay.measured] = measured
        out[:, lay.sofa] = sofa_vals
        out[:, lay.dosed] = self.dosed[lanes]
        out[:, lay.day] = self.day[lanes] * (self.config.interval_hours / 24.0)
        return out

    def debug_info(self, lanes: IntArray) -> dict[str, Any]:
        """The full model state and true observables of the lanes (debugging only)."""
        return {
            "state": self.state[lanes].copy(),
            "state_names": list(self.state_names),
            "true_observables": self.observables[lanes].copy(),
            "observable_names": list(self.observable_names),
        }
