"""Signature data: sources, licences, statuses, gene sets."""

from __future__ import annotations

from sepsistwin.evidence import load_evidence
from sepsistwin.omics import load_signatures


def test_every_signature_cites_known_sources_and_states_a_licence() -> None:
    citations = load_evidence().citations
    for sig in load_signatures().values():
        assert sig.sources, sig.id
        for key in sig.sources:
            assert key in citations, f"{sig.id}: unknown citation {key}"
        assert sig.licence.strip()
        assert sig.transcribed_from.strip()
        assert sig.status in {"VERIFIED", "RECALLED", "DERIVED"}


def test_published_gene_counts() -> None:
    sigs = load_signatures()
    assert len(sigs["srs_davenport"].genes) == 7
    assert len(sigs["srs_extended"].genes) == 19
    assert set(sigs["srs_davenport"].genes) <= set(sigs["srs_extended"].genes)
    # Sweeney 2018: YKT6 is both an Adaptive up-gene and a Coagulopathic down-gene.
    assert len(sigs["sweeney"].genes) == 33
    assert len(sigs["mars"].genes) == 8


def test_class_rules_not_checked_against_the_paper_are_flagged() -> None:
    sigs = load_signatures()
    assert sigs["sweeney"].class_rule_status == "RECALLED"
    assert sigs["mars"].class_rule_status == "RECALLED"
