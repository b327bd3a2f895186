"""Each rule path at its thresholds, each contraindication, and the safety rules."""

from __future__ import annotations

import pytest
from recommend_frames import NAN, day, frame

from sepsistwin.recommend import recommend


def _therapies(rec, patient: str = "P1", d: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [o["therapy"] for o in rec.get(patient, d).options]


def _excluded(rec, patient: str = "P1", d: int = 0) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {e["therapy"]: e["reason"] for e in rec.get(patient, d).excluded}


# --- MALS -> anakinra -------------------------------------------------------------------------


def test_mals_gets_anakinra_first_with_provide_dose_and_its_trials() -> None:
    rec = recommend(frame(day(phenotype="MALS", immune_state="hyperinflammatory", ferritin=6000)))
    opt = rec.get("P1", 0).options[0]
    assert opt["therapy"] == "anakinra" and opt["rank"] == 1
    assert (opt["dose"]["value"], opt["dose"]["unit"], opt["route"]) == (200, "mg", "IV")
    assert opt["dose"]["status"] == "VERIFIED" and opt["dose"]["source"] == "provide"
    assert {t["id"] for t in opt["trials"]} == {"provide", "immunosep", "shakoory2016"}
    assert opt["rationale"]["rule"] == "mals_anakinra"
    assert opt["rationale"]["values"][0]["value"] == 6000


def test_mals_never_gets_an_immunostimulant_even_with_persistent_lymphopenia() -> None:
    rows = [
        day(
            d=d,
            phenotype="MALS",
            immune_state="mixed",
            ferritin=6000,
            lymphocytes=0.5,
            mhla_dr=4000,
        )
        for d in (0, 1)
    ]
    rec = recommend(frame(*rows))
    assert _therapies(rec, d=1) == ["anakinra"]
    excluded = _excluded(rec, d=1)
    assert set(excluded) == {"gm_csf", "il7", "nivolumab"}
    assert all("MALS" in reason for reason in excluded.values())


# --- immunoparalysis -> IFN-gamma, GM-CSF -----------------------------------------------------


def test_immunoparalysis_gets_interferon_gamma_with_recalled_dose_flagged() -> None:
    rec = recommend(
        frame(day(phenotype="immunoparalysis", immune_state="immunosuppressed", mhla_dr=3000))
    )
    opt = rec.get("P1", 0).options[0]
    assert opt["therapy"] == "interferon_gamma"
    assert opt["dose"]["status"] == "RECALLED"
    assert "dose" in opt["status_of_numbers"]["not_verified"]
    assert opt["status_of_numbers"]["all_verified"] is False
    assert any(
        w["kind"] == "unverified_number" and "RECALLED" in w["text"] for w in opt["warnings"]
    )


def test_immunoparalysis_never_gets_an_anti_inflammatory_even_with_high_il6() -> None:
    rec = recommend(
        frame(day(phenotype="immunoparalysis", immune_state="mixed", mhla_dr=3000, il6=5000))
    )
    assert "anti_tnf" not in _therapies(rec)
    assert "immunoparalysis" in _excluded(rec)["anti_tnf"]


@pytest.mark.parametrize(
    ("first", "second", "fires"),
    [
        (7999, 7999, True),
        (7999, 8000, False),
        (8000, 7999, False),
    ],
)
def test_gm_csf_needs_mhla_dr_below_8000_on_two_consecutive_days(
    first: float, second: float, fires: bool
) -> None:
    rec = recommend(frame(day(d=0, mhla_dr=first), day(d=1, mhla_dr=second)))
    assert ("gm_csf" in _therapies(rec, d=1)) is fires
    assert "gm_csf" not in _therapies(rec, d=0)  # one day is never enough


def test_gm_csf_does_not_bridge_a_missing_day() -> None:
    rec = recommend(frame(day(d=0, mhla_dr=4000), day(d=2, mhla_dr=4000)))
    assert "gm_csf" not in _therapies(rec, d=2)


def test_gm_csf_rationale_lists_both_days_with_the_meisel_threshold() -> None:
    rec = recommend(frame(day(d=0, mhla_dr=6000), day(d=1, mhla_dr=7000)))
    opt = next(o for o in rec.get("P1", 1).options if o["therapy"] == "gm_csf")
    assert [v["day"] for v in opt["rationale"]["values"]] == [0, 1]
    th = opt["rationale"]["thresholds"][0]
    assert (th["value"], th["comparison"], th["source"]) == (8000, "<", "meisel2009")


# --- persistent lymphopenia -> IL-7 / anti-PD-1 -----------------------------------------------


@pytest.mark.parametrize(
    ("alc", "il7", "nivolumab"),
    [
        (0.9, True, True),
        (0.91, False, True),
        (1.1, False, True),
        (1.11, False, False),
    ],
)
def test_lymphopenia_candidates_follow_each_trials_alc_threshold(
    alc: float, il7: bool, nivolumab: bool
) -> None:
    rec = recommend(frame(day(d=0, lymphocytes=alc), day(d=1, lymphocytes=alc)))
    got = _therapies(rec, d=1)
    assert ("il7" in got) is il7
    assert ("nivolumab" in got) is nivolumab


def test_lymphopenia_on_one_day_only_is_not_persistent() -> None:
    rec = recommend(frame(day(d=0, lymphocytes=1.5), day(d=1, lymphocytes=0.4)))
    assert not {"il7", "nivolumab"} & set(_therapies(rec, d=1))


def test_il7_ranks_above_nivolumab_and_nivolumab_carries_duration_and_irae_warnings() -> None:
    rec = recommend(frame(day(d=0, lymphocytes=0.5), day(d=1, lymphocytes=0.5)))
    opts = rec.get("P1", 1).options
    assert [o["therapy"] for o in opts] == ["il7", "nivolumab"]
    assert [o["rank"] for o in opts] == [1, 2]
    niv = opts[1]
    kinds = {w["kind"] for w in niv["warnings"]}
    assert {"irae", "duration_of_action", "caveat"} <= kinds
    texts = " ".join(w["text"] for w in niv["warnings"])
    assert "beyond 90 days" in texts and "20 mg" in texts
    assert niv["dose"]["value"] == 480


def test_hyperinflammatory_state_excludes_immunostimulants() -> None:
    rows = [day(d=d, immune_state="hyperinflammatory", lymphocytes=0.5, il6=200) for d in (0, 1)]
    rec = recommend(frame(*rows))
    assert _therapies(rec, d=1) == []
    assert "hyperinflammation" in _excluded(rec, d=1)["il7"]


def test_mixed_state_keeps_lymphopenia_candidates_with_a_caution() -> None:
    rows = [day(d=d, immune_state="mixed", lymphocytes=0.5, il6=200) for d in (0, 1)]
    opts = recommend(frame(*rows)).get("P1", 1).options
    assert {o["therapy"] for o in opts} == {"il7", "nivolumab"}
    for o in opts:
        assert any(c["id"] == "mixed_immune_state" for c in o["contraindications_found"])


# --- hyperinflammation with IL-6 > 1,000 -> anti-TNF (low evidence) --------------------------


@pytest.mark.parametrize(("il6", "fires"), [(1000, False), (1001, True)])
def test_anti_tnf_needs_il6_above_1000_in_hyperinflammation(il6: float, fires: bool) -> None:
    rec = recommend(frame(day(immune_state="hyperinflammatory", il6=il6)))
    assert ("anti_tnf" in _therapies(rec)) is fires


def test_anti_tnf_is_low_evidence_after_anakinra_with_fisher_harm_warning() -> None:
    rec = recommend(
        frame(day(phenotype="MALS", immune_state="hyperinflammatory", ferritin=9000, il6=3000))
    )
    opts = rec.get("P1", 0).options
    assert [o["therapy"] for o in opts] == ["anakinra", "anti_tnf"]
    tnf = opts[1]
    assert tnf["evidence_strength"]["strength"] == "low"
    assert "monarcs" in {t["id"] for t in tnf["trials"]}
    caveats = [w for w in tnf["warnings"] if w["kind"] == "caveat"]
    assert any(w["source"] == "fisher1996" and "53%" in w["text"] for w in caveats)
    assert any(w["kind"] == "combination" for w in tnf["warnings"])


def test_high_il6_without_hyperinflammation_does_not_fire_anti_tnf() -> None:
    rec = recommend(frame(day(immune_state="balanced", il6=5000)))
    assert "anti_tnf" not in _therapies(rec)


# --- contraindications from the patient's data ----------------------------------------------


@pytest.mark.parametrize(("anc", "excluded"), [(1.5, False), (1.49, True)])
def test_neutrophils_below_1_5_exclude_anakinra_per_immunosep(anc: float, excluded: bool) -> None:
    rec = recommend(
        frame(
            day(phenotype="MALS", immune_state="hyperinflammatory", ferritin=6000, neutrophils=anc)
        )
    )
    assert ("anakinra" in _excluded(rec)) is excluded
    assert ("anakinra" in _therapies(rec)) is not excluded
    if excluded:
        assert "immunosep" in _excluded(rec)["anakinra"]
        assert rec.get("P1", 0).no_immunotherapy_reason is not None


def test_neutropenia_excludes_interferon_gamma_too() -> None:
    rec = recommend(
        frame(
            day(
                phenotype="immunoparalysis",
                immune_state="immunosuppressed",
                mhla_dr=3000,
                neutrophils=0.8,
            )
        )
    )
    assert "interferon_gamma" in _excluded(rec)
    reason = rec.get("P1", 0).no_immunotherapy_reason
    assert reason is not None and "neutropenia" in reason


def test_missing_neutrophils_is_a_warning_and_a_measure_next() -> None:
    rec = recommend(
        frame(
            day(phenotype="MALS", immune_state="hyperinflammatory", ferritin=6000, neutrophils=NAN)
        )
    )
    d = rec.get("P1", 0)
    assert d.options[0]["therapy"] == "anakinra"
    assert any(w["kind"] == "missing_data" for w in d.options[0]["warnings"])
    assert "neutrophils" in [m["variable"] for m in d.measure_next]


@pytest.mark.parametrize(("load", "caution"), [(2.99e6, False), (3.0e6, True)])
def test_high_pathogen_load_is_an_unverified_caution_for_nivolumab(
    load: float, caution: bool
) -> None:
    rows = [day(d=d, lymphocytes=1.0, pathogen_load=load) for d in (0, 1)]
    niv = next(
        o for o in recommend(frame(*rows)).get("P1", 1).options if o["therapy"] == "nivolumab"
    )
    found = [c for c in niv["contraindications_found"] if c["id"] == "high_pathogen_load"]
    assert bool(found) is caution
    if caution:
        assert found[0]["threshold"]["status"] == "RECALLED"


# --- no immunotherapy / indeterminate ----------------------------------------------------------


def test_intermediate_without_other_signals_is_no_immunotherapy_with_reason() -> None:
    d = recommend(frame(day())).get("P1", 0)
    assert d.options == []
    assert d.no_immunotherapy_reason is not None
    assert "intermediate" in d.no_immunotherapy_reason


def test_indeterminate_phenotype_says_what_to_measure_next() -> None:
    d = recommend(
        frame(
            day(phenotype="indeterminate", immune_state="indeterminate", ferritin=NAN, mhla_dr=NAN)
        )
    ).get("P1", 0)
    assert d.options == []
    assert {"ferritin", "mhla_dr"} <= {m["variable"] for m in d.measure_next}
    assert d.no_immunotherapy_reason is not None and "indeterminate" in d.no_immunotherapy_reason


def test_unknown_ferritin_blocks_immunostimulants_because_mals_is_not_excluded() -> None:
    rows = [day(d=d, phenotype="indeterminate", ferritin=NAN, lymphocytes=0.5) for d in (0, 1)]
    rec = recommend(frame(*rows))
    assert _therapies(rec, d=1) == []
    assert "MALS cannot be ruled out" in _excluded(rec, d=1)["il7"]


# --- timing --------------------------------------------------------------------------------------


def test_anakinra_beyond_72_h_of_sepsis3_carries_a_timing_warning() -> None:
    rows = [
        day(d=d, phenotype="MALS", immune_state="hyperinflammatory", ferritin=6000)
        for d in range(5)
    ]
    rec = recommend(frame(*rows))
    within = {d: rec.get("P1", d).options[0]["timing_window"]["within_window"] for d in range(5)}
    assert within == {0: True, 1: True, 2: True, 3: True, 4: False}
    assert any(w["kind"] == "timing" for w in rec.get("P1", 4).options[0]["warnings"])


def test_timing_window_unknown_without_sepsis3() -> None:
    rec = recommend(
        frame(day(phenotype="MALS", immune_state="hyperinflammatory", ferritin=6000, sepsis3=False))
    )
    assert rec.get("P1", 0).options[0]["timing_window"]["within_window"] is None
