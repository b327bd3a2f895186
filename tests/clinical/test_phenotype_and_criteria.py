"""Phenotype (PROVIDE/ImmunoSep), immune state, Sepsis-3, septic shock, qSOFA, SIRS."""

from __future__ import annotations

import pandas as pd
import pytest

from sepsistwin.clinical import assess, default_config, explain, load_config
from sepsistwin.clinical.config import ConfigError


def long(rows: list[tuple[str, float, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["patient_id", "hours", "variable", "value"])


def day0(**values: float) -> pd.Series:
    obs = long([("p", 1.0 + i, k, float(v)) for i, (k, v) in enumerate(values.items())])
    return assess(obs).iloc[0]


@pytest.mark.parametrize(
    ("ferritin", "hla", "phenotype"),
    [
        (4421, 20000, "MALS"),  # MALS takes precedence whatever mHLA-DR
        (4421, 1000, "MALS"),
        (4420, 4999, "immunoparalysis"),  # ferritin <= 4420 and mHLA-DR < 5000
        (4420, 5000, "intermediate"),  # mHLA-DR >= 5000
        (100, 4999.9, "immunoparalysis"),
        (100, 12000, "intermediate"),
    ],
)
def test_phenotype_at_thresholds(ferritin, hla, phenotype):
    row = day0(ferritin=ferritin, mhla_dr=hla)
    assert row["phenotype"] == phenotype
    assert any(r.startswith(phenotype) for r in row["reasons"])


def test_phenotype_uses_day_maximum_ferritin_and_minimum_hla_dr():
    obs = long(
        [
            ("p", 1, "ferritin", 3000),
            ("p", 8, "ferritin", 5000),
            ("p", 2, "mhla_dr", 9000),
            ("p", 9, "mhla_dr", 4000),
        ]
    )
    assert assess(obs).loc[0, "phenotype"] == "MALS"
    obs = long([("p", 1, "ferritin", 3000), ("p", 2, "mhla_dr", 9000), ("p", 9, "mhla_dr", 4000)])
    assert assess(obs).loc[0, "phenotype"] == "immunoparalysis"


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"mhla_dr": 3000}, "ferritin"),  # MALS cannot be excluded
        ({"ferritin": 1000}, "mhla_dr"),
        ({"gcs": 15}, "ferritin"),
    ],
)
def test_phenotype_is_indeterminate_when_data_to_decide_is_missing(values, missing):
    row = day0(**values)
    assert row["phenotype"] == "indeterminate"
    assert missing in row["missing"]


def test_high_ferritin_alone_is_enough_for_mals():
    assert day0(ferritin=9000)["phenotype"] == "MALS"


@pytest.mark.parametrize(
    ("values", "state"),
    [
        ({"il6": 1001, "mhla_dr": 12000}, "hyperinflammatory"),
        ({"il6": 1000, "mhla_dr": 12000}, "balanced"),
        ({"il6": 200, "mhla_dr": 7999}, "immunosuppressed"),
        ({"il6": 200, "mhla_dr": 8000, "lymphocytes": 1.1}, "immunosuppressed"),
        ({"il6": 200, "mhla_dr": 8000, "lymphocytes": 1.2}, "balanced"),
        ({"il6": 2500, "mhla_dr": 3000}, "mixed"),
        ({"ferritin": 6000, "lymphocytes": 0.5}, "mixed"),
        ({"il6": 2500}, "indeterminate"),  # suppression side not evaluable
        ({"lymphocytes": 0.4}, "indeterminate"),  # inflammation side not evaluable
        ({"tnf": 30, "il10": 200, "mhla_dr": 12000}, "immunosuppressed"),  # IL-10/TNF 6.7 > 5
        ({"tnf": 100, "il10": 40, "mhla_dr": 12000}, "hyperinflammatory"),  # IL-10/TNF 0.4 < 0.5
        ({"tnf": 15, "il10": 6, "mhla_dr": 12000}, "indeterminate"),  # TNF not raised: no ratio
    ],
)
def test_immune_state_from_configured_thresholds(values, state):
    assert day0(**values)["immune_state"] == state


