"""CLI: ``sepsistwin simulate`` and ``sepsistwin export-sbml``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app

runner = CliRunner()


def test_simulate_json_prints_time_states_and_observables() -> None:
    res = runner.invoke(
        app,
        [
            "simulate",
            "--model",
            "reynolds2006",
            "--param",
            "k_pg=0.6",
            "--init",
            "P=1.0",
            "--hours",
            "500",
            "--step",
            "10",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["time"][0] == 0.0 and data["time"][-1] == 500.0 and len(data["time"]) == 51
    assert set(data["states"]) == {"P", "N", "D", "CA"}
    assert data["states"]["P"][-1] == pytest.approx(4.94, abs=0.01)  # septic death
    assert data["observables"]["pathogen_load"][0] == pytest.approx(1e6)


def test_simulate_writes_parquet_and_png(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out, png = tmp_path / "r.parquet", tmp_path / "r.png"
    res = runner.invoke(
        app,
        ["simulate", "--hours", "24", "--dose", "P:0.5@6", "--out", str(out), "--plot", str(png)],
    )
    assert res.exit_code == 0, res.output
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["time", "P", "N", "D", "CA", "pathogen_load"]
    assert len(frame) == 25
    plain = tmp_path / "plain.parquet"
    assert runner.invoke(app, ["simulate", "--hours", "24", "--out", str(plain)]).exit_code == 0
    dosed, undosed = frame.set_index("time")["P"], pd.read_parquet(plain).set_index("time")["P"]
    assert dosed[5.0] == pytest.approx(undosed[5.0])
    assert dosed[6.0] - undosed[6.0] == pytest.approx(0.5)  # the bolus, right at its time
    assert png.stat().st_size > 1000


def test_simulate_html_plot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    html = tmp_path / "r.html"
    res = runner.invoke(app, ["simulate", "--hours", "12", "--plot", str(html)])
    assert res.exit_code == 0, res.output
    assert "plotly" in html.read_text().lower()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--param", "kpg=0.6"], "kpg"),
        (["--init", "Q=1"], "Q"),
        (["--init", "P=-1"], "initial state 'P'"),
        (["--param", "k_pg=abc"], "k_pg=abc"),
        (["--dose", "X:1@2"], "state 'X'"),
        (["--dose", "P:-1@2"], "amount must be > 0"),
        (["--hours", "-5"], "--hours"),
        (["--model", "nope"], "unknown model 'nope'"),
    ],
)
def test_bad_input_exits_2_naming_the_field(args: list[str], field: str) -> None:
    res = runner.invoke(app, ["simulate", *args])
    assert res.exit_code == 2
    assert field in res.output


def test_export_sbml_writes_a_valid_document(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sepsistwin.model.sbml import validate_sbml

    path = tmp_path / "reynolds.xml"
    res = runner.invoke(
        app,
        ["export-sbml", "--model", "reynolds2006", str(path), "--dose", "P:0.5@12,every=24,n=2"],
    )
    assert res.exit_code == 0, res.output
    xml = path.read_text()
    assert validate_sbml(xml) == []
    assert xml.count("<event ") == 2


def test_save_grid_always_ends_at_the_requested_horizon() -> None:
    res = runner.invoke(app, ["simulate", "--hours", "10", "--step", "3", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["time"] == [0.0, 3.0, 6.0, 9.0, 10.0]
