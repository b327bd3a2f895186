"""The default simulator on the sepsistwin model and population (issue #5) end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sepsistwin.store import TrialStore
from sepsistwin.trial import TrialSimulator, load_spec, run_trial
from sepsistwin.trial.sepsistwin_simulator import SepsistwinSimulator


@pytest.fixture(scope="module")
def sim() -> SepsistwinSimulator:
    return SepsistwinSimulator()


def test_it_implements_the_trial_simulator_protocol(sim: SepsistwinSimulator) -> None:
    assert isinstance(sim, TrialSimulator)
    assert sim.fingerprint() == SepsistwinSimulator().fingerprint()
    assert sim.fingerprint() != SepsistwinSimulator(samples_per_day=2).fingerprint()


def test_sampling_is_reproducible_per_seed(sim: SepsistwinSimulator) -> None:
    a = sim.sample(5, "septic_shock", np.random.SeedSequence(3, spawn_key=(1,)))
    b = sim.sample(5, "septic_shock", np.random.SeedSequence(3, spawn_key=(1,)))
    c = sim.sample(5, "septic_shock", np.random.SeedSequence(3, spawn_key=(2,)))
    assert np.array_equal(a.params["k_pg"], b.params["k_pg"])
    assert not np.array_equal(a.params["k_pg"], c.params["k_pg"])
    assert (a.extra["care_start_hours"] > 0).all()


def test_per_kg_doses_follow_each_patients_weight(sim: SepsistwinSimulator) -> None:
    spec = load_spec("iris7-il7")
    cohort = sim.sample(4, "septic_shock", np.random.SeedSequence(0))
    sched = sim.schedule(spec.arms[1].therapies, 48.0, cohort)
    first = sched.doses[0]
    amount = np.asarray(first.amount if hasattr(first, "amount") else first.rate, dtype=float)
    ratio = amount / cohort.params["body_weight"]
    assert np.allclose(ratio, ratio[0]) and len(sched.doses) == 8


def test_a_dose_the_model_cannot_give_is_reported_before_running(sim: SepsistwinSimulator) -> None:
    spec = load_spec("provide-like").canonical()
    spec["background"][0]["route"] = "sc"
    with pytest.raises(ValueError, match="background: meropenem 1 g SC"):
        run_trial(spec, size=10, simulator=sim, store=":memory:", workers=1)


def test_provide_like_trial_runs_end_to_end_on_the_model(
    sim: SepsistwinSimulator, tmp_path: Path
) -> None:
    store = tmp_path / "p.duckdb"
    r = run_trial(
        "provide-like",
        size=240,
        simulator=sim,
        store=store,
        chunk_size=120,
        workers=1,
        counterfactual=True,
    )
    sc = r.screening
    assert sc["n_sampled"] == 240 and sc["n_enrolled"] > 0
    assert set(sc["by_phenotype"]) <= {"MALS", "immunoparalysis", "intermediate", "indeterminate"}
    enrolled_phen = {s["phenotype"] for s in r.subgroups}
    assert enrolled_phen <= {"MALS", "immunoparalysis"}
    for arm in r.arms:
        assert arm["n"] == 0 or 0.0 <= arm["mortality_28d"] <= 1.0
    sofa = r.trajectories.query("variable == 'sofa'")
    assert ((sofa["median"] >= 0) & (sofa["median"] <= 24)).all()
    # paired mode: the guided therapy (anakinra for MALS, IFN-gamma for immunoparalysis)
    # reaches the model: each enrolled patient's mHLA-DR course differs between the arms.
    comp = r.counterfactual["comparisons"][0]
    assert comp["n"] == sc["n_enrolled"]
    with TrialStore(store, read_only=True) as st:
        cf = st.table("counterfactual", ["patient_id", "arm", "mhla_dr_traj"])
    by = cf.set_index(["patient_id", "arm"])["mhla_dr_traj"]
    differs = [
        not np.allclose(
            np.asarray(by[(p, "placebo")], float)[:3],
            np.asarray(by[(p, "guided")], float)[:3],
            equal_nan=True,
        )
        for p in cf["patient_id"].unique()
    ]
    assert sum(differs) > 0.5 * len(differs)


def test_stopping_at_death_changes_no_outcome_and_saves_work(sim: SepsistwinSimulator) -> None:
    from sepsistwin.solve import Status

    cohort = sim.sample(40, "septic_shock", np.random.SeedSequence(5))
    sched = sim.schedule(
        load_spec("provide-like").background, cohort.extra["care_start_hours"], cohort
    )
    t = np.arange(0.0, 14 * 24.0 + 0.1, 24.0 / sim.samples_per_day)
    full = sim.simulate(cohort, sched, t)
    cut = sim.simulate(cohort, sched, t, until_death=True)
    stopped = (cut.status & int(Status.STOPPED)) > 0
    dead = np.isfinite(sim.death_hours(full, cohort))
    assert stopped.any() and dead[stopped].all() and not stopped[~dead].any()
    # Work saved (a patient who dies in the last day of the horizon has nothing left to save).
    assert cut.ok.all() and (cut.n_steps[stopped] <= full.n_steps[stopped]).all()
    assert cut.n_steps.sum() < full.n_steps.sum()
    a, b = sim.outcomes(full, cohort, 0.0, 14), sim.outcomes(cut, cohort, 0.0, 14)
    np.testing.assert_array_equal(a.death_hours, b.death_hours)
    np.testing.assert_array_equal(a.secondary_infection, b.secondary_infection)
    for k in a.daily:
        np.testing.assert_array_equal(a.daily[k], b.daily[k])


def test_a_septic_shock_rule_enrols_a_subset_of_the_same_phenotypes(
    sim: SepsistwinSimulator,
) -> None:
    # The sepsis preset enrols Sepsis-3 patients; a septic-shock rule keeps a subset of them.
    spec = load_spec("provide-like").canonical()
    spec["population"]["preset"] = "sepsis"
    counts = {}
    for rules in ([], ["septic_shock"]):
        spec["enrollment"]["rules"] = rules
        r = run_trial(spec, size=300, simulator=sim, store=":memory:", workers=1)
        counts[len(rules)] = {k: v["enrolled"] for k, v in r.screening["by_phenotype"].items()}
    assert 0 < sum(counts[1].values()) < sum(counts[0].values())
    assert all(counts[1][k] <= counts[0][k] for k in counts[0])


def test_the_septic_shock_preset_enrols_only_patients_in_septic_shock(
    sim: SepsistwinSimulator,
) -> None:
    spec = load_spec("provide-like").canonical()
    spec["enrollment"]["rules"] = []
    base = run_trial(spec, size=300, simulator=sim, store=":memory:", workers=1)
    spec["enrollment"]["rules"] = ["septic_shock"]
    ruled = run_trial(spec, size=300, simulator=sim, store=":memory:", workers=1)
    n = {k: v["enrolled"] for k, v in base.screening["by_phenotype"].items()}
    m = {k: v["enrolled"] for k, v in ruled.screening["by_phenotype"].items()}
    assert sum(n.values()) > 0 and n == m


def test_drug_compartments_get_the_looser_tolerance_at_no_cost_in_accuracy(
    sim: SepsistwinSimulator,
) -> None:
    from sepsistwin.solve import simulate_batch
    from sepsistwin.trial.sepsistwin_simulator import ATOL, RTOL, RTOL_LINEAR

    rt = sim.tolerances()
    assert rt["meropenem_c"] == rt["nivolumab_p"] == RTOL_LINEAR
    assert rt["P"] == rt["HZ"] == rt["tocilizumab_c"] == RTOL
    spec = load_spec("anti-tnf-unselected")
    cohort = sim.sample(40, "septic_shock", np.random.SeedSequence(8))
    sched = sim.schedule(spec.background, cohort.extra["care_start_hours"], cohort)
    t = np.arange(0.0, 24.0 + 7 * 24.0 + 1.0, 6.0)
    ours = sim.simulate(cohort, sched, t)
    uniform = simulate_batch(
        "sepsistwin", cohort.params, cohort.init, t, rtol=RTOL, atol=ATOL, doses=sched, n=40
    )
    ref = simulate_batch(
        "sepsistwin", cohort.params, cohort.init, t, rtol=1e-9, atol=1e-11, doses=sched, n=40
    )
    assert ours.n_steps.sum() < 0.8 * uniform.n_steps.sum()
    for name in ("lymphocytes", "mhla_dr", "creatinine", "il6", "ferritin"):
        r = np.asarray(ref.observables[name])
        err = np.abs(np.asarray(ours.observables[name]) - r) / (np.abs(r) + 1e-6)
        err_uniform = np.abs(np.asarray(uniform.observables[name]) - r) / (np.abs(r) + 1e-6)
        # Same accuracy class as the uniform tolerance on the clinical read-outs.
        assert np.median(err) < 2e-5, name
        assert np.quantile(err, 0.99) < 2 * np.quantile(err_uniform, 0.99) + 1e-6, name


def test_a_rate_dose_is_a_weight_scaled_infusion_of_its_hours(sim: SepsistwinSimulator) -> None:
    from sepsistwin.trial.spec import TherapySpec

    t = TherapySpec(therapy="anakinra", dose="2 mg/kg/h", route="iv", infusion_hours=72)
    cohort = sim.sample(3, "septic_shock", np.random.SeedSequence(0))
    sched = sim.schedule([t], 24.0, cohort)
    (inf,) = sched.doses
    assert inf.duration == 72.0
    rate = np.asarray(inf.rate, dtype=float) / cohort.params["body_weight"]
    assert np.allclose(rate, rate[0])
