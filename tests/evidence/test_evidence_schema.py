"""The evidence schema: every file loads; a malformed file is an error naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sepsistwin.evidence import THERAPY_IDS, EvidenceError, load_evidence

FIXED_IDS = {
    "anti_tnf",
    "anakinra",
    "tocilizumab",
    "il10",
    "nivolumab",
    "anti_pd_l1",
    "anti_ctla4",
    "il7",
    "il15",
    "interferon_gamma",
    "gm_csf",
    "thymosin_alpha1",
    "msc",
    "probiotics",
    "fmt",
    "gene_editing",
    "nanocarrier",
    "meropenem",
}


def _edit(path: Path, mutate) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_packaged_evidence_loads_with_exactly_the_fixed_therapy_ids() -> None:
    ev = load_evidence()
    assert set(THERAPY_IDS) == FIXED_IDS
    assert set(ev.therapies) == FIXED_IDS


def test_copy_of_the_data_loads_from_a_folder(data_copy: Path) -> None:
    ev = load_evidence(data_copy)
    assert ev.data_dir == data_copy
    assert len(ev.therapies) == 18


def test_ci_with_one_number_names_file_key_path_and_expectation(data_copy: Path) -> None:
    path = data_copy / "therapies" / "anakinra.yaml"
    # trials[2] is the Shakoory reanalysis, whose first effect has a CI.
    _edit(path, lambda d: d["trials"][2]["effects"][0].__setitem__("ci", [0.11]))
    with pytest.raises(EvidenceError) as exc:
        load_evidence(data_copy)
    msg = str(exc.value)
    assert msg.startswith("anakinra.yaml: trials[2].effects[0].ci:")
    assert "expected two numbers" in msg


def test_ci_in_wrong_order_is_rejected(data_copy: Path) -> None:
    path = data_copy / "therapies" / "tocilizumab.yaml"
    _edit(path, lambda d: d["trials"][0]["effects"][0].__setitem__("ci", [0.94, 0.76]))
    with pytest.raises(
        EvidenceError,
        match=r"tocilizumab\.yaml: trials\[0\]\.effects\[0\]\.ci: "
        r"expected low <= high",
    ):
        load_evidence(data_copy)


def test_unknown_key_is_named(data_copy: Path) -> None:
    path = data_copy / "therapies" / "gm_csf.yaml"
    _edit(path, lambda d: d["regimens"][0].__setitem__("dosage", "4"))
    with pytest.raises(EvidenceError, match=r"gm_csf\.yaml: regimens\[0\]\.dosage: unknown key"):
        load_evidence(data_copy)


def test_missing_required_key_is_named(data_copy: Path) -> None:
    path = data_copy / "therapies" / "il7.yaml"
    _edit(path, lambda d: d["regimens"][0]["dose"].pop("status"))
    with pytest.raises(
        EvidenceError, match=r"il7\.yaml: regimens\[0\]\.dose\.status: missing required key"
    ):
        load_evidence(data_copy)


def test_bad_status_value_is_named_with_the_allowed_values(data_copy: Path) -> None:
    path = data_copy / "therapies" / "nivolumab.yaml"
    _edit(path, lambda d: d["regimens"][0]["dose"].__setitem__("status", "CHECKED"))
    with pytest.raises(EvidenceError) as exc:
        load_evidence(data_copy)
    assert "nivolumab.yaml: regimens[0].dose.status:" in str(exc.value)
    assert "VERIFIED" in str(exc.value) and "'CHECKED'" in str(exc.value)


def test_bad_evidence_level_is_rejected(data_copy: Path) -> None:
    path = data_copy / "therapies" / "msc.yaml"
    _edit(path, lambda d: d.__setitem__("evidence_level", "phase_4"))
    with pytest.raises(EvidenceError, match=r"msc\.yaml: evidence_level:"):
        load_evidence(data_copy)


def test_unknown_citation_key_is_named(data_copy: Path) -> None:
    path = data_copy / "therapies" / "fmt.yaml"
    _edit(path, lambda d: d["trials"][0].__setitem__("citation", "nobody2099"))
    with pytest.raises(
        EvidenceError, match=r"fmt\.yaml: trials\[0\]\.citation: unknown citation key"
    ):
        load_evidence(data_copy)


def test_verified_level_without_a_trial_of_that_level_is_rejected(data_copy: Path) -> None:
    path = data_copy / "therapies" / "il15.yaml"
    _edit(path, lambda d: d.__setitem__("evidence_level", "phase_3"))
    with pytest.raises(EvidenceError, match=r"il15\.yaml: evidence_level: 'phase_3' is VERIFIED"):
        load_evidence(data_copy)


def test_file_name_and_id_must_agree(data_copy: Path) -> None:
    path = data_copy / "therapies" / "msc.yaml"
    _edit(path, lambda d: d.__setitem__("id", "stem_cells"))
    with pytest.raises(EvidenceError, match=r"msc\.yaml: id: 'stem_cells' does not match"):
        load_evidence(data_copy)


def test_missing_therapy_file_is_named(data_copy: Path) -> None:
    (data_copy / "therapies" / "il10.yaml").unlink()
    with pytest.raises(EvidenceError, match=r"il10\.yaml: missing"):
        load_evidence(data_copy)


def test_yaml_syntax_error_names_file_and_line(data_copy: Path) -> None:
    path = data_copy / "therapies" / "fmt.yaml"
    path.write_text("id: fmt\nnames: [unclosed\n", encoding="utf-8")
    with pytest.raises(EvidenceError, match=r"fmt\.yaml: not valid YAML at line \d+"):
        load_evidence(data_copy)


def test_citation_without_any_identifier_or_note_is_rejected(data_copy: Path) -> None:
    path = data_copy / "citations.yaml"
    _edit(path, lambda d: d.__setitem__("bare", {"text": "Someone 2020", "status": "VERIFIED"}))
    with pytest.raises(EvidenceError, match=r"citations\.yaml: bare: expected at least one of doi"):
        load_evidence(data_copy)


def test_malformed_doi_is_rejected(data_copy: Path) -> None:
    path = data_copy / "citations.yaml"
    _edit(path, lambda d: d["provide"].__setitem__("doi", "xcrm.2022.100817"))
    with pytest.raises(EvidenceError, match=r"citations\.yaml: provide\.doi: expected a DOI"):
        load_evidence(data_copy)


def test_unknown_therapy_lookup_names_the_valid_ids() -> None:
    ev = load_evidence()
    with pytest.raises(KeyError) as exc:
        ev.therapy("aspirin")
    assert "aspirin" in str(exc.value) and "anakinra" in str(exc.value)
