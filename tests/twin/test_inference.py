"""The ensemble sampler on posteriors whose answer is known (no model simulation)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sepsistwin.twin.inference import SamplerSettings, run_sampler, split_rhat

MU = np.array([1.0, -2.0, 0.5])
SD = np.array([0.5, 1.0, 2.0])
NAMES = ("a", "b", "c")


def _normal(w: np.ndarray) -> np.ndarray:
    z = (np.atleast_2d(w) - MU) / SD
    return -0.5 * np.sum(z**2, axis=1)


def _run(settings: SamplerSettings, seed: int = 3):
    rng = np.random.default_rng(seed)
    start = MU + 3.0 * SD * rng.standard_normal((settings.n_walkers, MU.size))
    return run_sampler(_normal, start, NAMES, settings, rng)


def test_sampler_recovers_a_known_normal_and_reports_convergence() -> None:
    sampler, diag, n_burn = _run(SamplerSettings(n_walkers=16))
    assert diag.converged, diag.reason
    flat = sampler.get_chain(flat=True, discard=diag.discarded)
    assert np.allclose(flat.mean(axis=0), MU, atol=0.25 * SD.max())
    assert np.allclose(flat.std(axis=0), SD, rtol=0.2)
    assert n_burn == SamplerSettings().burn
    assert diag.n_steps == n_burn + sampler.iteration


def test_refitted_proposal_counts_the_first_chain_as_burn_in_and_stays_exact() -> None:
    # adapt_below = 1 and an unreachable ESS force the refit at the first check (100 steps):
    # those steps join the burn-in, the kept chain is the refitted sampler's (the remaining
    # 200 steps of the budget), and it still targets the normal.
    settings = SamplerSettings(n_walkers=16, adapt_below=1.0, ess_min=1e9, max_steps=300)
    sampler, diag, n_burn = _run(settings)
    assert not diag.converged and "ESS" in diag.reason
    assert n_burn == settings.burn + settings.min_steps
    assert sampler.iteration == settings.max_steps - settings.min_steps
    assert diag.n_steps == n_burn + sampler.iteration
    flat = sampler.get_chain(flat=True, discard=diag.discarded)
    assert np.allclose(flat.mean(axis=0), MU, atol=0.25 * SD.max())
    assert np.allclose(flat.std(axis=0), SD, rtol=0.2)


def test_no_refit_when_the_proposal_is_accepted_often() -> None:
    settings = SamplerSettings(n_walkers=16, adapt_below=0.0, ess_min=1e9, max_steps=300)
    sampler, _, n_burn = _run(settings)
    assert n_burn == settings.burn
    assert sampler.iteration == settings.max_steps


def test_a_converged_verdict_holds_on_the_kept_part_of_the_chain() -> None:
    settings = replace(SamplerSettings(n_walkers=16), min_steps=200, block=200, max_steps=200)
    sampler, diag, _ = _run(settings)
    assert diag.converged, diag.reason
    assert diag.discarded in (0, sampler.iteration // 2)
    kept = sampler.get_chain(discard=diag.discarded)
    assert float(split_rhat(kept).max()) < settings.rhat_max


def test_split_rhat_flags_walkers_stuck_apart() -> None:
    rng = np.random.default_rng(0)
    chain = rng.standard_normal((200, 8, 1))
    chain[:, :4] += 3.0  # half the walkers in another place
    assert split_rhat(chain)[0] > 1.5
