"""Twin-guided trial arms: the spec, the closed loop on virtual patients, identical chunks
on one process, local worker processes and Dask."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sepsistwin.control.trial_arm import therapy_entries
from sepsistwin.store.trial_store import TrialStore
from sepsistwin.trial import list_examples, load_spec, run_trial
from sepsistwin.trial.arms import arm_kind, policy_kind
from sepsistwin.trial.spec import TrialSpecError, parse_spec

#: A tiny loop: one decision day, a short MCMC and a one-generation search.
TINY_LOOP = {
    "decision_days": 1,
    "walkers": 16,
    "burn": 20,
    "steps": 20,
    "init_draws": 64,
    "draws": 8,
    "report_draws": 16,
    "popsize": 2,
    "generations": 1,
}


def tiny_spec() -> dict[str, Any]:
    spec = load_spec("twin-guided").canonical()
    spec["population"]["size"] = 16  # about a third are enrolled
    spec["arms"][2]["twin_guided"].update(TINY_LOOP)
    return spec


def rows(path: Path, table: str) -> pd.DataFrame:
    with TrialStore(path, read_only=True) as s:
        return s.table(table).drop(columns=["chunk"]).sort_values(["patient_id", "arm"])


def test_the_example_compares_standard_care_rules_and_the_twin_on_the_same_patients() -> None:
    assert "twin-guided" in list_examples()
    spec = load_spec("twin-guided")
    assert spec.counterfactual
    kinds = [policy_kind(a) for a in spec.arms]
    assert kinds == [None, None, "twin_guided"]
    assert spec.arms[1].guided and spec.arms[2].twin_guided is not None
    assert arm_kind("twin_guided").__name__ == "TwinGuidedArm"


def test_a_twin_guided_arm_with_its_own_therapies_is_refused_naming_the_arm() -> None:
    text = """
name: bad
seed: 1
population: {size: 10}
screening: {at_hours: 24}
arms:
  - {name: care}
  - name: twin
    therapies: [{therapy: anakinra, dose: 200 mg}]
    twin_guided: {decision_days: 2}
"""
    with pytest.raises(TrialSpecError, match="twin_guided arm chooses its own doses"):
        parse_spec(text)
    with pytest.raises(TrialSpecError, match="decision_days"):
        parse_spec(
            text.replace("therapies: [{therapy: anakinra, dose: 200 mg}]\n    ", "").replace(
                "decision_days: 2", "decision_days: 0"
            )
        )


def test_doses_given_become_therapy_entries_timed_from_enrollment() -> None:
    [t] = therapy_entries(["interferon_gamma:100ug@70,route=sc"], 24.0)
    assert (t.therapy, t.dose.text, t.route, t.start_hours, t.doses) == (
        "interferon_gamma",
        "100 ug",
        "SC",
        46.0,
        1,
    )


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("twin_trial") / "one.duckdb"
    run_trial(tiny_spec(), store=store, workers=1, chunk_size=4)
    return store


def test_the_twin_guided_arm_records_its_decisions_and_gives_no_dose_before_enrollment(
    one_process: Path,
) -> None:
    cf = rows(one_process, "counterfactual")
    assert set(cf["arm"]) == {"standard_care", "rule_guided", "twin_guided"}
    twin = cf[cf["arm"] == "twin_guided"]
    assert not twin.empty and (cf[cf["arm"] != "twin_guided"]["decisions"] == "").all()
    for text in twin["decisions"]:
        d = json.loads(text)
        assert len(d["days"]) <= TINY_LOOP["decision_days"]
        for spec in d["given"]:
            assert float(spec.split("@", 1)[1].split(",", 1)[0]) >= 24.0
        for day in d["days"]:  # each day says why it gave what it gave
            assert day["why"] and (day["plan"] is None) == day["why"].startswith(
                ("no immunotherapy", "twin not converged")
            )
    # The randomised rows of the twin arm are its counterfactual rows (same decisions).
    pat = rows(one_process, "patients")
    mine = pat[pat["arm"] == "twin_guided"]
    same = twin.set_index("patient_id").loc[mine["patient_id"], "decisions"]
    assert list(same) == list(mine["decisions"])


@pytest.mark.slow
def test_local_processes_and_dask_give_the_same_twin_guided_rows(
    one_process: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    two = tmp_path / "two.duckdb"
    run_trial(tiny_spec(), store=two, workers=2, chunk_size=4)
    dask = tmp_path / "dask.duckdb"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        run_trial(tiny_spec(), store=dask, chunk_size=4, scheduler=cluster.scheduler_address)
    for table in ("patients", "counterfactual"):
        pd.testing.assert_frame_equal(
            rows(one_process, table).reset_index(drop=True), rows(two, table).reset_index(drop=True)
        )
        pd.testing.assert_frame_equal(
            rows(one_process, table).reset_index(drop=True),
            rows(dask, table).reset_index(drop=True),
        )
