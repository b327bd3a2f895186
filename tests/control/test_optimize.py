"""optimize(twin): the plan, its paired effect, the harm cap, the rules, the receding horizon."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from sepsistwin.control import (
    ClosedLoop,
    Objective,
    OptimizerSettings,
    Plan,
    closed_loop,
    optimize,
)
from sepsistwin.twin import Twin


@pytest.fixture(scope="module")
def plan(twin: Twin, fast: OptimizerSettings) -> Plan:
    return optimize(twin, settings=fast)


def test_the_plan_is_a_recommended_therapy_inside_its_decision_space(
    twin: Twin, plan: Plan
) -> None:
    recommended = {t for t, _, _ in twin.options()}
    assert {s.therapy for s in plan.spaces} <= recommended and plan.spaces
    assert plan.decision_hours == np.ceil(twin.data.last_hours)
    for c in plan.candidates:
        space = next(s for s in plan.spaces if s.therapy == c.regimen.therapy)
        assert space.dose_low <= c.regimen.dose <= space.dose_high
        assert c.regimen.start_hours >= plan.decision_hours
        if c.source == "optimised":
            assert all(t < plan.decision_hours + 24 * plan.horizon_days for t in c.regimen.times)


def test_candidates_are_ranked_by_score_and_the_plan_is_the_best_feasible(plan: Plan) -> None:
    scores = [c.effect.score for c in plan.candidates]
    assert scores == sorted(scores, reverse=True)
    if plan.regimen is not None:
        assert plan.effect is not None and plan.effect.feasible
        assert plan.effect.p_harm <= plan.objective.harm_cap
        best = next(c for c in plan.candidates if c.effect.feasible and c.source == "optimised")
        assert best.regimen == plan.regimen
        assert plan.effect.score > plan.objective.min_gain


def test_rule_regimens_scored_in_the_batch_match_the_twin_whatif(twin: Twin, plan: Plan) -> None:
    # The optimiser's batched lanes (per-lane, per-kg doses) and the twin's own what-if
    # simulate the same paired draws: IL-7 10 ug/kg IM, eight doses.
    [rule] = [spec for t, spec, _ in twin.options() if t == "il7"]
    settings = OptimizerSettings(draws=4, report_draws=None, popsize=2, generations=1)
    full = optimize(twin, settings=settings, therapies=["il7"])
    [w] = twin.whatif([rule], include_recommended=False)
    [e] = [c.effect for c in full.rule_based if c.regimen.spec == rule]
    assert e.n_draws == len(w.delta_mortality)
    assert e.delta_mortality_mean == pytest.approx(float(w.delta_mortality.mean()), abs=1e-9)
    assert e.p_harm == pytest.approx(w.p_harm)
    assert e.hyperinflammation_risk == pytest.approx(float(w.hyper_therapy.mean()))


def test_the_plan_is_reproducible_with_its_seed(
    twin: Twin, plan: Plan, fast: OptimizerSettings
) -> None:
    again = optimize(twin, settings=fast)
    assert again.to_dict() | {"seconds": 0} == plan.to_dict() | {"seconds": 0}


def test_a_zero_harm_cap_with_an_impossible_gain_gives_no_immunotherapy(
    twin: Twin, fast: OptimizerSettings
) -> None:
    p = optimize(twin, settings=fast, objective=Objective(min_gain=1.0), therapies=["nivolumab"])
    assert p.no_immunotherapy and p.regimen is None and p.doses_between(0, 1e9) == []
    assert "no immunotherapy" in p.reason and p.rule_based
    assert p.differs.startswith("no immunotherapy instead of the rules' first option")


def test_no_recommended_therapy_means_no_immunotherapy(twin: Twin, fast: OptimizerSettings) -> None:
    p = optimize(twin, settings=fast, therapies=["not_a_therapy"])
    assert p.no_immunotherapy and p.candidates == [] and p.evaluations == 0


def test_the_json_contract_names_plan_effect_and_the_disclaimer(plan: Plan) -> None:
    d = json.loads(json.dumps(plan.to_dict()))
    for key in (
        "plan",
        "effect",
        "standard_care_death_28d",
        "differs_from_rules",
        "rule_based",
        "candidates",
        "decision_space",
        "disclaimer",
    ):
        assert key in d
    assert "never a dosing order" in d["disclaimer"]
    if d["effect"] is not None:
        m = d["effect"]["delta_mortality_28d"]
        assert m["lo90"] <= m["mean"] <= m["hi90"]
    assert "never a dosing order" in plan.summary()


def test_a_decision_day_other_than_the_fitted_day_is_refused(twin: Twin) -> None:
    with pytest.raises(ValueError, match="update it to day 5"):
        optimize(twin, day=5)
    with pytest.raises(ValueError, match="horizon_days"):
        optimize(twin, horizon_days=0)


def test_no_dose_is_planned_before_the_earliest_start(twin: Twin, fast: OptimizerSettings) -> None:
    later = twin.data.last_hours + 30.0
    p = optimize(twin, settings=fast, earliest_start=later, therapies=["nivolumab", "il7"])
    assert p.decision_hours >= later
    assert all(c.regimen.start_hours >= later for c in p.candidates)


def replayed_loop(twin: Twin, first_day: int, last_day: int, **options: Any) -> ClosedLoop:
    """A closed loop over the twin's own (replayed) timeline, no dose before 40 h."""
    tl = twin.timeline
    assert tl is not None
    return closed_loop(
        lambda day, given: tl,
        twin.patient_id,
        first_day=first_day,
        last_day=last_day,
        settings=OptimizerSettings(draws=4, report_draws=8, popsize=2, generations=1),
        sampler=twin.settings,
        observation=twin.om,
        not_before=40.0,
        **options,
    )


def test_closed_loop_gives_each_day_only_the_next_24_hours(twin: Twin) -> None:
    loop = replayed_loop(twin, 1, 2)
    assert [d.day for d in loop.decisions] == [1, 2]
    windows = []
    for d in loop.decisions:
        start = max(d.hours, 40.0)
        for spec in d.given:
            t = float(spec.split("@", 1)[1].split(",", 1)[0])
            assert t >= 40.0
            windows.append(t)
        assert all(
            float(s.split("@", 1)[1].split(",", 1)[0]) < start + 24.0 + 1e-9 for s in d.given
        )
    assert len(windows) == len(set(windows))  # no dose given twice
    assert loop.given == [s for d in loop.decisions for s in d.given]


def test_a_loop_that_completes_its_last_plan_gives_the_rest_of_the_course(twin: Twin) -> None:
    loop = replayed_loop(
        twin,
        2,
        2,
        objective=Objective(min_gain=-1.0, harm_cap=1.0),  # always a regimen
        complete_last_plan=True,
    )
    [d] = loop.decisions
    assert d.plan is not None and d.plan.regimen is not None
    window_end = max(d.hours, 40.0) + 24.0
    rest = d.plan.doses_between(window_end, float("inf"))
    assert loop.completed == rest and loop.given == d.given + rest
    assert len(d.given) + len(rest) == len(d.plan.doses_between(0.0, float("inf")))
