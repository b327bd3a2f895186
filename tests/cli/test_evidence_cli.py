"""``sepsistwin evidence list`` and ``evidence show THERAPY [--json]``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sepsistwin import DISCLAIMER
from sepsistwin.cli.main import app
from sepsistwin.evidence import THERAPY_IDS

runner = CliRunner()


def test_list_shows_every_therapy_id_and_the_disclaimer() -> None:
    result = runner.invoke(app, ["evidence", "list"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for tid in THERAPY_IDS:
        assert tid in result.stdout
    assert "evidence level" in result.stdout
    assert "Research decision support" in result.stdout


def test_show_json_is_the_therapy_record_with_resolved_citations() -> None:
    result = runner.invoke(app, ["evidence", "show", "anakinra", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == "anakinra"
    assert data["disclaimer"] == DISCLAIMER
    assert {
        "regimens",
        "trials",
        "adverse_events",
        "contraindications",
        "timing_window",
        "evidence_level",
        "citations",
    } <= set(data)
    assert data["citations"]["provide"]["pmid"] == "36384100"
    for trial in data["trials"]:
        assert trial["citation"] in data["citations"]


def test_show_readable_marks_recalled_numbers_as_unverified() -> None:
    result = runner.invoke(app, ["evidence", "show", "interferon_gamma"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "RECALLED, unverified" in result.stdout
    assert "PROVIDE" in result.stdout


def test_show_unknown_therapy_exits_2_naming_the_valid_ids() -> None:
    result = runner.invoke(app, ["evidence", "show", "aspirin"], terminal_width=400)
    assert result.exit_code == 2
    assert "aspirin" in result.output
    assert "anakinra" in result.output and "meropenem" in result.output
