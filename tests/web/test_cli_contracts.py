"""The API's bodies are the CLI's --json output, byte for byte after parsing."""

from __future__ import annotations

import json

from conftest import TestClient
from typer.testing import CliRunner

from sepsistwin.cli.main import app as cli
from sepsistwin.examples import example_path

COHORT = [str(example_path("cohort.csv")), "--onset", str(example_path("onsets.csv"))]


def cli_json(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_assessment_equals_assess_json(client: TestClient) -> None:
    assert client.get("/api/datasets/example/assessment").json() == cli_json(
        "assess", *COHORT, "--json"
    )


def test_recommendations_equal_recommend_json(client: TestClient) -> None:
    api = client.get(
        "/api/datasets/example/recommendations", params={"patient": "ICU-002", "day": 1}
    ).json()
    assert api == cli_json("recommend", *COHORT, "--patient", "ICU-002", "--day", "1", "--json")


def test_evidence_equals_evidence_show_json(client: TestClient) -> None:
    assert client.get("/api/evidence/il7").json() == cli_json("evidence", "show", "il7", "--json")
