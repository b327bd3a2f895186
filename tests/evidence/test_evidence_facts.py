"""The data say what the primary sources say, keep RECALLED status, and source every number."""

from __future__ import annotations

from typing import Any

import pytest

from sepsistwin.evidence import Status, load_evidence

NUMERIC_KEYS = ("value", "upper", "estimate", "treatment", "control", "p_value", "ci")


def _numbered_dicts(obj: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every dict holding a number under a numeric key, with its path."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(obj, dict):
        if any(
            isinstance(obj.get(k), int | float | list) and not isinstance(obj.get(k), bool)
            for k in NUMERIC_KEYS
        ):
            found.append((path, obj))
        for k, v in obj.items():
            found.extend(_numbered_dicts(v, f"{path}.{k}"))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found.extend(_numbered_dicts(v, f"{path}[{i}]"))
    return found


@pytest.mark.parametrize("therapy_id", load_evidence().ids())
def test_every_number_in_a_therapy_carries_a_known_source_and_a_status(therapy_id: str) -> None:
    ev = load_evidence()
    data = ev.therapy(therapy_id).model_dump(mode="json")
    for path, d in _numbered_dicts(data):
        assert d.get("source") in ev.citations, f"{therapy_id}{path}: source {d.get('source')!r}"
        assert d.get("status") in {s.value for s in Status}, f"{therapy_id}{path}: no status"


def test_show_dict_resolves_every_citation_it_uses() -> None:
    ev = load_evidence()
    d = ev.therapy_dict("nivolumab")
    assert {"hotchkiss2019_nivolumab", "watanabe2020", "vandenhaak2023", "gillis2021"} <= set(
        d["citations"]
    )
    assert d["citations"]["watanabe2020"]["pmid"] == "31513050"


def test_provide_effect_is_alive_after_day_7_with_sofa_decrease_not_28_day_survival() -> None:
    trial = load_evidence().therapy("anakinra").trial("provide")
    effect = next(e for e in trial.effects if e.treatment == 42.9)
    assert effect.control == 10.0 and effect.p_value == 0.042
    assert "day 7" in effect.endpoint and "SOFA decrease" in effect.endpoint
    assert "not 28-day survival" in effect.endpoint
    assert trial.endpoint.startswith("28-day mortality")


def test_watanabe_2020_is_cited_in_shock_not_crit_care_med() -> None:
    cite = load_evidence().cite("watanabe2020")
    assert "Shock 2020;53(6):686-694" in cite.text
    assert cite.doi == "10.1097/SHK.0000000000001443"


def test_tests_hazard_ratio_uses_the_current_pubmed_version_and_notes_the_erratum() -> None:
    ev = load_evidence()
    effect = ev.therapy("thymosin_alpha1").trial("tests").effects[0]
    assert (effect.estimate, effect.ci, effect.p_value) == (0.99, [0.77, 1.27], 0.93)
    assert "erratum" in effect.description and "0.97" in effect.description
    assert "erratum" in ev.cite("tests2025").text


def test_recalled_values_keep_their_status() -> None:
    ev = load_evidence()
    ifn = ev.therapy("interferon_gamma").regimen("provide_sc")
    assert ifn.dose.value == 100 and ifn.dose.status is Status.RECALLED
    assert ev.therapy("il7").regimen("iris7_im").dose.status is Status.RECALLED
    shakoory = ev.therapy("anakinra").trial("shakoory2016")
    assert [e.status for e in shakoory.effects if e.treatment == 65.4] == [Status.RECALLED]


def test_gillis_cfu_thresholds_are_not_marked_verified() -> None:
    niv = load_evidence().therapy("nivolumab")
    caveat = next(c for c in niv.contraindications if c.id == "high_pathogen_load")
    assert caveat.status is not Status.VERIFIED
    assert "NOT seen" in caveat.description
    assert niv.trial("gillis2021").level.value == "in_silico"


@pytest.mark.parametrize(
    ("therapy_id", "level"),
    [
        ("il10", "no_sepsis_trial"),
        ("tocilizumab", "no_sepsis_trial"),
        ("gene_editing", "preclinical"),
        ("nanocarrier", "preclinical"),
    ],
)
def test_therapies_without_sepsis_evidence_say_so(therapy_id: str, level: str) -> None:
    t = load_evidence().therapy(therapy_id)
    assert t.evidence_level.value == level
    assert not any(tr.in_sepsis and tr.level.rank >= 4 for tr in t.trials)
    if level == "preclinical":
        # No primary source was collected: the level is the review's claim, not verified.
        assert t.evidence_level_status is Status.RECALLED


def test_meisel_entry_and_dose_match_the_source() -> None:
    gm = load_evidence().therapy("gm_csf")
    reg = gm.regimen("meisel2009_sc")
    assert (reg.dose.value, reg.dose.unit, reg.duration.value if reg.duration else None) == (
        4,
        "µg/kg/d",
        8,
    )
    assert "< 8,000 AB/C for 2 consecutive days" in gm.trial("meisel2009").population


def test_anti_tnf_has_the_three_variants_and_fisher_1996_harm() -> None:
    t = load_evidence().therapy("anti_tnf")
    assert {v.id for v in t.variants} == {"infliximab", "etanercept", "afelimomab"}
    harm = t.trial("fisher1996").effects[0]
    assert (harm.treatment, harm.control, harm.p_value) == (53, 30, 0.02)


def test_nivolumab_duration_of_action_facts_are_present() -> None:
    labels = {f.label for f in load_evidence().therapy("nivolumab").pharmacology}
    wanted = {"duration of PD-1 inhibition (480/960 mg)", "receptor occupancy (20 mg, model)"}
    assert wanted <= labels
