"""Fitting, forecasting, what-if and update on small virtual patients (small sampler)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sepsistwin.data import Timeline
from sepsistwin.twin import NotConvergedError, ObservationModel, Twin, fit
from sepsistwin.twin.inference import SamplerSettings
from sepsistwin.twin.virtual import VirtualCohort


@pytest.fixture(scope="module")
def twin(
    timeline: Timeline, cohort: VirtualCohort, assay_model: ObservationModel, small: SamplerSettings
) -> Twin:
    return fit(
        timeline,
        cohort.ids[0],
        until_day=2,
        observation=assay_model,
        settings=small,
        horizon_days=8,
        seed=1,
    )


def test_fit_reports_convergence_and_ess(twin: Twin, small: SamplerSettings) -> None:
    d = twin.diagnostics
    assert d.n_walkers == small.n_walkers
    assert d.ess > 0 and d.rhat > 0.9
    assert d.converged == (d.reason == "")


def test_posterior_shrinks_informed_quantities(twin: Twin) -> None:
    post = twin.posterior().set_index("quantity")
    assert post.loc["body_weight", "role"] == "known"  # recorded
    assert post.loc["mic", "role"] == "marginalised"
    # mHLA-DR and lymphocyte set points are measured almost directly: the data shrink them.
    assert post.loc["L_hom", "shrinkage"] > 0.3


def test_json_contract_has_the_issue_keys(twin: Twin) -> None:
    assert twin.converged, twin.diagnostics.reason
    w = twin.whatif(["anakinra:200mg@72,every=8,n=6"], include_recommended=False)
    out = json.loads(json.dumps(twin.to_dict(whatifs=w)))
    assert {"patient_id", "fitted_until_day", "diagnostics", "forecast", "whatif"} <= set(out)
    assert {"converged", "ess"} <= set(out["diagnostics"])
    death = out["forecast"]["death_28d"]
    assert 0.0 <= death["lo90"] <= death["mean"] <= death["hi90"] <= 1.0
    band = out["forecast"]["observables"]["ferritin"][3]
    assert band["lo90"] <= band["lo50"] <= band["median"] <= band["hi50"] <= band["hi90"]
    ph = out["forecast"]["phenotype_probability"][0]
    assert ph["MALS"] + ph["immunoparalysis"] + ph["intermediate"] == pytest.approx(1.0)
    wi = out["whatif"][0]
    assert wi["therapy"] == "anakinra"
    assert {"mean", "lo90", "hi90"} <= set(wi["delta_mortality_28d"])
    assert 0.0 <= wi["p_harm"] <= 1.0 and 0.0 <= wi["p_benefit"] <= 1.0
    assert isinstance(out["recommendation"], list)


def test_forecast_bands_cover_the_fitted_observations(twin: Twin) -> None:
    assert twin.converged, twin.diagnostics.reason
    f = twin.forecast()
    obs = twin.data.observations
    inside = []
    for r in obs.itertuples():
        b = f.bands[(f.bands["variable"] == r.variable)]
        k = int(np.argmin(np.abs(b["hours"].to_numpy() - r.hours)))
        inside.append(b["lo90"].iloc[k] <= r.value <= b["hi90"].iloc[k])
    assert np.mean(inside) > 0.7


def test_unconverged_fit_refuses_to_forecast(timeline: Timeline, cohort: VirtualCohort) -> None:
    strict = SamplerSettings(
        n_walkers=16, burn=4, block=4, min_steps=4, max_steps=4, init_draws=32, ess_min=1e6
    )
    tw = fit(timeline, cohort.ids[1], until_day=1, settings=strict, horizon_days=4)
    assert not tw.converged
    with pytest.raises(NotConvergedError, match="has not converged"):
        tw.forecast()
    assert "forecast" not in tw.to_dict()


def test_update_warm_starts_from_the_previous_walkers(twin: Twin, cohort: VirtualCohort) -> None:
    obs = cohort.observations
    new_day = obs[(obs["time"] >= 72.0) & (obs["time"] < 96.0)]  # only day 3's rows
    tw2 = twin.update(new_day, until_day=3)
    assert tw2.data.fitted_until_day == 3
    assert len(tw2.data.observations) > len(twin.data.observations)
    # The old days are kept: the first observation is still day 0's.
    assert tw2.data.observations["hours"].min() == twin.data.observations["hours"].min()


def test_simulate_repeats_the_draws_and_adds_per_lane_doses(twin: Twin) -> None:
    from sepsistwin.model.pharmacology import therapy_schedule
    from sepsistwin.solve import Bolus, Infusion, Schedule

    base = twin.simulate(draws=4, repeats=2)
    assert base.n_patients == 8
    dp = np.asarray(base.observables["death_probability"])
    np.testing.assert_allclose(dp[:4], dp[4:])  # the same draws twice, nothing added
    given = np.r_[np.zeros(4), np.ones(4)]

    def doses(weight: np.ndarray) -> Schedule:
        s = therapy_schedule("nivolumab", "480mg", 72.0, route="iv", weight_kg=weight)
        return Schedule(
            tuple(
                Bolus(d.state, d.time, given * np.asarray(d.amount))
                if isinstance(d, Bolus)
                else Infusion(d.state, d.start, d.duration, given * np.asarray(d.rate))
                for d in s.doses
            )
        )

    treated = twin.simulate(doses, draws=4, repeats=2)
    drug = np.asarray(treated.observables["death_probability"])
    np.testing.assert_allclose(drug[:4], dp[:4])  # lanes given a zero amount are untreated
    assert not np.allclose(drug[4:], dp[4:])  # lanes given the dose are not
