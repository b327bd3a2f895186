"""Unit conversions, checked against reference values computed independently of pint.

References are the conventional clinical conversion factors (creatinine 88.4, bilirubin
17.1, lactate 9.01) or exact definitions (1 mmHg = 133.322 Pa, degF -> degC, 1 uL = 1e-6 L).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sepsistwin.data import CATALOGUE, conversion_for, convert, observations_from_frame
from sepsistwin.data.units import Conversion, UnitProblem, normalise_unit

MMHG_PA = 133.322387415  # conventional millimetre of mercury, Pa (exact by definition)


@pytest.mark.parametrize(
    ("variable", "value", "unit", "expected", "rel"),
    [
        # creatinine: 1 mg/dL = 88.4 umol/L (clinical factor; 10 dL/L / 113.12 g/mol)
        ("creatinine", 88.4, "umol/L", 1.0, 1e-3),
        ("creatinine", 176.8, "umol/L", 2.0, 1e-3),
        # bilirubin: 1 mg/dL = 17.1 umol/L
        ("bilirubin", 17.1, "umol/L", 1.0, 1e-3),
        ("bilirubin", 205.2, "umol/L", 12.0, 1e-3),
        # lactate: 1 mmol/L = 9.01 mg/dL
        ("lactate", 9.01, "mg/dL", 1.0, 1e-3),
        ("lactate", 36.04, "mg/dL", 4.0, 1e-3),
        # PaO2: 13.3 kPa = 13300 / 133.322 mmHg = 99.76 mmHg
        ("pao2", 13.3, "kPa", 13300 / MMHG_PA, 1e-9),
        ("pao2", 8.0, "kPa", 8000 / MMHG_PA, 1e-9),
        # FiO2 in percent -> fraction
        ("fio2", 45, "%", 0.45, 1e-12),
        ("fio2", 21, "%", 0.21, 1e-12),
        ("fio2", 100, "%", 1.0, 1e-12),
        # temperature: (F - 32) * 5/9
        ("temperature", 98.6, "degF", 37.0, 1e-9),
        ("temperature", 102.2, "degF", 39.0, 1e-9),
        ("temperature", 310.15, "K", 37.0, 1e-9),
        # platelets: 10^9/L = 10^3/uL; per uL -> x 1e-3
        ("platelets", 150, "10^3/uL", 150.0, 1e-12),
        ("platelets", 150_000, "/uL", 150.0, 1e-12),
        ("platelets", 1.5e11, "/L", 150.0, 1e-12),
        # absolute counts per uL and per L
        ("lymphocytes", 800, "cells/uL", 0.8, 1e-12),
        ("lymphocytes", 8e8, "/L", 0.8, 1e-12),
        ("neutrophils", 12_000, "/mm3", 12.0, 1e-12),
        ("wbc", 1.2e10, "1/L", 12.0, 1e-12),
        # vasopressors
        ("norepinephrine", 0.3, "mcg/kg/min", 0.3, 1e-12),
        ("norepinephrine", 6.0, "ug/kg/h", 0.1, 1e-12),
        ("dopamine", 5.0, "µg/kg/min", 5.0, 1e-12),
        # urine output per day: mL/h x 24
        ("urine_output", 50, "mL/h", 1200.0, 1e-12),
        ("urine_output", 1.5, "L/day", 1500.0, 1e-12),
        # other concentrations
        ("crp", 5.0, "mg/dL", 50.0, 1e-12),
        ("ferritin", 4420, "ug/L", 4420.0, 1e-12),
        ("il6", 1000, "ng/L", 1000.0, 1e-12),
        ("procalcitonin", 2.0, "ug/L", 2.0, 1e-12),
        ("pathogen_load", 2.0, "CFU/L", 0.002, 1e-12),
    ],
)
def test_conversion_matches_independent_reference(variable, value, unit, expected, rel):
    assert float(convert(value, unit, variable)) == pytest.approx(expected, rel=rel)


@pytest.mark.parametrize(
    ("variable", "spelling", "reference_unit"),
    [
        ("platelets", "10*9/L", "10^9/L"),
        ("platelets", "10*3/uL", "10^9/L"),
        ("platelets", "G/L", "10^9/L"),
        ("wbc", "x10^9/L", "10^9/L"),
        ("wbc", "K/uL", "10^9/L"),
        ("map", "mm[Hg]", "mmHg"),
        ("temperature", "Cel", "degC"),
        ("temperature", "°C", "degC"),
        ("temperature", "[degF]", "degF"),
        ("temperature", "F", "degF"),
        ("heart_rate", "/min", "/min"),
        ("heart_rate", "bpm", "/min"),
        ("resp_rate", "breaths/min", "/min"),
        ("mhla_dr", "mAb/cell", "AB/C"),
        ("mhla_dr", "{AB}/{cell}", "AB/C"),
        ("mhla_dr", "AB/cell", "AB/C"),
        ("urine_output", "mL/(24.h)", "mL/day"),
        ("urine_output", "mL/24h", "mL/day"),
        ("urine_output", "mL/d", "mL/day"),
        ("pathogen_load", "{CFU}/mL", "CFU/mL"),
        ("gcs", "", "1"),
        ("gcs", "{score}", "1"),
        ("fio2", "", "1"),
    ],
)
def test_unit_spellings_convert_like_their_reference_unit(variable, spelling, reference_unit):
    values = np.array([0.5, 7.0, 123.0])
    np.testing.assert_allclose(
        convert(values, spelling, variable), convert(values, reference_unit, variable), rtol=1e-12
    )


def test_canonical_unit_is_identity_and_accepted_units_convert_for_every_variable():
    for name, var in CATALOGUE.items():
        conv = conversion_for(name, var.canonical_unit)
        assert conv == Conversion(1.0, 0.0), name
        for unit in var.accepted_units:
            assert isinstance(conversion_for(name, unit), Conversion), (name, unit)


def test_mhla_dr_antibodies_per_cell_does_not_convert_to_a_count_per_volume():
    assert isinstance(conversion_for("mhla_dr", "/uL"), UnitProblem)
    assert isinstance(conversion_for("lymphocytes", "AB/C"), UnitProblem)


@pytest.mark.parametrize(
    ("variable", "unit", "fragment"),
    [
        ("lactate", "mg", "unit 'mg' is not a concentration"),
        ("pao2", "mmol/L", "unit 'mmol/L' is not a pressure"),
        ("norepinephrine", "ug/min", "is not a dose rate per body weight"),
        ("urine_output", "mL", "is not a volume per time"),
        ("urine_output", "mL/kg/h", "is not a volume per time"),
        ("gcs", "%", "unit '%' is not accepted for a score"),
        ("lactate", "", "unit is missing"),
        ("lactate", "mmoll/L", "unit 'mmoll/L' is not a known unit; did you mean 'mmol/L'?"),
    ],
)
def test_unusable_units_are_explained(variable, unit, fragment):
    conv = conversion_for(variable, unit)
    assert isinstance(conv, UnitProblem)
    assert fragment in conv.problem
    assert conv.expected == CATALOGUE[variable].expected_units


def test_normalise_unit_rewrites_ucum_and_common_spellings():
    assert normalise_unit("mcg/kg/min") == "ug/kg/min"
    assert normalise_unit("μg/kg/min") == "ug/kg/min"
    assert normalise_unit("10*9/L") == "10^9/L"
    assert normalise_unit("/uL") == "1/uL"
    assert normalise_unit("cells/mm3") == "cells/mm**3"


def test_pint_is_asked_once_per_distinct_variable_and_unit_not_per_row():
    n = 5000
    frame = pd.DataFrame(
        {
            "patient_id": np.repeat(["a", "b"], n // 2),
            "time": np.arange(n, dtype=float) / 100,
            "variable": np.tile(["creatinine", "lactate"], n // 2),
            "value": np.tile([88.4, 18.0], n // 2),
            "unit": np.tile(["umol/L", "mg/dL"], n // 2),
        }
    )
    conversion_for.cache_clear()
    tl = observations_from_frame(frame)
    assert conversion_for.cache_info().misses == 2
    obs = tl.observations
    creat = obs.loc[obs["variable"] == "creatinine", "value"].to_numpy()
    np.testing.assert_allclose(creat, 1.0, rtol=1e-3)
