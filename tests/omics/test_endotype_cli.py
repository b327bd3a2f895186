"""`sepsistwin endotype`: table, JSON, --out, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.omics.examples import example_expression_path, example_samples_path

runner = CliRunner()


def test_json_lists_calls_with_genes_and_quality() -> None:
    res = runner.invoke(
        app,
        [
            "endotype",
            str(example_expression_path()),
            "--samples",
            str(example_samples_path()),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    calls = payload["calls"]
    assert len(calls) == 40 * 4
    first = calls[0]
    for key in ("sample_id", "patient_id", "day", "method", "class", "score", "quality"):
        assert key in first
    assert payload["meta"]["gene_map"].startswith("Ensembl 100")
    srs = [c for c in calls if c["method"] == "srs_davenport"]
    assert {c["class"] for c in srs} <= {"SRS1", "SRS2", "SRS3"}
    assert all(c["genes_used"].count(";") == 6 for c in srs)


def test_table_output_and_out_file(tmp_path: Path) -> None:
    out = tmp_path / "calls.csv"
    res = runner.invoke(
        app,
        [
            "endotype",
            str(example_expression_path()),
            "--method",
            "srs_davenport",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "SRS (7)" in res.output
    written = pd.read_csv(out)
    assert set(written["method"]) == {"srs_davenport"} and len(written) == 40


def test_counts_matrix_exits_2_with_the_expected_scale(tmp_path: Path) -> None:
    expr = pd.read_csv(example_expression_path())
    expr.iloc[:, 1:] = np.round(2 ** expr.iloc[:, 1:].to_numpy() * 10)
    f = tmp_path / "counts.csv"
    expr.to_csv(f, index=False)
    res = runner.invoke(app, ["endotype", str(f)])
    assert res.exit_code == 2
    assert "counts.csv" in res.output and "log2(CPM + 1)" in res.output


def test_unknown_srs_mode_is_refused() -> None:
    res = runner.invoke(app, ["endotype", str(example_expression_path()), "--srs-mode", "rf"])
    assert res.exit_code == 2 and "srs-mode" in res.output
