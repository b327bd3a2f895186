"""``run_trial`` from a plain script: worker processes re-import the script (spawn), so an
unguarded top-level call is refused with advice instead of a DuckDB lock error and a
``BrokenProcessPool``; a guarded script runs with several workers."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sepsistwin.trial import run_trial

HERE = Path(__file__).resolve().parent

_BODY = """
from reynolds_sim import ReynoldsTrialSimulator
from small_specs import small_spec
from sepsistwin.trial import run_trial

def main():
    r = run_trial(small_spec(), simulator=ReynoldsTrialSimulator(), store="s.duckdb",
                  chunk_size=150, workers=2)
    print("enrolled", r.screening["n_enrolled"])
"""


def _run_script(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "my_trial.py"
    script.write_text(textwrap.dedent(text))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_unguarded_script_call_is_refused_before_any_worker_starts(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, _BODY + "\nmain()\n")
    assert proc.returncode != 0
    assert "RuntimeError" in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr
    assert "my_trial.py:" in proc.stderr  # names the call's file and line
    assert "BrokenProcessPool" not in proc.stderr and "lock" not in proc.stderr.lower()
    assert not (tmp_path / "s.duckdb").exists()  # nothing half-written to resume later


def test_a_worker_importing_the_script_does_not_start_the_trial_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(RuntimeError, match="worker process started"):
        run_trial("provide-like", size=10, store=":memory:")


@pytest.mark.slow
def test_guarded_script_runs_with_two_worker_processes(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, _BODY + '\nif __name__ == "__main__":\n    main()\n')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("enrolled ")
