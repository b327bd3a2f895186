"""Selecting a patient's data; bad input gets one-line errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sepsistwin.data import Timeline
from sepsistwin.twin import TwinInputError, observation_model, patient_data, read_doses
from sepsistwin.twin.virtual import VirtualCohort


def test_fitted_window_ends_at_until_day(timeline: Timeline, cohort: VirtualCohort) -> None:
    d = patient_data(timeline, cohort.ids[0], observation_model(), until_day=1)
    assert d.observations["hours"].max() < 48.0
    assert d.weight_kg is not None and d.abx_start is not None
    assert "wbc" not in set(d.observations["variable"])  # not fitted


def test_unknown_patient_is_named(timeline: Timeline) -> None:
    with pytest.raises(TwinInputError, match="patient 'nobody' is not in the timeline"):
        patient_data(timeline, "nobody", observation_model())


def test_patient_without_usable_observations_is_refused() -> None:
    frame = pd.DataFrame(
        {"patient_id": ["P"], "time": [3.0], "variable": ["gcs"], "value": [12.0], "unit": [""]}
    )
    from sepsistwin.api import load_timeline

    with pytest.raises(TwinInputError, match="no observations the model can use"):
        patient_data(load_timeline(frame), "P", observation_model())


def test_unknown_therapy_is_named(timeline: Timeline, cohort: VirtualCohort) -> None:
    with pytest.raises(TwinInputError, match="therapy 'unobtainium' does not exist"):
        patient_data(timeline, cohort.ids[0], observation_model(), received=["unobtainium:1mg@10"])


def test_doses_file_errors_name_file_row_and_field(tmp_path: Path) -> None:
    p = tmp_path / "doses.csv"
    p.write_text("patient_id,hours,therapy,dose\nP1,30,anakinra,200 mg\nP1,soon,anakinra,200 mg\n")
    with pytest.raises(TwinInputError, match=r"doses.csv: row 3: hours: 'soon'"):
        read_doses(p)
    p.write_text("patient_id,hours,therapy,dose\nP1,30,anakinra,200 parsecs\n")
    with pytest.raises(TwinInputError, match=r"doses.csv: row 2:"):
        read_doses(p)
