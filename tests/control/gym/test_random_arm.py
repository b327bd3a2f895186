"""The random daily policy as a trial arm (arm kind ``random_daily``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sepsistwin.control.gym.actions import DEFAULT_LEVELS, ActionCatalogue
from sepsistwin.control.gym.trial_arm import level_entry
from sepsistwin.store.trial_store import TrialStore
from sepsistwin.trial import run_trial
from sepsistwin.trial.arms import policy_kind
from sepsistwin.trial.spec import ArmSpec, TrialSpecError, parse_spec


def spec(days: int = 5) -> dict:
    return {
        "name": "random-arm",
        "seed": 3,
        "population": {"size": 16, "preset": "septic_shock"},
        "screening": {"at_hours": 24},
        "enrollment": {"rules": ["sepsis3"]},
        "arms": [
            {"name": "standard_care", "therapies": []},
            {"name": "random", "random_daily": {"days": days}},
        ],
        "counterfactual": True,
        "follow_up_days": 28,
    }


def test_an_interval_of_each_level_is_a_valid_therapy_entry() -> None:
    for lv in DEFAULT_LEVELS:
        t = level_entry(lv, 24.0)
        assert t.therapy == lv.therapy and t.start_hours == 24.0
        if lv.infusion_hours:  # a rate runs over its hours, by vein
            assert t.infusion_hours == lv.infusion_hours and t.route == "IV"
        if lv.every_hours:  # repeated within the day only
            assert t.doses * lv.every_hours <= 24.0 < (t.doses + 1) * lv.every_hours


def test_a_random_arm_with_fixed_therapies_is_refused_naming_the_arm() -> None:
    bad = spec()
    bad["arms"][1]["therapies"] = [{"therapy": "anakinra", "dose": "200 mg"}]
    with pytest.raises(TrialSpecError, match=r"'random'.*random_daily arm chooses its own doses"):
        parse_spec(yaml.safe_dump(bad))
    assert policy_kind(ArmSpec(name="r", random_daily={"days": 2})) == "random_daily"


def test_random_actions_are_seeded_per_patient_and_recorded(
    tmp_path: Path,
) -> None:
    store = tmp_path / "r.duckdb"
    run_trial(spec(), store=store, workers=1, chunk_size=8)
    with TrialStore(store, read_only=True) as s:
        cf = s.table("counterfactual")
        pat = s.table("patients")
    rnd = cf[cf["arm"] == "random"].set_index("patient_id")
    assert not rnd.empty
    n_actions = 1 + len(ActionCatalogue().levels)
    seen = set()
    for text in rnd["decisions"]:
        actions = json.loads(text)["actions"]
        assert len(actions) == 5 and all(0 <= a < n_actions for a in actions)
        seen.update(actions)
    assert len(seen) > 3  # uniform draws, not one action
    # A randomised patient of the random arm got the same actions as in its counterfactual row.
    mine = pat[pat["arm"] == "random"].set_index("patient_id")["decisions"]
    assert (rnd.loc[mine.index, "decisions"] == mine).all()
