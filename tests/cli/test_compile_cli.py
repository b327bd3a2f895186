"""``sepsistwin compile`` and the notice every command gives while a model compiles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sepsistwin.cli._compile import _DEFAULT_SECONDS
from sepsistwin.cli.main import app
from sepsistwin.model import get_model
from sepsistwin.solve.compile import is_compiled, load_compiled

runner = CliRunner()


def test_a_compiled_model_is_reported_as_cached() -> None:
    model = get_model("reynolds2006")
    load_compiled(model)
    res = runner.invoke(app, ["compile", "--model", "reynolds2006"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    if is_compiled(model):
        assert "'reynolds2006' is compiled (cached)" in res.stdout
    else:  # a cold cache: this test compiled it, and said so
        assert "compiling the model 'reynolds2006' (4 states), one time" in res.stdout


def test_an_unknown_model_is_an_error_listing_the_models() -> None:
    res = runner.invoke(app, ["compile", "--model", "nope"])
    assert res.exit_code == 2
    assert "reynolds2006" in res.stderr and "sepsistwin" in res.stderr


@pytest.mark.slow
def test_a_cold_cache_compiles_once_with_a_notice_and_remembers_the_time(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "SEPSISTWIN_CACHE": str(tmp_path), "COLUMNS": "100"}
    exe = [sys.executable, "-m", "sepsistwin.cli.main", "compile", "--model", "reynolds2006"]
    first = subprocess.run(exe, env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
    about = f"about {_DEFAULT_SECONDS['small']:.0f} s"  # no time measured here yet
    assert f"compiling the model 'reynolds2006' (4 states), one time, {about}" in first.stdout
    assert "compiled 'reynolds2006' in" in first.stdout
    seconds = json.loads((tmp_path / "kernels" / "compile_seconds.json").read_text())
    assert seconds["reynolds2006"] > 0
    second = subprocess.run(exe, env=env, capture_output=True, text=True, timeout=300)
    assert "'reynolds2006' is compiled (cached)" in second.stdout
