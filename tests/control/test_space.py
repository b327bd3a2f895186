"""The decision space: bounds from the evidence base, decoding, and per-lane dose schedules."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.control import Regimen, dose_space, parse_regimen
from sepsistwin.control.space import lane_schedule
from sepsistwin.trial.dose_ranges import check_dose


def test_a_regimen_spec_reads_back_to_the_same_regimen() -> None:
    r = Regimen("interferon_gamma", 100.0, "ug", "sc", 68.0, 48.0, 3)
    assert parse_regimen(r.spec) == r
    assert r.times == [68.0, 116.0, 164.0]
    assert r.doses_between(100.0, 200.0) == [
        "interferon_gamma:100ug@116,route=sc",
        "interferon_gamma:100ug@164,route=sc",
    ]


def test_a_rate_is_not_read_as_a_bolus_regimen() -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_regimen("anakinra:2mg/kg/h@24,over=72,route=iv_infusion")


def test_the_dose_range_spans_the_studied_regimens_of_the_same_route_and_unit() -> None:
    s = dose_space("nivolumab", "nivolumab:480mg@68,route=iv", horizon_end=68 + 168)
    assert s.dose_high == 960.0 and s.dose_low <= 480.0
    assert s.max_doses == 1 and "n_doses" not in s.variables
    a = dose_space("anakinra", "anakinra:200mg@68,every=8,n=21,route=iv", horizon_end=68 + 168)
    assert (a.dose_low, a.dose_high) == (200.0, 200.0) and "dose" not in a.variables
    assert a.interval_low == 8.0 and a.interval_high == 16.0 and a.max_doses == 21


@pytest.mark.parametrize(
    ("therapy", "spec"),
    [
        ("anakinra", "anakinra:200mg@68,every=8,n=21,route=iv"),
        ("interferon_gamma", "interferon_gamma:100ug@68,every=48,n=8,route=sc"),
        ("nivolumab", "nivolumab:480mg@68,route=iv"),
        ("anti_tnf", "anti_tnf:1mg/kg@68,every=8,n=9,route=iv"),
        ("il7", "il7:10ug/kg@68,every=84,n=8,route=im"),
    ],
)
def test_every_decoded_regimen_stays_inside_the_studied_range_and_the_horizon(
    therapy: str, spec: str
) -> None:
    s = dose_space(therapy, spec, horizon_end=68 + 168, latest_start=140.0)
    rng = np.random.default_rng(0)
    for x in rng.uniform(-0.2, 1.2, size=(200, len(s.variables))):
        r = s.decode(x)
        assert s.dose_low - 1e-9 <= r.dose <= s.dose_high + 1e-9
        assert check_dose(therapy, f"{r.dose:g} {r.unit}").within is not False
        assert 68.0 <= r.start_hours <= 140.0
        assert all(t < 68 + 168 for t in r.times)
        assert 1 <= r.n_doses <= s.max_doses
        assert r.total <= s.studied_total + 1e-9
        if r.n_doses > 1:
            assert s.interval_low is not None and s.interval_high is not None
            assert s.interval_low <= (r.interval_hours or 0) <= s.interval_high


def test_encode_inverts_decode_on_the_reference_regimen() -> None:
    s = dose_space(
        "interferon_gamma", "interferon_gamma:100ug@68,every=48,n=8,route=sc", horizon_end=68 + 168
    )
    r = s.decode(s.encode(s.reference))
    assert (r.start_hours, r.interval_hours, r.dose) == (68.0, 48.0, 100.0)
    assert r.n_doses == s.max_doses == 4  # the course is cut to the 7-day horizon


def test_lane_schedule_gives_each_block_its_regimen_and_nothing_elsewhere() -> None:
    a = Regimen("anakinra", 200.0, "mg", "iv", 72.0, 8.0, 2)
    b = Regimen("anakinra", 200.0, "mg", "iv", 96.0, 8.0, 1)
    sched = lane_schedule([None, a, b], draws=2, weight=np.full(6, 70.0))
    amounts = np.array(
        [
            np.broadcast_to(np.asarray(getattr(d, "amount", getattr(d, "rate", 0))), 6)
            for d in sched.doses
        ]
    )
    given = amounts.sum(axis=0)
    assert given[0] == given[1] == 0.0  # block 0: standard care only
    assert given[2] == pytest.approx(2 * given[4])  # two doses against one
    times = np.array(
        [
            np.broadcast_to(np.asarray(getattr(d, "time", getattr(d, "start", 0))), 6)
            for d in sched.doses
        ]
    )
    assert times[0, 2] == 72.0 and times[1, 2] == 80.0 and times[0, 4] == 96.0
