"""docs/evidence-base.md is generated from the data and must be up to date."""

from __future__ import annotations

from pathlib import Path

from sepsistwin.evidence.docs import evidence_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "evidence-base.md"


def test_committed_evidence_doc_matches_the_data() -> None:
    assert DOC.read_text(encoding="utf-8") == evidence_markdown(), (
        "regenerate with: python -m sepsistwin.evidence.docs docs/evidence-base.md"
    )


def test_evidence_doc_marks_recalled_numbers_as_unverified() -> None:
    text = evidence_markdown()
    assert "100 µg (RECALLED (unverified))" in text  # the PROVIDE IFN-gamma dose
