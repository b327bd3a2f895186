"""Lanes restarted from saved states reproduce one continuous simulation; tiers enrol as said."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sepsistwin.control.gym import EnvConfig
from sepsistwin.control.gym.engine import LaneEngine
from sepsistwin.control.gym.patients import ATOL, CARE_DAYS, PatientSource, solver_rtol
from sepsistwin.dosing import Bolus, Infusion, Schedule
from sepsistwin.model import get_model
from sepsistwin.model.pharmacology import standard_care
from sepsistwin.population import sample_population
from sepsistwin.solve import simulate_batch


def from_time(sched: Schedule, t0: float, n: int) -> Schedule:
    """The part of ``sched`` from ``t0`` on (an infusion running at ``t0`` continues)."""
    out: list[Bolus | Infusion] = []
    for d in sched.doses:
        if isinstance(d, Bolus):
            t = np.broadcast_to(np.asarray(d.time, dtype=float), (n,))
            amount = np.where(t >= t0, np.asarray(d.amount, dtype=float), 0.0)
            out.append(Bolus(d.state, np.maximum(t, t0), amount))
        else:
            st = np.broadcast_to(np.asarray(d.start, dtype=float), (n,))
            en = st + np.asarray(d.duration, dtype=float)
            live = en > t0
            s0 = np.maximum(st, t0)
            out.append(
                Infusion(
                    d.state,
                    s0,
                    np.where(live, en - s0, 1.0),
                    np.where(live, np.asarray(d.rate, dtype=float), 0.0),
                )
            )
    return Schedule(tuple(out))


def test_day_by_day_restarts_match_one_continuous_simulation_with_the_same_doses() -> None:
    cfg = EnvConfig(horizon_days=4, block_size=16)
    eng = LaneEngine(cfg, 6)
    eng.seed(21)
    lanes = np.arange(6)
    eng.load(lanes, lanes)
    pat = eng.source.take(lanes) if eng.source else None
    assert pat is not None
    # per day: anakinra q8h in lanes 0-1 (boluses), the 24 h anakinra infusion in lane 2 (ends
    # exactly at the boundary), GM-CSF SC in lane 3; nothing in lanes 4-5.
    plan = {0: 0, 1: 0, 2: 1, 3: 3}
    sched = standard_care(pat.abx_start, days=CARE_DAYS, weight_kg=pat.weight_kg)
    t_enrol = cfg.enrol_hours
    for _day in range(4):
        chosen = np.zeros((6, len(eng.catalogue.levels)), dtype=bool)
        for lane, level in plan.items():
            chosen[lane, level] = True
        eng.step(lanes, chosen)
    # the reference: from the enrolment state, all doses at once, one integration
    for lane, level in plan.items():
        lv = eng.catalogue.levels[level]
        for day in range(4):
            at = np.full(6, t_enrol + 24.0 * day)
            s = lv.schedule(at, pat.weight_kg, 24.0)
            mask = np.zeros(6)
            mask[lane] = 1.0
            for d in s.doses:
                if isinstance(d, Bolus):
                    sched = sched + Bolus(d.state, d.time, np.asarray(d.amount) * mask)
                elif isinstance(d, Infusion):
                    sched = sched + Infusion(
                        d.state, d.start, d.duration, np.asarray(d.rate) * mask
                    )
    m = get_model("sepsistwin")
    ref = simulate_batch(
        m,
        {k: pat.params[:, j] for j, k in enumerate(eng.source.param_names)},
        {s: pat.state[:, i] for i, s in enumerate(m.state_names)},
        [t_enrol, t_enrol + 96.0],
        rtol=solver_rtol(m),
        atol=ATOL,
        doses=from_time(sched, t_enrol, 6),
        n=6,
    )
    for name in ("HZ", "anakinra_c", "gm_csf_c", "meropenem_c", "HLA", "FER"):
        i = m.state_names.index(name)
        np.testing.assert_allclose(
            eng.state[:, i], np.asarray(ref.states[name])[:, -1], rtol=2e-3, atol=1e-6
        )
    assert np.all(eng.state[:2, m.state_names.index("anakinra_c")] > 0)


def test_the_enrolment_state_is_the_population_simulated_under_standard_care() -> None:
    cfg = EnvConfig(block_size=16)
    m = get_model("sepsistwin")
    src = PatientSource(cfg, seed=4, model=m)
    p = src.take(np.array([0]))
    # recompute the first block and find the same patient
    ss = np.random.SeedSequence([4, 0])
    pop = sample_population(16, seed=int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)))
    r = simulate_batch(
        m,
        pop.params,
        pop.init,
        [0.0, 24.0],
        rtol=solver_rtol(m),
        atol=ATOL,
        doses=pop.standard_care(),
    )
    hz = np.asarray(r.states["HZ"])[:, -1]
    j = int(np.argmin(np.abs(hz - p.state[0, m.state_names.index("HZ")])))
    assert p.abx_start[0] == pop.abx_start[j]
    assert p.weight_kg[0] == pop.weight_kg[j]


@pytest.mark.parametrize("tier", [("MALS",), ("immunoparalysis",)])
def test_a_phenotype_tier_enrols_only_that_screened_phenotype(tier: tuple[str, ...]) -> None:
    src = PatientSource(EnvConfig(phenotypes=tier, block_size=32), 7, get_model("sepsistwin"))
    p = src.take(np.arange(4))
    assert set(p.phenotype) == set(tier)
    assert src.candidates > 4


def test_a_severity_tier_enrols_only_patients_at_or_above_the_sofa() -> None:
    src = PatientSource(EnvConfig(min_sofa=10, block_size=32), 7, get_model("sepsistwin"))
    assert np.all(src.take(np.arange(3)).sofa >= 10)


def test_patients_are_numbered_in_order_and_released_patients_are_refused() -> None:
    src = PatientSource(EnvConfig(block_size=16), 9, get_model("sepsistwin"))
    a = src.take(np.array([2, 0]))
    assert a.index.tolist() == [2, 0]
    b = src.take(np.array([0]))
    np.testing.assert_array_equal(a.state[1], b.state[0])
    src.release_below(2)
    with pytest.raises(ValueError, match="released"):
        src.take(np.array([1]))
    np.testing.assert_array_equal(src.take(np.array([2])).state[0], a.state[0])


def test_the_sepsis_preset_enrols_on_sepsis3_with_lower_mortality_risk_on_average() -> None:
    m = get_model("sepsistwin")
    shock = PatientSource(EnvConfig(block_size=64), 1, m).take(np.arange(40))
    sepsis = PatientSource(replace(EnvConfig(block_size=64), preset="sepsis"), 1, m).take(
        np.arange(40)
    )
    assert np.mean(sepsis.sofa) < np.mean(shock.sofa)