def test_sepsis3_needs_suspected_infection_and_sofa_rise_of_two():
    base = {"infection_suspected": 1, "platelets": 90}  # coagulation 2
    assert bool(day0(**base)["sepsis3"]) is True
    assert bool(day0(infection_suspected=1, platelets=120)["sepsis3"]) is False  # SOFA 1
    assert bool(day0(infection_suspected=0, platelets=40)["sepsis3"]) is False


def test_sepsis3_rise_is_counted_above_given_baseline():
    obs = long([("p", 1, "infection_suspected", 1), ("p", 2, "platelets", 40)])  # SOFA 3
    assert bool(assess(obs, baseline_sofa={"p": 1})["sepsis3"].iloc[0]) is True
    assert bool(assess(obs, baseline_sofa={"p": 2})["sepsis3"].iloc[0]) is False


def test_sepsis3_window_counts_suspicion_up_to_two_days_later_and_one_day_earlier():
    obs = long(
        [
            ("p", 1, "platelets", 40),
            ("p", 25, "platelets", 40),
            ("p", 49, "platelets", 40),
            ("p", 73, "platelets", 40),
            ("p", 97, "platelets", 40),
            ("p", 50, "infection_suspected", 1),
        ]
    )
    flags = assess(obs).set_index("day")["sepsis3"].to_dict()
    # suspicion on day 2: SOFA days 0..3 qualify (48 h before to 24 h after)
    assert flags == {0: True, 1: True, 2: True, 3: True, 4: False}


@pytest.mark.parametrize(
    ("values", "shock"),
    [
        ({"norepinephrine": 0.05, "lactate": 2.1}, True),
        ({"norepinephrine": 0.05, "lactate": 2.0}, False),  # > 2 mmol/L needed
        ({"dopamine": 6, "lactate": 4}, True),
        ({"dobutamine": 6, "lactate": 4}, False),  # inotrope, not vasopressor
        ({"lactate": 6}, False),
        ({"norepinephrine": 0.3}, False),  # lactate missing
    ],
)
def test_septic_shock_needs_vasopressor_and_lactate_same_day(values, shock):
    assert bool(day0(**values)["septic_shock"]) is shock


def test_septic_shock_on_different_days_does_not_count():
    obs = long([("p", 1, "norepinephrine", 0.2), ("p", 30, "lactate", 5)])
    assert not assess(obs)["septic_shock"].any()


@pytest.mark.parametrize(
    ("values", "qsofa"),
    [
        ({"resp_rate": 22, "gcs": 14, "sbp": 100}, 3),
        ({"resp_rate": 21, "gcs": 15, "sbp": 101}, 0),
        ({"resp_rate": 22, "gcs": 15, "sbp": 101}, 1),
        ({"resp_rate": 21, "gcs": 14, "sbp": 101}, 1),
        ({"resp_rate": 21, "gcs": 15, "sbp": 100}, 1),
    ],
)
def test_qsofa_criteria_at_thresholds(values, qsofa):
    assert day0(**values)["qsofa"] == qsofa


@pytest.mark.parametrize(
    ("values", "sirs"),
    [
        ({"temperature": 38.1, "heart_rate": 91, "resp_rate": 21, "wbc": 12.1}, 4),
        ({"temperature": 38.0, "heart_rate": 90, "resp_rate": 20, "wbc": 12.0}, 0),
        ({"temperature": 35.9, "wbc": 3.9}, 2),
        ({"temperature": 36.0, "wbc": 4.0}, 0),
    ],
)
def test_sirs_criteria_count(values, sirs):
    assert day0(**values)["sirs"] == sirs


def test_sirs_counts_low_temperature_even_when_day_maximum_is_normal():
    obs = long([("p", 1, "temperature", 37.0), ("p", 2, "temperature", 35.5)])
    assert assess(obs).loc[0, "sirs"] == 1


def test_days_are_24h_windows_from_time_zero_and_gaps_are_kept():
    obs = long(
        [
            ("p", 0.0, "gcs", 15),
            ("p", 23.99, "gcs", 14),
            ("p", 24.0, "gcs", 9),
            ("p", 80.0, "gcs", 15),
        ]
    )
    res = assess(obs)
    assert res["day"].tolist() == [0, 1, 2, 3]
    assert res["sofa_cns"].tolist() == [1, 3, 0, 0]
    assert "gcs" in res.loc[2, "missing"]


