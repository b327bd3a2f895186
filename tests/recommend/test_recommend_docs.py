"""docs/recommendation-rules.md is generated from rules.yaml and must be up to date."""

from __future__ import annotations

from pathlib import Path

from sepsistwin.recommend import load_rules
from sepsistwin.recommend.docs import rules_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "recommendation-rules.md"


def test_committed_rules_doc_matches_the_rules() -> None:
    assert DOC.read_text(encoding="utf-8") == rules_markdown(), (
        "regenerate with: python -m sepsistwin.recommend.docs docs/recommendation-rules.md"
    )


def test_rules_doc_lists_every_threshold_and_rule() -> None:
    text = rules_markdown()
    rs = load_rules()
    for name in rs.thresholds:
        assert f"`{name}`" in text
    for rule in rs.rules:
        assert f"`{rule.id}`" in text
