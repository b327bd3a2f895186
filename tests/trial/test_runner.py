"""The runner end to end on the test simulator: enrollment, guided arms, paired mode, store,
determinism across chunk order, worker processes, a real kill and resume, and Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reynolds_sim import ReynoldsTrialSimulator
from small_specs import small_spec

from sepsistwin.store import StoreError, TrialStore
from sepsistwin.trial import run_trial
from sepsistwin.trial.chunk import TrialPlan, run_chunk
from sepsistwin.trial.spec import load_spec

HERE = Path(__file__).resolve().parent


def patients(path: Path, table: str = "patients") -> pd.DataFrame:
    with TrialStore(path, read_only=True) as st:
        return st.table(table).drop(columns=["chunk"])


def comparable(result_dict: dict) -> dict:
    d = json.loads(json.dumps(result_dict))
    d["trial"].pop("store")
    return d


def test_result_follows_the_json_contract(simulator: ReynoldsTrialSimulator) -> None:
    r = run_trial(small_spec(), simulator=simulator, store=":memory:", chunk_size=150, workers=1)
    d = r.to_dict()
    json.dumps(d)  # plain JSON types only
    arm = d["arms"][0]
    for key in (
        "name",
        "n",
        "deaths_28d",
        "mortality_28d",
        "mortality_28d_ci",
        "sofa_drop_1p4_day9",
    ):
        assert key in arm
    comp = d["comparisons"][0]
    assert set(comp) == {
        "arm",
        "versus",
        "hazard_ratio",
        "hazard_ratio_ci",
        "p_logrank",
        "risk_difference",
        "risk_difference_ci",
    }
    assert comp["arm"] == "anakinra" and comp["versus"] == "placebo"
    assert isinstance(d["subgroups"], list) and d["subgroups"]
    assert sum(a["n"] for a in d["arms"]) == d["screening"]["n_enrolled"]
    lo, hi = arm["mortality_28d_ci"]
    assert lo <= arm["mortality_28d"] <= hi
    assert arm["deaths_28d"] == round(arm["mortality_28d"] * arm["n"])
    text = r.summary()
    assert "placebo" in text and "anakinra" in text and "HR vs placebo" in text


def test_enrollment_applies_phenotypes_and_rules_to_the_screening_assessment(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    spec = small_spec(
        enrollment={
            "phenotypes": ["intermediate", "immunoparalysis"],
            "rules": ["lymphocytes <= 1.3"],
        }
    )
    r = run_trial(spec, simulator=simulator, store=tmp_path / "t.duckdb", chunk_size=150, workers=1)
    p = patients(tmp_path / "t.duckdb")
    assert len(p) > 0
    assert set(p["phenotype"]) <= {"intermediate", "immunoparalysis"}
    assert (p["baseline_lymphocytes"] <= 1.3).all()
    sc = r.screening
    assert sc["n_sampled"] == 300
    assert sc["n_screened"] + sc["n_died_before_screening"] == 300
    assert sc["n_enrolled"] == len(p) < sc["n_screened"]
    assert sum(v["enrolled"] for v in sc["by_phenotype"].values()) == len(p)
    assert sc["by_phenotype"].get("MALS", {"enrolled": 0})["enrolled"] == 0


def test_same_spec_gives_identical_rows_and_other_seed_does_not(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    a, b, c = (tmp_path / f"{k}.duckdb" for k in "abc")
    run_trial(small_spec(), simulator=simulator, store=a, chunk_size=100, workers=1)
    run_trial(small_spec(), simulator=simulator, store=b, chunk_size=100, workers=1)
    run_trial(small_spec(seed=6), simulator=simulator, store=c, chunk_size=100, workers=1)
    pd.testing.assert_frame_equal(patients(a), patients(b))
    assert not patients(a)["time_days"].equals(patients(c)["time_days"])


def test_chunk_rows_do_not_depend_on_the_order_chunks_run(
    simulator: ReynoldsTrialSimulator,
) -> None:
    plan = TrialPlan(load_spec(small_spec()), simulator, chunk_size=100)
    forward = [run_chunk(plan, k).tables["patients"] for k in range(3)]
    backward = [run_chunk(plan, k).tables["patients"] for k in (2, 1, 0)][::-1]
    for f, b in zip(forward, backward, strict=True):
        pd.testing.assert_frame_equal(f, b)
    ids = np.concatenate([f["patient_id"].to_numpy() for f in forward])
    assert len(set(ids.tolist())) == ids.size and ids.max() < 300


def test_paired_mode_simulates_every_enrolled_patient_in_every_arm(
    simulator: ReynoldsTrialSimulator,
) -> None:
    spec = small_spec(
        population={"size": 400},
        arms=[
            {"name": "control"},
            {
                "name": "guided",
                "guided": {
                    "MALS": [
                        {"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}
                    ]
                },
            },
        ],
        counterfactual=True,
    )
    store = ":memory:"
    r = run_trial(spec, simulator=simulator, store=store, chunk_size=200, workers=1)
    assert r.counterfactual is not None
    cf_arms = {a["name"]: a for a in r.counterfactual["arms"]}
    assert cf_arms["control"]["n"] == cf_arms["guided"]["n"] == r.screening["n_enrolled"]


def test_paired_mode_is_reported_apart_and_shows_who_the_therapy_changed(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    spec = small_spec(
        arms=[
            {"name": "control"},
            {
                "name": "guided",
                "guided": {
                    "MALS": [
                        {"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}
                    ]
                },
            },
        ],
        counterfactual=True,
    )
    path = tmp_path / "cf.duckdb"
    r = run_trial(spec, simulator=simulator, store=path, chunk_size=150, workers=1)
    cf = patients(path, "counterfactual")
    wide = cf.pivot(index="patient_id", columns="arm", values="time_days")
    phen = cf.drop_duplicates("patient_id").set_index("patient_id")["phenotype"]
    other = phen[phen != "MALS"].index
    mals = phen[phen == "MALS"].index
    assert len(mals) > 0 and len(other) > 0
    assert (wide.loc[other, "control"] == wide.loc[other, "guided"]).all()
    traj = cf.set_index(["patient_id", "arm"])["lymphocytes_traj"]
    changed = [
        not np.allclose(traj[(p, "control")], traj[(p, "guided")], equal_nan=True) for p in mals
    ]
    assert all(changed)
    d = r.to_dict()
    assert d["counterfactual"]["comparisons"][0]["arm"] == "guided"
    assert "not a randomised estimate" in d["counterfactual"]["description"]
    assert "paired counterfactual" in r.summary()


def test_a_strong_anti_inflammatory_arm_changes_mortality_in_the_expected_direction(
    simulator: ReynoldsTrialSimulator,
) -> None:
    # In the test model CA damps the phagocyte response and hence damage: giving CA must not
    # increase deaths. This checks the therapy reaches the simulation through the runner.
    r = run_trial(
        small_spec(counterfactual=True),
        simulator=simulator,
        store=":memory:",
        chunk_size=150,
        workers=1,
    )
    comp = r.counterfactual["comparisons"][0]
    assert comp["helped"] > comp["harmed"]
    assert comp["risk_difference"] < 0


def test_stratified_randomisation_balances_each_phenotype(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    spec = small_spec(randomization={"stratify_by": ["phenotype"], "block_size": 2})
    path = tmp_path / "s.duckdb"
    run_trial(spec, simulator=simulator, store=path, chunk_size=150, workers=1)
    with TrialStore(path, read_only=True) as st:
        p = st.table("patients", ["chunk", "phenotype", "arm"])
    for _, g in p.groupby(["chunk", "phenotype"]):
        counts = g["arm"].value_counts()
        assert abs(counts.get("placebo", 0) - counts.get("anakinra", 0)) <= 1


def test_existing_store_is_not_overwritten_without_asking(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "x.duckdb"
    run_trial(small_spec(), simulator=simulator, store=path, chunk_size=150, workers=1)
    with pytest.raises(StoreError, match=r"another run.*--rerun"):
        run_trial(small_spec(seed=99), simulator=simulator, store=path, chunk_size=150, workers=1)
    with pytest.raises(StoreError, match="another run"):
        run_trial(
            small_spec(seed=99),
            simulator=simulator,
            store=path,
            chunk_size=150,
            workers=1,
            resume=True,
        )
    r = run_trial(
        small_spec(seed=99),
        simulator=simulator,
        store=path,
        chunk_size=150,
        workers=1,
        overwrite=True,
    )
    with TrialStore(path, read_only=True) as st:
        assert json.loads(st.metadata()["spec"])["seed"] == 99
        assert st.completed_chunks() == {0, 1}
    assert r.screening["n_sampled"] == 300


def test_a_completed_run_is_loaded_not_run_again_unless_rerun(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "done.duckdb"
    first = run_trial(small_spec(), simulator=simulator, store=path, chunk_size=150, workers=1)
    assert first.loaded_from_store is False
    seen: list[int] = []
    again = run_trial(
        small_spec(),
        simulator=simulator,
        store=path,
        chunk_size=150,
        workers=1,
        on_commit=lambda k, _: seen.append(k),
    )
    assert seen == [] and again.loaded_from_store is True
    assert comparable(first.to_dict()) == comparable(again.to_dict())
    rerun = run_trial(
        small_spec(),
        simulator=simulator,
        store=path,
        chunk_size=150,
        workers=1,
        rerun=True,
        on_commit=lambda k, _: seen.append(k),
    )
    assert sorted(seen) == [0, 1] and rerun.loaded_from_store is False
    assert comparable(first.to_dict()) == comparable(rerun.to_dict())


def test_an_unfinished_run_needs_resume_or_rerun(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "half.duckdb"
    run_trial(small_spec(), simulator=simulator, store=path, chunk_size=150, workers=1)
    with TrialStore(path) as st:
        st.set_meta("complete", False)
    with pytest.raises(StoreError, match=r"unfinished run.*--resume"):
        run_trial(small_spec(), simulator=simulator, store=path, chunk_size=150, workers=1)


def test_resume_of_a_complete_run_recomputes_nothing(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "r.duckdb"
    first = run_trial(small_spec(), simulator=simulator, store=path, chunk_size=150, workers=1)
    seen: list[int] = []
    again = run_trial(
        small_spec(),
        simulator=simulator,
        store=path,
        chunk_size=150,
        workers=1,
        resume=True,
        on_commit=lambda k, _: seen.append(k),
    )
    assert seen == []
    assert comparable(first.to_dict()) == comparable(again.to_dict())


def test_parquet_export_holds_the_same_rows(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "p.duckdb"
    run_trial(small_spec(), simulator=simulator, store=path, chunk_size=150, workers=1)
    with TrialStore(path, read_only=True) as st:
        files = st.export_parquet(tmp_path / "pq")
    names = {f.name for f in files}
    assert {"patients.parquet", "arm_summaries.parquet", "chunks.parquet"} <= names
    back = pd.read_parquet(tmp_path / "pq" / "patients.parquet").drop(columns=["chunk"])
    ref = patients(path)
    assert back["patient_id"].tolist() == ref["patient_id"].tolist()
    np.testing.assert_array_equal(back["time_days"], ref["time_days"])


KILL_SCRIPT = textwrap.dedent("""
    import sys
    from reynolds_sim import ReynoldsTrialSimulator
    from small_specs import small_spec
    from sepsistwin.trial import run_trial

    def committed(k, ledger):
        print("COMMITTED", k, flush=True)

    run_trial(small_spec(population={"size": 600}), simulator=ReynoldsTrialSimulator(),
              store=sys.argv[1], chunk_size=100, workers=1, on_commit=committed)
    print("FINISHED", flush=True)
