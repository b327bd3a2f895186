"""Enrolled virtual patients: sampled from a seeded population, screened, drawn by index.

Candidates are drawn in blocks from :func:`sepsistwin.population.sample_population` (block
``b`` of source seed ``s`` from ``SeedSequence([s, b])``), simulated under standard care to the
enrolment time, and screened by the clinical rules (:func:`sepsistwin.population.screen`, the
screening of virtual trials): a patient is enrolled when alive, meeting the preset's enrolment
criterion (septic shock for ``septic_shock``, Sepsis-3 for ``sepsis``) and the tier (phenotype,
minimum SOFA). Enrolled patients are numbered in order, so patient ``k`` of a seed is the same
patient whatever policy runs and whichever environment lane asks for it.

Examples
--------
>>> src = PatientSource(EnvConfig(block_size=16), seed=3)  # doctest: +SKIP
>>> p = src.take(np.array([0, 1]))  # doctest: +SKIP
>>> p.state.shape[0]  # doctest: +SKIP
2
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sepsistwin.control.gym.config import EnvConfig
from sepsistwin.population import load_calibrated_parameters, sample_population, screen
from sepsistwin.population.sampler import PRESET_ENROLMENT, canonical_preset
from sepsistwin.solve import simulate_batch

FloatArray = NDArray[np.float64]

#: Blocks in a row without one enrolled patient before a tier is declared empty.
MAX_EMPTY_BLOCKS = 40
#: Solver tolerances (those of trial simulations): rtol 1e-5, atol 1e-8; closed linear states
#: (drug compartments) at rtol 1e-3, far inside their PK variability (docs/architecture.md,
#: "Trial simulations").
RTOL, ATOL, RTOL_LINEAR = 1e-5, 1e-8, 1e-3
#: Days of standard-care meropenem (as the population's standard care).
CARE_DAYS = 7.0


def solver_rtol(model: Any) -> dict[str, float]:
    """Relative tolerance per state (:data:`RTOL`, :data:`RTOL_LINEAR` for linear states)."""
    from sepsistwin.model import linear_states

    linear = set(linear_states(model))
    return {s: (RTOL_LINEAR if s in linear else RTOL) for s in model.state_names}


@dataclass(frozen=True)
class Patients:
    """Enrolled patients (rows) at their enrolment time.

    Attributes
    ----------
    index : ndarray (k,)
        Enrolment numbers within the source.
    params : ndarray (k, n_params)
        Parameter values (columns :attr:`PatientSource.param_names`).
    state : ndarray (k, n_states)
        Model state at enrolment (model state order).
    observables : ndarray (k, n_observables)
        True observables at enrolment (model order).
    abx_start, weight_kg, death_u : ndarray (k,)
        Antibiotic start (hours after onset), body weight, the uniform draw behind death.
    phenotype : ndarray (k,) of str
        Phenotype screened at enrolment.
    sofa : ndarray (k,)
        SOFA screened at enrolment.
    """

    index: NDArray[np.int64]
    params: FloatArray
    state: FloatArray
    observables: FloatArray
    abx_start: FloatArray
    weight_kg: FloatArray
    death_u: FloatArray
    phenotype: NDArray[np.object_]
    sofa: FloatArray

    def rows(self, idx: NDArray[np.int64]) -> Patients:
        """The patients at row positions ``idx``."""
        return Patients(
            self.index[idx],
            self.params[idx],
            self.state[idx],
            self.observables[idx],
            self.abx_start[idx],
            self.weight_kg[idx],
            self.death_u[idx],
            self.phenotype[idx],
            self.sofa[idx],
        )


def _concat(parts: list[Patients]) -> Patients:
    return Patients(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Patients.__dataclass_fields__)
    )


class PatientSource:
    """Enrolled patients of one seed, generated in blocks on demand.

    Parameters
    ----------
    config : EnvConfig
        Population preset, tier, enrolment time, block size.
    seed : int
        Source seed.
    model : Model
        The built model (``get_model("sepsistwin")``).
    """

    def __init__(self, config: EnvConfig, seed: int, model: Any) -> None:
        self.config = config
        self.seed = int(seed)
        self.model = model
        self.preset = canonical_preset(config.preset)
        self.criterion = PRESET_ENROLMENT[self.preset]
        self.rtol = solver_rtol(model)
        cal = load_calibrated_parameters()  # read once, not once per block
        self._hyper = cal.population
        self._shared = cal.model
        self.param_names: list[str] = []
        self._cached: Patients | None = None  # enrolled patients from index _first on
        self._first = 0
        self._next_block = 0
        self.candidates = 0

    @property
    def n_enrolled(self) -> int:
        """Patients enrolled so far."""
        return self._first + (0 if self._cached is None else self._cached.index.size)

    def _block(self, b: int) -> Patients:
        from sepsistwin.model.pharmacology import standard_care

        cfg = self.config
        ss = np.random.SeedSequence([self.seed, b])
        int_seed = int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        pop = sample_population(
            cfg.block_size,
            preset=self.preset,
            seed=int_seed,
            hyper=self._hyper,
            parameters=self._shared,
        )
        if not self.param_names:
            self.param_names = list(pop.params)
        sched = standard_care(pop.abx_start, days=CARE_DAYS, weight_kg=pop.weight_kg)
        t_enrol = float(cfg.enrol_hours)
        r = simulate_batch(
            self.model,
            pop.params,
            pop.init,
            [0.0, t_enrol],
            rtol=self.rtol,
            atol=ATOL,
            doses=sched,
            n=pop.n,
        )
        self.candidates += pop.n
        s = screen(r, at_hours=t_enrol, seed=int_seed)
        hz = np.asarray(r.states["HZ"])[:, -1]
        alive = hz < -np.log(np.clip(pop.death_u, 1e-300, 1.0))
        keep = alive & r.ok & s[self.criterion].fillna(False).to_numpy(dtype=bool)
        if cfg.phenotypes is not None:
            keep &= s["phenotype"].isin(list(cfg.phenotypes)).to_numpy()
        sofa = s["sofa"].to_numpy(dtype=float)
        keep &= sofa >= cfg.min_sofa
        idx = np.flatnonzero(keep)
        names = self.model.state_names
        state = np.stack([np.asarray(r.states[k])[idx, -1] for k in names], axis=1)
        obs = np.stack(
            [np.asarray(r.observables[k])[idx, -1] for k in self.model.observable_names], axis=1
        )
        return Patients(
            index=np.zeros(idx.size, dtype=np.int64),
            params=np.stack([pop.params[k][idx] for k in self.param_names], axis=1),
            state=np.maximum(state, 0.0),
            observables=obs,
            abx_start=pop.abx_start[idx],
            weight_kg=pop.weight_kg[idx],
            death_u=pop.death_u[idx],
            phenotype=s["phenotype"].to_numpy(dtype=object)[idx],
            sofa=sofa[idx],
        )

    def _extend_to(self, n: int) -> None:
        empty = 0
        while self.n_enrolled < n:
            blk = self._block(self._next_block)
            self._next_block += 1
            if blk.index.size == 0:
                empty += 1
                if empty >= MAX_EMPTY_BLOCKS:
                    raise ValueError(
                        f"no patient enrolled in {empty * self.config.block_size} candidates of "
                        f"preset {self.preset!r} with phenotypes {self.config.phenotypes} and "
                        f"min_sofa {self.config.min_sofa}: the tier is (nearly) empty"
                    )
                continue
            empty = 0
            start = self.n_enrolled
            blk = replace(blk, index=np.arange(start, start + blk.index.size))
            self._cached = blk if self._cached is None else _concat([self._cached, blk])

    def take(self, index: NDArray[np.int64]) -> Patients:
        """Patients number ``index`` (generating blocks as needed).

        Raises ``ValueError`` for an index already released (:meth:`release_below`).
        """
        index = np.asarray(index, dtype=np.int64)
        if index.size and int(index.min()) < self._first:
            raise ValueError(f"patient {int(index.min())} was released (first kept: {self._first})")
        if index.size == 0:
            raise ValueError("no patient requested")
        self._extend_to(int(index.max()) + 1)
        assert self._cached is not None
        return self._cached.rows(index - self._first)

    def release_below(self, index: int) -> None:
        """Forget patients numbered below ``index`` (bounds memory over long training runs)."""
        if self._cached is None or index <= self._first:
            return
        drop = min(index - self._first, self._cached.index.size)
        self._cached = self._cached.rows(np.arange(drop, self._cached.index.size))
        self._first += drop
