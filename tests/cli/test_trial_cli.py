"""``sepsistwin trial``: JSON contract on stdout, readable summary, report, resume, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sepsistwin.cli.main import app

TRIAL_TESTS = Path(__file__).resolve().parents[1] / "trial"
SIM = "reynolds_sim:ReynoldsTrialSimulator"
SMALL = ("--store", ":memory:", "--chunk-size", "100")

SPEC = {
    "name": "cli-small",
    "seed": 2,
    "population": {"size": 200},
    "screening": {"at_hours": 24},
    "arms": [
        {"name": "placebo"},
        {
            "name": "anakinra",
            "therapies": [{"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}],
        },
    ],
}


@pytest.fixture
def spec_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(TRIAL_TESTS))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return path


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, ["trial", *args])
    return r.exit_code, r.stdout, r.stderr


def test_json_output_is_the_contract_and_nothing_else_on_stdout(spec_file: Path) -> None:
    code, out, _ = run(
        str(spec_file), "--json", "--simulator", SIM, "--workers", "1", "--chunk-size", "100"
    )
    assert code == 0
    d = json.loads(out)
    assert [a["name"] for a in d["arms"]] == ["placebo", "anakinra"]
    for key in ("n", "deaths_28d", "mortality_28d", "mortality_28d_ci", "sofa_drop_1p4_day9"):
        assert key in d["arms"][0]
    assert d["comparisons"][0]["versus"] == "placebo"
    assert "subgroups" in d
    # default store under runs/ in the working directory
    assert Path(d["trial"]["store"]).parent == Path("runs")
    assert (spec_file.parent / d["trial"]["store"]).exists()


def test_summary_report_parquet_and_resume(spec_file: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    report = tmp_path / "r.html"
    code, out, _ = run(
        str(spec_file),
        "--simulator",
        SIM,
        "--workers",
        "1",
        "--store",
        str(store),
        "--report",
        str(report),
        "--parquet",
        str(tmp_path / "pq"),
        "--size",
        "150",
        "--chunk-size",
        "100",
        "--quiet",
    )
    assert code == 0, out
    assert "mortality 28d (95% CI)" in out and "HR vs placebo" in out
    assert report.read_text().count("plotly") > 0
    assert (tmp_path / "pq" / "patients.parquet").exists()
    code2, _out2, err2 = run(
        str(spec_file),
        "--simulator",
        SIM,
        "--workers",
        "1",
        "--store",
        str(store),
        "--size",
        "150",
        "--chunk-size",
        "100",
        "--quiet",
    )
    # The same trial again: the completed run is loaded, not run again.
    assert code2 == 0 and "loaded completed run" in err2
    assert _out2.splitlines()[:12] == out.splitlines()[:12]
    code3, out3, _ = run(
        str(spec_file),
        "--simulator",
        SIM,
        "--workers",
        "1",
        "--store",
        str(store),
        "--size",
        "150",
        "--chunk-size",
        "100",
        "--quiet",
        "--resume",
    )
    assert code3 == 0
    assert out3.splitlines()[:12] == out.splitlines()[:12]


def test_invalid_spec_exits_2_with_line_and_key(spec_file: Path) -> None:
    spec_file.write_text(spec_file.read_text().replace("therapy: anakinra", "therapy: nope"))
    code, _, err = run(str(spec_file), "--simulator", SIM)
    assert code == 2
    assert "invalid trial specification" in err and "therapies[0].therapy" in err
    assert "line " in err


def test_unknown_spec_and_bad_simulator_are_clear_errors(spec_file: Path) -> None:
    code, _, err = run("no-such-trial.yaml")
    assert code == 2 and "provide-like" in err
    code, _, err = run(str(spec_file), "--simulator", "nomodule")
    assert code == 2 and "MODULE:NAME" in err


def test_summary_fits_80_columns_without_cutting_words(spec_file: Path) -> None:
    r = CliRunner().invoke(
        app,
        [*("trial", str(spec_file), "--simulator", SIM, "--workers", "1", "--quiet"), *SMALL],
        env={"COLUMNS": "80"},
    )
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for header in ("log-rank p", "HR vs placebo (95% CI)", "mortality 28d (95% CI)"):
        assert any(header in line for line in lines), header
    assert "…" not in r.stdout


def test_format_csv_has_a_row_per_arm_with_ci_columns(spec_file: Path) -> None:
    import io

    import pandas as pd

    r = CliRunner().invoke(
        app,
        [
            *("trial", str(spec_file), "--simulator", SIM, "--workers", "1", "--quiet"),
            *SMALL,
            *("--format", "csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(io.StringIO(r.stdout))
    assert frame["name"].tolist() == ["placebo", "anakinra"]
    row = frame.iloc[1]
    assert row["mortality_28d_ci_low"] <= row["mortality_28d"] <= row["mortality_28d_ci_high"]
    assert "vs_first_hazard_ratio" in frame.columns
