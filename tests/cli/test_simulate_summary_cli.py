"""``sepsistwin simulate``: the readable summary, offline HTML, output types by extension."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.model import get_model

runner = CliRunner()
ENV80 = {"COLUMNS": "80"}
REYNOLDS = ["simulate", "--model", "reynolds2006", "--param", "k_pg=0.6", "--init", "P=1.0"]


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.src: list[str] = []
        self.inline = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            src = dict(attrs).get("src")
            if src:
                self.src.append(src)
            else:
                self.inline += 1


def test_summary_names_the_model_from_its_object_and_a_row_per_day() -> None:
    res = runner.invoke(app, [*REYNOLDS, "--hours", "120"], env=ENV80)
    assert res.exit_code == 0, res.output
    m = get_model("reynolds2006")
    assert f"{len(m.state_names)} states, {len(m.parameter_names)} parameters" in res.stdout
    rows = [line for line in res.stdout.splitlines() if re.match(r"\s+\d+\s+\d", line)]
    assert [int(r.split()[0]) for r in rows] == [0, 24, 48, 72, 96, 120]
    assert all(len(line) <= 80 for line in res.stdout.splitlines())


def test_summary_of_the_full_model_has_sofa_death_probability_and_doses() -> None:
    res = runner.invoke(
        app,
        [
            *("simulate", "--model", "sepsistwin", "--hours", "72", "--init", "P=5"),
            *("--dose", "anakinra:100mg@24,every=24,n=2"),
        ],
        env=ENV80,
    )
    assert res.exit_code == 0, res.output
    text = res.stdout
    m = get_model("sepsistwin")
    assert f"{len(m.state_names)} states" in text
    assert "SOFA" in text and "P(death)" in text and "phenotype" in text
    assert "2 administrations (bolus) into anakinra_c, 24 to 48 h" in " ".join(text.split())
    days = [line.split() for line in text.splitlines() if re.match(r"\s+[0-3]\s+\d+\s", line)]
    assert [int(d[0]) for d in days] == [0, 1, 2, 3]
    assert max(int(d[1]) for d in days) >= 2  # a septic course: SOFA rises


def test_html_plot_embeds_plotly_and_loads_nothing_from_the_network(tmp_path: Path) -> None:
    path = tmp_path / "course.html"
    res = runner.invoke(app, [*REYNOLDS, "--hours", "48", "--plot", str(path)])
    assert res.exit_code == 0, res.output
    parser = _Scripts()
    parser.feed(path.read_text())
    assert parser.src == []  # no CDN
    assert parser.inline >= 1 and "Plotly" in path.read_text()


@pytest.mark.parametrize(
    "option,name,expected",
    [
        ("--plot", "x.pdf", "PDF is not written"),
        ("--plot", "x.svg", "expected .png or .html"),
        ("--out", "x.csv", "expected .parquet"),
    ],
)
def test_output_types_follow_the_extension_or_are_refused(
    tmp_path: Path, option: str, name: str, expected: str
) -> None:
    res = runner.invoke(app, [*REYNOLDS, option, str(tmp_path / name)])
    assert res.exit_code == 2
    assert expected in " ".join(res.stderr.split())
    assert not (tmp_path / name).exists()


def test_trial_report_must_be_html(tmp_path: Path) -> None:
    res = runner.invoke(app, ["trial", "provide-like", "--report", str(tmp_path / "r.pdf")])
    assert res.exit_code == 2
    assert "PDF is not written" in " ".join(res.stderr.split())


def test_a_dose_outside_the_studied_range_warns_and_strict_refuses() -> None:
    args = ["simulate", "--model", "sepsistwin", "--hours", "24"]
    args += ["--dose", "anakinra:1000000000mg@12"]
    warned = runner.invoke(app, args)
    assert warned.exit_code == 0, warned.output
    err = " ".join(warned.stderr.split())
    assert "warning: --dose anakinra:1000000000mg@12" in err
    assert "5,000,000 times the highest studied dose" in err and "PROVIDE" in err
    refused = runner.invoke(app, [*args, "--strict"])
    assert refused.exit_code == 2
    assert "outside the studied range (--strict)" in " ".join(refused.stderr.split())
    assert "SOFA" not in refused.stdout  # nothing was simulated


def test_trial_strict_refuses_a_spec_dose_outside_the_studied_range(tmp_path: Path) -> None:
    import yaml

    spec = {
        "name": "megadose",
        "seed": 1,
        "population": {"size": 50},
        "screening": {"at_hours": 24},
        "arms": [
            {"name": "placebo"},
            {"name": "anakinra", "therapies": [{"therapy": "anakinra", "dose": "1e9 mg"}]},
        ],
    }
    path = tmp_path / "megadose.yaml"
    path.write_text(yaml.safe_dump(spec))
    res = runner.invoke(app, ["trial", str(path), "--strict", "--store", ":memory:"])
    assert res.exit_code == 2, res.output
    err = " ".join(res.stderr.split())
    assert "megadose: arms[1].therapies[0]: anakinra 1e9 mg" in err
    assert "studied range 200 mg" in err
