"""Help pages, --version, `examples copy`, --format and tables in an 80-column terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from sepsistwin import __version__
from sepsistwin.cli.main import app
from sepsistwin.examples import example_path

runner = CliRunner()
ENV80 = {"COLUMNS": "80"}


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for info in group.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        out.append((*prefix, name))
    for g in group.registered_groups:
        assert g.typer_instance is not None
        out += _commands(g.typer_instance, (*prefix, g.name or ""))
    return out


ALL_COMMANDS = _commands(app)


def _invoke(*args: str) -> object:
    return runner.invoke(app, list(args), env=ENV80)


def _lines_fit(text: str, width: int = 80) -> None:
    for line in text.splitlines():
        assert len(line) <= width, f"{len(line)} > {width}: {line!r}"


def test_every_command_is_listed_for_the_help_checks() -> None:
    names = {" ".join(c) for c in ALL_COMMANDS}
    assert {"assess", "recommend", "trial", "simulate", "examples copy", "evidence list"} <= names


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: " ".join(c) or "sepsistwin")
def test_help_fits_80_columns_without_type_tags_or_braces(command: tuple[str, ...]) -> None:
    res = _invoke(*command, "--help")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    text = res.stdout  # type: ignore[attr-defined]
    assert "Usage:" in text
    assert "<bool>" not in text and "<str>" not in text and "<path>" not in text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    _lines_fit(text)
    assert "…" not in text  # no option name or help word cut short


def test_help_names_arguments_in_capitals_and_values_by_type() -> None:
    text = _invoke("assess", "--help").stdout  # type: ignore[attr-defined]
    assert "Usage: sepsistwin assess [OPTIONS] INPUT" in text
    assert "PATH" in text  # --onset PATH
    assert "--no-lenient" not in text  # a switch that is off unless given


def test_version_option_prints_the_package_version() -> None:
    res = _invoke("--version")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"sepsistwin {__version__}"  # type: ignore[attr-defined]


def test_examples_copy_writes_the_cohort_and_trial_specs_that_assess_reads(tmp_path: Path) -> None:
    res = _invoke("examples", "copy", str(tmp_path / "ex"))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    folder = tmp_path / "ex"
    for name in ("cohort.csv", "onsets.csv", "cohort_fhir.json"):
        assert (folder / name).read_bytes() == example_path(name).read_bytes()
    assert (folder / "trials" / "provide-like.yaml").exists()
    assess = _invoke(
        "assess", str(folder / "cohort.csv"), "--onset", str(folder / "onsets.csv"), "--json"
    )
    assert assess.exit_code == 0
    assert len(json.loads(assess.stdout)) > 10  # type: ignore[attr-defined]


def test_examples_copy_keeps_existing_files_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "cohort.csv").write_text("mine\n")
    res = _invoke("examples", "copy", str(tmp_path))
    assert res.exit_code == 2
    assert "already exist" in res.stderr and "--force" in res.stderr  # type: ignore[attr-defined]
    assert (tmp_path / "cohort.csv").read_text() == "mine\n"
    assert _invoke("examples", "copy", str(tmp_path), "--force").exit_code == 0  # type: ignore[attr-defined]
    assert (tmp_path / "cohort.csv").read_bytes() == example_path("cohort.csv").read_bytes()


def test_assess_tables_fit_80_columns_and_keep_the_phenotype_whole() -> None:
    res = _invoke("assess", str(example_path("cohort.csv")), "--table")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    text = res.stdout  # type: ignore[attr-defined]
    _lines_fit(text)
    assert "…" not in text
    for word in ("immunoparalysis", "intermediate", "MALS", "immunosuppressed"):
        assert word in text
    # What did not fit is named, not silently cut.
    assert "not shown at this width" in text and "R·C·L·V·N·K" in text


def test_assess_tables_keep_every_column_when_wide() -> None:
    res = runner.invoke(
        app, ["assess", str(example_path("cohort.csv")), "--table"], env={"COLUMNS": "200"}
    )
    assert "R·C·L·V·N·K" in res.stdout and "qSOFA" in res.stdout  # type: ignore[attr-defined]
    assert "not shown" not in res.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt,sep", [("csv", ","), ("tsv", "\t")])
def test_assess_format_csv_and_tsv_hold_the_same_records_as_json(fmt: str, sep: str) -> None:
    path = str(example_path("cohort.csv"))
    as_json = json.loads(_invoke("assess", path, "--json").stdout)  # type: ignore[attr-defined]
    res = _invoke("assess", path, "--format", fmt)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    frame = pd.read_csv(io.StringIO(res.stdout), sep=sep)  # type: ignore[attr-defined]
    assert len(frame) == len(as_json)
    assert frame["phenotype"].tolist() == [r["phenotype"] for r in as_json]
    assert frame["sofa"].tolist() == [r["sofa"] for r in as_json]


def test_json_and_a_different_format_are_refused() -> None:
    res = _invoke("assess", str(example_path("cohort.csv")), "--json", "--format", "csv")
    assert res.exit_code == 2
    assert "disagree" in res.stderr  # type: ignore[attr-defined]


def test_evidence_list_fits_80_columns_and_cuts_no_word() -> None:
    from sepsistwin.evidence import load_evidence

    res = _invoke("evidence", "list")
    text = res.stdout  # type: ignore[attr-defined]
    _lines_fit(text)
    assert "…" not in text
    for tid in load_evidence().ids():
        assert tid in text


def test_evidence_list_piped_without_columns_keeps_every_column() -> None:
    res = runner.invoke(app, ["evidence", "list"], env={"COLUMNS": ""})
    assert "class" in res.stdout and "trials" in res.stdout  # type: ignore[attr-defined]
    assert "anti_inflammatory" in res.stdout  # type: ignore[attr-defined]


def test_evidence_list_csv_has_a_row_per_therapy() -> None:
    from sepsistwin.evidence import load_evidence

    res = _invoke("evidence", "list", "--format", "csv")
    frame = pd.read_csv(io.StringIO(res.stdout))  # type: ignore[attr-defined]
    assert frame["id"].tolist() == load_evidence().ids()
    assert {"class", "evidence_level", "trials"} <= set(frame.columns)


def test_recommend_csv_has_a_row_per_patient_day_option() -> None:
    res = _invoke(
        "recommend",
        str(example_path("cohort.csv")),
        "--onset",
        str(example_path("onsets.csv")),
        "--format",
        "csv",
    )
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    frame = pd.read_csv(io.StringIO(res.stdout))  # type: ignore[attr-defined]
    mals = frame[(frame["patient_id"] == "ICU-001") & (frame["rank"] == 1)]
    assert set(mals["therapy"]) == {"anakinra"}
    assert {"dose", "route", "schedule", "why"} <= set(frame.columns)


def test_assess_piped_prints_a_summary_with_counts_and_time() -> None:
    res = _invoke(
        "assess", str(example_path("cohort.csv")), "--onset", str(example_path("onsets.csv"))
    )
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    text = res.stdout  # type: ignore[attr-defined]
    _lines_fit(text)
    assert "Patient ICU-001" not in text
    assert "10 patients, 37 patient-days assessed in" in text
    assert "patient-days/min" in text
    assert "MALS 6 (16%)" in " ".join(text.split())  # counts by phenotype, patient-days
    assert "septic shock:" in text and "missing data:" in text


def test_assess_with_out_writes_every_row_and_prints_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    res = _invoke("assess", str(example_path("cohort.csv")), "--out", str(out))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert len(pd.read_parquet(out)) == 37
    assert f"wrote {out}" in res.stdout.replace("\n", "")  # type: ignore[attr-defined]
    assert "Patient ICU-001" not in res.stdout  # type: ignore[attr-defined]


def test_assess_out_in_a_missing_folder_is_refused_before_the_work(tmp_path: Path) -> None:
    res = _invoke(
        "assess", str(example_path("cohort.csv")), "--out", str(tmp_path / "no" / "r.csv")
    )
    assert res.exit_code == 2
    assert "does not exist" in res.stderr  # type: ignore[attr-defined]


def test_assessment_summary_counts_match_the_records() -> None:
    from sepsistwin.api import assess
    from sepsistwin.cli.assess import assessment_summary

    result = assess(example_path("cohort.csv"), onset=example_path("onsets.csv"))
    s = assessment_summary(result, 2.0)
    assert s["patient_days"] == len(result)
    assert sum(s["phenotype_days"].values()) == len(result)
    assert s["septic_shock_days"] == int(result["septic_shock"].sum())
    assert s["septic_shock_patients"] == result.loc[result["septic_shock"], "patient_id"].nunique()
    assert s["patient_days_per_minute"] == round(60 * len(result) / 2.0)


def test_recommend_piped_prints_a_summary_and_one_patient_prints_panels() -> None:
    path, onset = str(example_path("cohort.csv")), str(example_path("onsets.csv"))
    res = _invoke("recommend", path, "--onset", onset)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "first-ranked option (patient-days): " in res.stdout.replace("\n", " ")  # type: ignore[attr-defined]
    assert "anakinra 6" in res.stdout  # type: ignore[attr-defined]
    one = _invoke("recommend", path, "--onset", onset, "--patient", "ICU-001", "--day", "1")
    assert "Patient ICU-001, day 1" in one.stdout  # type: ignore[attr-defined]
    forced = _invoke("recommend", path, "--onset", onset, "--table")
    assert forced.stdout.count("Patient ICU-0") >= 10  # type: ignore[attr-defined]


PRINTING = [
    ("assess",),
    ("recommend",),
    ("simulate",),
    ("trial",),
    ("validate",),
    ("endotype",),
    ("evidence", "list"),
    ("evidence", "show"),
    ("data", "variables"),
]


@pytest.mark.parametrize("command", PRINTING, ids=" ".join)
def test_printing_commands_offer_every_output_format(command: tuple[str, ...]) -> None:
    text = " ".join(_invoke(*command, "--help").stdout.split())  # type: ignore[attr-defined]
    assert "--format" in text
    for fmt in ("table", "json"):
        assert fmt in text


def test_data_variables_csv_is_the_catalogue() -> None:
    from sepsistwin.data import CATALOGUE

    res = _invoke("data", "variables", "--format", "csv")
    frame = pd.read_csv(io.StringIO(res.stdout))  # type: ignore[attr-defined]
    assert frame["variable"].tolist() == list(CATALOGUE)
    assert frame.set_index("variable").loc["lactate", "unit"] == "mmol/L"


def test_data_variables_table_fits_80_columns() -> None:
    res = _invoke("data", "variables")
    assert res.exit_code == 0
    _lines_fit(res.stdout)  # type: ignore[attr-defined]
    assert "lactate" in res.stdout and "mmol/L" in res.stdout  # type: ignore[attr-defined]


def test_examples_list_and_copy_output_fit_80_columns(tmp_path: Path) -> None:
    _lines_fit(_invoke("examples", "list").stdout)  # type: ignore[attr-defined]
    res = _invoke("examples", "copy", str(tmp_path))
    assert "next: sepsistwin assess" in res.stdout  # type: ignore[attr-defined]
