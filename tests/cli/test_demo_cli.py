"""`sepsistwin demo` runs the main job end to end on the bundled defaults."""

from __future__ import annotations

from typer.testing import CliRunner

from sepsistwin.cli.main import app


def test_demo_assesses_recommends_simulates_and_runs_a_trial():
    res = CliRunner().invoke(app, ["demo"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert all(len(line) <= 80 for line in out.splitlines()), max(out.splitlines(), key=len)
    for section in ("1. Assess", "2. Recommend", "3. Simulate", "4. Twin", "5. Trial"):
        assert section in out
    assert "Twin of ICU-001" in out
    assert "Patient ICU-001" in out and "MALS" in out
    assert "anakinra" in out and "interferon_gamma" in out
    assert "placebo" in out and "guided" in out and "HR vs placebo" in out
    assert "not a prescription" in out
