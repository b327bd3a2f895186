"""Validation scorecard: catalogue schema, verdict rules, paired simulations, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sepsistwin.validation import load_catalogue, run_scorecard
from sepsistwin.validation.scorecard import Expected


def test_catalogue_names_every_behaviour_the_model_revision_requires() -> None:
    ids = {b.id for b in load_catalogue()}
    for required in (
        "fisher1996_anti_tnf_dose",
        "norasept2_anti_tnf",
        "opal1997_anakinra_unselected",
        "shakoory2016_anakinra_mals",
        "iris7_il7_alc",
        "meisel2009_gm_csf_hla",
        "payen2019_ifn_gamma_hla",
        "leentjens2012_tolerance",
        "daviaud2015_early_deaths",
        "otto2011_deaths_days_1_5",
        "icu_acquired_infection_by_phenotype",
        "timing_immunostimulant",
        "timing_anti_inflammatory",
    ):
        assert required in ids
    for b in load_catalogue():
        assert b.source and b.published  # every row cites its source


def test_bad_catalogue_entry_names_the_behaviour_and_the_field(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(
        "- id: broken\n  behaviour: x\n  source: s\n  published: p\n  role: constraint\n"
        "  metric: mortality_difference\n  unit: pp\n  expected: {above: 0, below: 1}\n"
        "  treatment: [{therapy: anakinra, dose: 100mg, at: 24}]\n"
    )
    with pytest.raises(ValueError, match=r"bad.yaml: broken.expected: give exactly one"):
        load_catalogue(p)
    p.write_text(
        "- id: nodose\n  behaviour: x\n  source: s\n  published: p\n  role: constraint\n"
        "  metric: mortality_difference\n  unit: pp\n  expected: {above: 0}\n"
    )
    with pytest.raises(ValueError, match=r"nodose.*needs \['treatment'\]"):
        load_catalogue(p)


def test_expected_rules() -> None:
    assert Expected(range=(-5.0, 3.0)).holds(0.0)
    assert not Expected(range=(-5.0, 3.0)).holds(3.5)
    assert Expected(above=0.0).holds(0.1) and not Expected(above=0.0).holds(0.0)
    assert Expected(below=1.0).holds(0.5) and not Expected(below=1.0).holds(float("nan"))
    assert Expected(range=(0.3, 0.5)).text() == "in [0.3, 0.5]"


def test_paired_mortality_difference_and_biomarker_on_a_small_cohort() -> None:
    card = run_scorecard(
        300,
        seed=3,
        ids=["norasept2_anti_tnf", "payen2019_ifn_gamma_hla", "daviaud2015_early_deaths"],
    )
    by = {v.behaviour.id: v for v in card.verdicts}
    tnf = by["norasept2_anti_tnf"]
    assert tnf.n == card.cohort_size > 0
    assert tnf.ci[0] <= tnf.value <= tnf.ci[1]
    assert abs(tnf.value) < 50.0  # percentage points
    ifn = by["payen2019_ifn_gamma_hla"]
    assert ifn.value > 0 and ifn.n > 0  # median mHLA-DR (AB/C) of treated immunoparalysed
    share = by["daviaud2015_early_deaths"].value
    assert 0.0 <= share <= 1.0


def test_validate_cli_json(tmp_path: Path) -> None:
    from sepsistwin.cli.main import app

    out = tmp_path / "validation.md"
    res = CliRunner().invoke(
        app,
        [
            "validate",
            "--size",
            "200",
            "--only",
            "leentjens2012_tolerance",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["total"] == 1
    row = payload["behaviours"][0]
    assert row["id"] == "leentjens2012_tolerance" and 0 < row["model"] < 1
    assert row["verdict"] in ("pass", "miss")
    assert "Leentjens 2012" in out.read_text()
    bad = CliRunner().invoke(app, ["validate", "--size", "200", "--only", "nope"])
    assert bad.exit_code == 2 and "unknown behaviour ids" in bad.output