""")


def test_run_killed_after_a_commit_resumes_to_identical_results(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    killed = tmp_path / "killed.duckdb"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(killed)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=HERE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("COMMITTED"), line
    os.kill(proc.pid, signal.SIGKILL)  # mid-run: the next chunk is being computed
    proc.wait()
    with TrialStore(killed, read_only=True) as st:
        done = st.completed_chunks()
        n_rows = len(st.table("patients", ["patient_id"]))
        ledger = int(st.query("SELECT sum(n_enrolled) AS n FROM chunks")["n"].iloc[0])
    assert 1 <= len(done) < 6
    assert n_rows == ledger  # only whole chunks are in the store

    seen: list[int] = []
    resumed = run_trial(
        small_spec(population={"size": 600}),
        simulator=simulator,
        store=killed,
        chunk_size=100,
        workers=1,
        resume=True,
        on_commit=lambda k, _: seen.append(k),
    )
    assert sorted(seen) == sorted(set(range(6)) - done)
    clean = tmp_path / "clean.duckdb"
    whole = run_trial(
        small_spec(population={"size": 600}),
        simulator=simulator,
        store=clean,
        chunk_size=100,
        workers=1,
    )
    pd.testing.assert_frame_equal(patients(killed), patients(clean))
    assert comparable(resumed.to_dict()) == comparable(whole.to_dict())


@pytest.mark.integration
def test_local_worker_processes_give_the_same_result_as_one_process(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    r1 = run_trial(small_spec(), simulator=simulator, store=one, chunk_size=75, workers=1)
    r2 = run_trial(small_spec(), simulator=simulator, store=two, chunk_size=75, workers=2)
    pd.testing.assert_frame_equal(patients(one), patients(two))
    assert comparable(r1.to_dict()) == comparable(r2.to_dict())


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_result_as_a_local_run(
    simulator: ReynoldsTrialSimulator, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    local, dask = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    r1 = run_trial(small_spec(), simulator=simulator, store=local, chunk_size=75, workers=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        r2 = run_trial(
            small_spec(),
            simulator=simulator,
            store=dask,
            chunk_size=75,
            scheduler=cluster.scheduler_address,
        )
    pd.testing.assert_frame_equal(patients(local), patients(dask))
    assert comparable(r1.to_dict()) == comparable(r2.to_dict())


class _FailingSimulator(ReynoldsTrialSimulator):
    """Integrates with a step limit far too small, so every patient fails."""

    def simulate(self, cohort, schedule, t_eval, until_death=False):  # type: ignore[no-untyped-def]
        import warnings

        from sepsistwin.solve import SolverOptions, simulate_batch

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return simulate_batch(
                "reynolds2006",
                cohort.params,
                cohort.init,
                t_eval,
                doses=schedule,
                n=len(cohort),
                options=SolverOptions(max_steps=3),
            )


def test_failed_integrations_stop_the_trial_instead_of_reading_as_survivors() -> None:
    from sepsistwin.trial.chunk import SimulationFailed

    with pytest.raises(SimulationFailed, match="failed to integrate; first: patient 0"):
        run_trial(
            small_spec(population={"size": 20}),
            simulator=_FailingSimulator(),
            store=":memory:",
            chunk_size=20,
            workers=1,
        )


@pytest.mark.parametrize("hours", [6.0, 12.0])
def test_screening_before_24_hours_assesses_the_hours_since_onset(
    simulator: ReynoldsTrialSimulator, tmp_path: Path, hours: float
) -> None:
    spec = small_spec(screening={"at_hours": hours}, enrollment={"rules": ["lymphocytes <= 5"]})
    r = run_trial(spec, simulator=simulator, store=tmp_path / "t.duckdb", chunk_size=150, workers=1)
    sc = r.screening
    assert sc["n_screened"] + sc["n_died_before_screening"] == 300
    assert sc["n_screened"] > 0 and sc["n_enrolled"] > 0
    p = patients(tmp_path / "t.duckdb")
    # Every enrolled patient has a screening-day value: the partial window (0, at] was assessed.
    assert p["baseline_lymphocytes"].notna().all()
    assert (p["baseline_lymphocytes"] <= 5).all()