def test_config_override_file_changes_threshold(tmp_path):
    path = tmp_path / "thresholds.yaml"
    path.write_text("phenotype:\n  mals_ferritin_ng_ml: 10000\n")
    cfg = load_config(path)
    assert cfg.phenotype.mals_ferritin_ng_ml == 10000
    default = default_config().phenotype
    assert cfg.phenotype.immunoparalysis_mhla_dr_ab_c == default.immunoparalysis_mhla_dr_ab_c
    obs = long([("p", 1, "ferritin", 6000), ("p", 2, "mhla_dr", 3000)])
    assert assess(obs).loc[0, "phenotype"] == "MALS"
    assert assess(obs, config=cfg).loc[0, "phenotype"] == "immunoparalysis"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("phenotype:\n  mals_ferritin: 10000\n", "phenotype.mals_ferritin"),
        ("sofa:\n  cardiovascular_map_mmhg: seventy\n", "sofa.cardiovascular_map_mmhg"),
        ("sofa:\n  liver_bilirubin_mg_dl: [12, 6, 2, 1.2]\n", "strictly increasing"),
    ],
)
def test_bad_config_file_names_file_and_key(tmp_path, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "bad.yaml" in str(err.value)
    assert fragment in str(err.value)


def test_every_default_threshold_section_has_a_source():
    cfg = default_config()
    for section in ("sofa", "sepsis3", "septic_shock", "qsofa", "sirs", "phenotype"):
        assert getattr(cfg, section).source.strip()
    for name, threshold in cfg.immune_state:
        assert threshold.source.strip(), name


def test_explain_lists_rules_and_missing_data():
    obs = long([("p", 1, "ferritin", 6000)])
    text = explain(assess(obs), "p", 0)
    assert "MALS: ferritin 6000 > 4420 ng/mL" in text
    assert "mhla_dr" in text
    with pytest.raises(KeyError, match="patients"):
        explain(assess(obs), "nobody", 0)


def test_assess_without_trace_gives_the_same_values_without_explanations():
    import numpy as np

    rng = np.random.default_rng(0)
    names = ["ferritin", "mhla_dr", "pao2", "fio2", "map", "norepinephrine", "lactate", "gcs"]
    rows = [
        (f"p{i}", h, v, rng.uniform(0.2, 900.0))
        for i in range(30)
        for h in (-3.0, 2.0, 20.0, 30.0)
        for v in names
        if rng.random() < 0.8
    ]
    obs = pd.DataFrame(rows, columns=["patient_id", "hours", "variable", "value"])
    full = assess(obs)
    fast = assess(obs, trace=False)
    assert "reasons" not in fast and "missing" not in fast
    pd.testing.assert_frame_equal(full.drop(columns=["reasons", "missing"]), fast)


def test_daily_extremes_pairs_pf_ratio_as_before_with_any_row_order():
    import numpy as np

    from sepsistwin.clinical.daily import daily_extremes

    obs = pd.DataFrame(
        {
            "patient_id": ["b", "a", "a", "b", "a", "a", "b"],
            "hours": [-3.0, 1.0, 30.0, 2.0, 2.0, 40.0, 2.0],
            "variable": ["pao2", "fio2", "lactate", "fio2", "pao2", "pao2", "map"],
            "value": [80.0, 0.5, 2.0, 0.4, 90.0, 70.0, 65.0],
        }
    )
    d = daily_extremes(obs, default_config())
    assert d.columns.tolist() == [
        "patient_id",
        "day",
        *[
            f"{v}_{m}"
            for v in ("fio2", "lactate", "map", "pao2", "pf_ratio")
            for m in ("min", "max")
        ],
    ]
    a0 = d[(d["patient_id"] == "a") & (d["day"] == 0)].iloc[0]
    assert a0["pf_ratio_min"] == 180.0  # PaO2 90 at 2 h over FiO2 0.5 at 1 h
    assert np.isnan(d[(d["patient_id"] == "a") & (d["day"] == 1)].iloc[0]["pf_ratio_min"])
    shuffled = daily_extremes(obs.sample(frac=1.0, random_state=3), default_config())
    pd.testing.assert_frame_equal(d, shuffled)
