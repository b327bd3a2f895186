"""The action catalogue: every dose level is a regimen of the evidence base, in clinical units."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.control.gym.actions import DEFAULT_LEVELS, ActionCatalogue, DoseLevel
from sepsistwin.dosing import Bolus, Infusion, parse_amount
from sepsistwin.evidence import load_evidence
from sepsistwin.trial.dose_ranges import check_dose

_ROUTE = {"iv": "IV", "iv_infusion": "IV", "sc": "SC", "im": "IM"}


@pytest.mark.parametrize("level", DEFAULT_LEVELS, ids=lambda lv: f"{lv.therapy}-{lv.regimen}")
def test_each_dose_level_is_the_cited_regimens_dose_route_and_interval(level: DoseLevel) -> None:
    ev = load_evidence()
    reg = next(r for r in ev.therapy(level.therapy).regimens if r.id == level.regimen)
    assert reg.dose is not None
    mine, cited = parse_amount(level.dose), parse_amount(f"{reg.dose.value:g} {reg.dose.unit}")
    assert (mine.value, mine.base, mine.per_kg, mine.is_rate) == (
        cited.value,
        cited.base,
        cited.per_kg,
        cited.is_rate,
    )
    assert _ROUTE[level.route] == reg.route.value
    if level.every_hours is not None:
        assert reg.interval_h is not None and reg.interval_h.value == level.every_hours
    assert check_dose(level.therapy, level.dose, evidence=ev).within is not False


def test_a_daily_level_repeats_within_the_interval_in_clinical_amounts() -> None:
    cat = ActionCatalogue()
    anakinra = cat.levels[cat.level_index("anakinra", "provide_iv")]
    s = anakinra.schedule(np.array([24.0, 48.0]), np.array([70.0, 90.0]), 24.0)
    assert [d.time.tolist() for d in s.doses if isinstance(d, Bolus)] == [
        [24.0, 48.0],
        [32.0, 56.0],
        [40.0, 64.0],
    ]
    infusion = cat.levels[cat.level_index("anakinra", "fisher1994_infusion")]
    (d,) = infusion.schedule(np.array([24.0]), np.array([80.0]), 24.0).doses
    assert isinstance(d, Infusion) and d.duration == 24.0
    assert float(np.asarray(d.rate)[0]) == pytest.approx(80.0)  # 1 mg/kg/h at 80 kg
    gm = cat.levels[cat.level_index("gm_csf")]
    (g,) = gm.schedule(np.array([24.0]), np.array([50.0]), 24.0).doses
    assert float(np.asarray(g.amount)[0]) == pytest.approx(4.0 * 50.0 * 0.7)  # ug, SC F 0.7


def test_discrete_and_multi_discrete_actions_map_to_the_same_levels() -> None:
    d, m = ActionCatalogue(), ActionCatalogue(mode="multi")
    for i in range(len(DEFAULT_LEVELS)):
        assert d.level_indices(d.action_for([i])) == [i]
        assert m.level_indices(m.action_for([i])) == [i]
    assert d.level_indices(0) == [] and d.describe(0) == "nothing"
    both = m.action_for([0, 2])
    assert sorted(m.level_indices(both)) == [0, 2]
    with pytest.raises(ValueError, match="two dose levels"):
        m.action_for([0, 1])
    with pytest.raises(ValueError, match="action_mode"):
        ActionCatalogue(mode="continuous")
