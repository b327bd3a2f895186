"""Urine charted as volumes: summed per assessment day with the partial-day rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sepsistwin.clinical.assessment import assess
from sepsistwin.clinical.config import default_config
from sepsistwin.clinical.volumes import urine_volume_days, volumes_as_daily_rates
from sepsistwin.data import InputError, observations_from_frame


def _frame(rows: list[tuple[str, float, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["patient_id", "time", "variable", "value", "unit"])


def test_urine_output_in_ml_is_read_as_a_volume_event() -> None:
    tl = observations_from_frame(_frame([("p", 1.0, "urine_output", 450, "mL")]))
    assert tl.observations["variable"].tolist() == ["urine_volume"]
    assert tl.observations["value"].tolist() == [450.0]
    litres = observations_from_frame(_frame([("p", 1.0, "urine_output", 0.45, "L")]))
    assert litres.observations["value"].tolist() == [450.0]


def test_a_rate_stays_a_rate_and_a_mass_is_still_an_error() -> None:
    tl = observations_from_frame(_frame([("p", 1.0, "urine_output", 20, "mL/h")]))
    assert tl.observations["variable"].tolist() == ["urine_output"]
    assert tl.observations["value"].tolist() == [480.0]
    with pytest.raises(InputError, match="urine_output: row 2 of <frame>: unit 'mg' is not"):
        observations_from_frame(_frame([("p", 1.0, "urine_output", 20, "mg")]))


def test_a_negative_volume_names_the_row_and_the_range() -> None:
    with pytest.raises(InputError, match=r"urine_volume: row 2 .* outside the plausible range"):
        observations_from_frame(_frame([("p", 1.0, "urine_output", -5, "mL")]))


def test_hourly_volumes_over_a_full_day_give_the_daily_total() -> None:
    rows = [("p", 0.0, "heart_rate", 80, "/min")]
    rows += [("p", float(h), "urine_output", 15, "mL") for h in range(1, 24)]
    obs = observations_from_frame(_frame(rows)).observations
    day0 = assess(obs).iloc[0]
    assert day0["urine_output"] == pytest.approx(360.0)  # 345 mL over 23 h -> per 24 h
    assert day0["sofa_renal"] == 3


def test_first_volume_covers_the_time_since_the_first_heart_rate() -> None:
    obs = pd.DataFrame(
        {
            "patient_id": ["p"] * 4,
            "hours": [-5.0, 0.0, 2.0, 23.0],
            "variable": ["creatinine", "heart_rate", "urine_volume", "urine_volume"],
            "value": [1.0, 80.0, 100.0, 900.0],
        }
    )
    days = urine_volume_days(obs, default_config().sofa)
    assert days["covered_hours"].tolist() == [23.0]
    assert days["urine_output_ml_day"].iloc[0] == pytest.approx(1000 / 23 * 24)


def test_a_partial_day_gives_no_rate_and_the_day_lists_urine_output_missing() -> None:
    obs = pd.DataFrame(
        {
            "patient_id": ["p"] * 3,
            "hours": [0.0, 4.0, 10.0],
            "variable": ["heart_rate", "urine_volume", "urine_volume"],
            "value": [80.0, 50.0, 50.0],
        }
    )
    days = urine_volume_days(obs, default_config().sofa)
    assert days["covered_hours"].tolist() == [10.0]
    assert np.isnan(days["urine_output_ml_day"].iloc[0])
    day0 = assess(obs).iloc[0]
    assert day0["sofa_renal"] == 0 and "urine_output" in day0["missing"]


@pytest.mark.parametrize(("covered", "has_rate"), [(21.9, False), (22.0, True), (30.0, True)])
def test_covered_hours_window_is_inclusive_22_to_30(covered: float, has_rate: bool) -> None:
    obs = pd.DataFrame(
        {
            "patient_id": ["p", "p"],
            "hours": [23.9 - covered, 23.9],
            "variable": ["heart_rate", "urine_volume"],
            "value": [80.0, 600.0],
        }
    )
    days = urine_volume_days(obs, default_config().sofa)
    day0 = days[days["day"] == 0]
    assert bool(day0["urine_output_ml_day"].notna().iloc[0]) is has_rate


def test_volume_rate_and_charted_rate_combine_as_the_day_minimum() -> None:
    rows = [("p", 0.0, "heart_rate", 80, "/min"), ("p", 5.0, "urine_output", 300, "mL/day")]
    rows += [("p", float(h), "urine_output", 40, "mL") for h in range(1, 24)]
    obs = observations_from_frame(_frame(rows)).observations
    assert assess(obs).iloc[0]["urine_output"] == pytest.approx(300.0)


def test_observations_without_volumes_pass_through_unchanged() -> None:
    obs = pd.DataFrame(
        {"patient_id": ["p"], "hours": [1.0], "variable": ["lactate"], "value": [2.0]}
    )
    assert volumes_as_daily_rates(obs, default_config().sofa) is obs
