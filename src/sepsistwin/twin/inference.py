"""Posterior over a patient's quantities: ensemble MCMC (emcee) on a vectorised likelihood.

Why emcee (Foreman-Mackey D, Hogg DW, Lang D, Goodman J. PASP 2013;125:306-312,
doi:10.1086/670067): the simulator is fast in batches and has no gradients; an affine-invariant
ensemble sampler needs neither gradients nor tuning of a proposal scale, and with
``vectorize=True`` it evaluates half the ensemble per call, which is one kernel call of the
batched solver. The prior is whitened (standard normal), so the sampler sees a
well-conditioned problem; differential-evolution moves (ter Braak CJF. Stat Comput
2006;16:239-249, doi:10.1007/s11222-006-8769-1) with snooker updates (ter Braak CJF, Vrugt JA.
Stat Comput 2008;18:435-446, doi:10.1007/s11222-008-9104-9) mix well in ~10 dimensions.

Convergence is judged on the kept half of the chains: the integrated autocorrelation time
(Goodman J, Weare J. CAMCoS 2010;5:65-80, doi:10.2140/camcos.2010.5.65), the effective sample
size it gives, and split R-hat over walkers (Vehtari A et al. Bayesian Anal 2021;16:667-718,
doi:10.1214/20-BA1221).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import emcee
import numpy as np
from numpy.typing import NDArray

from sepsistwin.twin.observation import ObservationModel
from sepsistwin.twin.patient import PatientData
from sepsistwin.twin.prior import ConditionalPrior
from sepsistwin.twin.simulator import DEATH_OBSERVABLE, TwinSimulator

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SamplerSettings:
    """How long and how wide the MCMC runs.

    Parameters
    ----------
    n_walkers : int
        Ensemble size (at least twice the number of free quantities plus 2).
    burn : int
        Burn-in steps (differential-evolution moves), discarded.
    block : int
        Sampling steps per block; sampling stops after the first block at which it has
        converged.
    max_steps : int
        Most sampling steps after burn-in.
    min_steps : int
        Fewest sampling steps before convergence is checked.
    init_draws : int
        Draws scored to start the walkers (the best ``n_walkers`` of them).
    init_scale : float
        Those draws come from the whitened prior widened by this factor, so walkers can start
        in the prior's tails when the data put the patient there.
    proposal_scale : float
        Widening of the independence proposal fitted to the burned-in ensemble.
    independence_weight : float
        Share of sampling steps made by the independence move (the rest: DE moves).
    adapt_below : float
        When the sampling acceptance is below this at the first convergence check, the
        independence proposal is refitted once to the sampled chain (which then counts as
        burn-in).
    rhat_max, ess_min : float
        Convergence: every split R-hat below ``rhat_max`` and every ESS at least ``ess_min``.
    tau_factor : float
        The kept chain must be at least this many autocorrelation times long.
    """

    n_walkers: int = 48
    burn: int = 150
    block: int = 50
    max_steps: int = 600
    min_steps: int = 100
    init_draws: int = 1024
    init_scale: float = 1.5
    proposal_scale: float = 1.3
    independence_weight: float = 0.7
    adapt_below: float = 0.15
    rhat_max: float = 1.1
    ess_min: float = 100.0
    tau_factor: float = 5.0

    def __post_init__(self) -> None:
        if self.n_walkers < 4 or self.n_walkers % 2:
            raise ValueError(f"n_walkers must be an even number >= 4, got {self.n_walkers}")
        if not (1 <= self.block <= self.max_steps) or self.min_steps > self.max_steps:
            raise ValueError("need 1 <= block <= max_steps and min_steps <= max_steps")


@dataclass
class Diagnostics:
    """Convergence of a fit."""

    converged: bool
    ess: float
    rhat: float
    tau: float
    n_steps: int
    n_walkers: int
    acceptance: float
    n_likelihood_calls: int
    seconds: float
    per_quantity: dict[str, dict[str, float]] = field(default_factory=dict)
    reason: str = ""
    discarded: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready diagnostics."""
        return {
            "converged": self.converged,
            "ess": self.ess,
            "rhat": self.rhat,
            "autocorrelation_time": self.tau,
            "n_steps": self.n_steps,
            "n_walkers": self.n_walkers,
            "acceptance": self.acceptance,
            "n_simulations": self.n_likelihood_calls,
            "seconds": self.seconds,
            "reason": self.reason,
            "per_quantity": self.per_quantity,
            "discarded_steps": self.discarded,
        }


def log_likelihood_fn(
    data: PatientData, om: ObservationModel, sim: TwinSimulator, cond: ConditionalPrior
) -> Callable[[FloatArray], FloatArray]:
    """The vectorised log-likelihood of whitened draws ``w`` (n, ndim) -> (n,).

    Sums the observation model over the fitted observations and adds the probability of
    having survived to the last observation (the patient was alive then).
    """
    obs = data.observations
    hours = obs["hours"].to_numpy(dtype=float)
    grid = np.unique(np.concatenate([[0.0], hours]))
    t_idx = np.searchsorted(grid, hours)
    groups = [
        (name, np.flatnonzero(obs["variable"].to_numpy() == name))
        for name in sorted(set(obs["variable"]))
    ]
    values_of = obs["value"].to_numpy(dtype=float)
    i_last = int(np.searchsorted(grid, hours.max()))

    def loglik(w: FloatArray) -> FloatArray:
        vals = cond.values(w)
        res = sim.run(vals, grid, data.received)
        total = np.zeros(vals.shape[0])
        for name, rows in groups:
            pred = om.model_values(name, np.atleast_2d(res.observables[name])[:, t_idx[rows]])
            total += om.loglik(name, pred, values_of[rows][None, :]).sum(axis=1)
        dp = np.atleast_2d(res.observables[DEATH_OBSERVABLE])[:, i_last]
        total += np.log(np.clip(1.0 - dp, 1e-300, 1.0))
        total[~res.ok] = -np.inf
        return np.where(np.isfinite(total), total, -np.inf)

    return loglik


def log_posterior_fn(
    loglik: Callable[[FloatArray], FloatArray],
) -> Callable[[FloatArray], FloatArray]:
    """Whitened prior (standard normal) times the likelihood."""

    def logpost(w: FloatArray) -> FloatArray:
        w2 = np.atleast_2d(w)
        return -0.5 * np.sum(w2**2, axis=1) + loglik(w2)

    return logpost


def split_rhat(chain: FloatArray) -> FloatArray:
    """Split R-hat per quantity of a chain (steps, walkers, ndim), walkers as chains.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bool(split_rhat(rng.standard_normal((200, 8, 2))).max() < 1.05)
    True
    """
    n = chain.shape[0] // 2
    halves = np.concatenate([chain[:n], chain[n : 2 * n]], axis=1)  # (n, 2*walkers, ndim)
    means = halves.mean(axis=0)
    var_within = halves.var(axis=0, ddof=1).mean(axis=0)
    var_between = n * means.var(axis=0, ddof=1)
    var_hat = (n - 1) / n * var_within + var_between / n
    return np.asarray(np.sqrt(var_hat / np.maximum(var_within, 1e-300)), dtype=float)


def diagnose(
    sampler: emcee.EnsembleSampler,
    names: tuple[str, ...],
    settings: SamplerSettings,
    discard: int,
    seconds: float,
    n_calls: int,
) -> Diagnostics:
    """Autocorrelation time, ESS, split R-hat and the convergence verdict."""
    chain = sampler.get_chain(discard=discard)
    n_kept = chain.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.asarray(emcee.autocorr.integrated_time(chain, tol=0), dtype=float)
    # A quantity that never moved (every proposal rejected) has no autocorrelation estimate:
    # count it as correlated over the whole chain.
    tau = np.where(np.isfinite(tau), np.maximum(tau, 1.0), float(n_kept))
    ess = chain.shape[1] * n_kept / tau
    rhat = split_rhat(chain)
    reasons = []
    if rhat.max() >= settings.rhat_max:
        worst = names[int(np.argmax(rhat))]
        reasons.append(f"R-hat {rhat.max():.2f} >= {settings.rhat_max} ({worst})")
    if ess.min() < settings.ess_min:
        worst = names[int(np.argmin(ess))]
        reasons.append(f"ESS {ess.min():.0f} < {settings.ess_min:.0f} ({worst})")
    if n_kept < settings.tau_factor * tau.max():
        reasons.append(
            f"kept chain {n_kept} steps < {settings.tau_factor:g} autocorrelation times "
            f"({tau.max():.0f})"
        )
    per = {
        n: {"ess": float(e), "rhat": float(r), "tau": float(t)}
        for n, e, r, t in zip(names, ess, rhat, tau, strict=True)
    }
    return Diagnostics(
        discarded=discard,
        converged=not reasons,
        ess=float(ess.min()),
        rhat=float(rhat.max()),
        tau=float(tau.max()),
        n_steps=int(sampler.iteration),
        n_walkers=int(chain.shape[1]),
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        n_likelihood_calls=n_calls,
        seconds=seconds,
        per_quantity=per,
        reason="; ".join(reasons),
    )


def initial_walkers(
    logpost: Callable[[FloatArray], FloatArray],
    ndim: int,
    settings: SamplerSettings,
    rng: np.random.Generator,
) -> FloatArray:
    """Walker start: the best ``n_walkers`` of ``init_draws`` widened prior draws (whitened)."""
    w = settings.init_scale * rng.standard_normal((settings.init_draws, ndim))
    lp = np.concatenate([logpost(chunk) for chunk in np.array_split(w, max(1, len(w) // 256))])
    if not np.isfinite(lp).any():
        raise RuntimeError(
            "no prior draw is compatible with the data (every likelihood is zero): the "
            "observations are outside what the model can produce"
        )
    order = np.argsort(-np.where(np.isfinite(lp), lp, -np.inf))
    return np.asarray(w[order[: settings.n_walkers]], dtype=float)


def prune_walkers(coords: FloatArray, log_prob: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Replace walkers stranded far below the ensemble's best (burn-in only).

    A walker whose log posterior is more than half the 99.9% chi-square quantile below the
    best walker's is replaced by a jittered copy of a walker above that level; stranded
    walkers otherwise take many steps to rejoin and inflate R-hat.
    """
    from scipy.stats import chi2

    d = coords.shape[1]
    lp = np.where(np.isfinite(log_prob), log_prob, -np.inf)
    good = lp >= lp.max() - 0.5 * chi2.ppf(0.999, d)
    bad = np.flatnonzero(~good)
    if bad.size == 0:
        return coords
    out = coords.copy()
    src = rng.choice(np.flatnonzero(good), size=bad.size)
    spread = coords[good].std(axis=0) if good.sum() > 1 else np.full(d, 0.1)
    out[bad] = coords[src] + 0.1 * spread * rng.standard_normal((bad.size, d))
    return out


class IndependenceMove(emcee.moves.MHMove):
    """Independence Metropolis-Hastings move with a multivariate t proposal.

    The proposal is fitted once (mean and covariance of the burned-in ensemble, widened by
    ``scale``) and then fixed, so the move leaves the posterior invariant. All walkers move in
    one likelihood call (one kernel call of the whole ensemble); when the posterior is close
    to the proposal, successive states are nearly independent.
    """

    def __init__(self, mean: FloatArray, cov: FloatArray, scale: float = 1.3, dof: float = 5.0):
        self.mean = np.asarray(mean, dtype=float)
        d = self.mean.size
        c = scale**2 * (0.5 * (cov + cov.T)) + 1e-9 * np.eye(d)
        self.chol = np.linalg.cholesky(c)
        self.dof = dof
        super().__init__(self._propose, ndim=d)

    def _logq(self, x: FloatArray) -> FloatArray:
        z = np.linalg.solve(self.chol, (x - self.mean).T)
        d = self.mean.size
        return np.asarray(-0.5 * (self.dof + d) * np.log1p(np.sum(z**2, axis=0) / self.dof))

    def _propose(self, coords: FloatArray, random: Any) -> tuple[FloatArray, FloatArray]:
        n, d = coords.shape
        z = random.randn(n, d)
        g = random.chisquare(self.dof, size=n) / self.dof
        new = self.mean + (z @ self.chol.T) / np.sqrt(g)[:, None]
        return new, self._logq(coords) - self._logq(new)


def run_sampler(
    logpost: Callable[[FloatArray], FloatArray],
    start: FloatArray,
    names: tuple[str, ...],
    settings: SamplerSettings,
    rng: np.random.Generator,
    *,
    burn: int | None = None,
) -> tuple[emcee.EnsembleSampler, Diagnostics, int]:
    """Burn in with differential-evolution moves, then sample with an independence move fitted
    to the burned-in ensemble (mixed with DE moves) in blocks until converged.

    Returns the sampler, the diagnostics of the production chain (``diag.discarded``: its
    leading steps left out as warm-up) and the number of burn-in steps.
    """
    import time

    calls = [0]

    def counted(w: FloatArray) -> FloatArray:
        calls[0] += np.atleast_2d(w).shape[0]
        return logpost(w)

    t0 = time.perf_counter()
    n_burn = settings.burn if burn is None else burn
    ndim = start.shape[1]
    seed = int(rng.integers(0, 2**31 - 1))
    de = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    burner = emcee.EnsembleSampler(start.shape[0], ndim, counted, vectorize=True, moves=de)
    burner.random_state = np.random.RandomState(seed).get_state()
    half = max(1, n_burn // 2)
    state = burner.run_mcmc(start, half, progress=False)
    state = emcee.State(prune_walkers(state.coords, state.log_prob, rng))
    state = burner.run_mcmc(state, n_burn - half, progress=False)
    tail = burner.get_chain(discard=half + (n_burn - half) // 2, flat=True)

    def production(fitted: FloatArray, k: int) -> emcee.EnsembleSampler:
        move = IndependenceMove(
            fitted.mean(axis=0), np.cov(fitted, rowvar=False), scale=settings.proposal_scale
        )
        out = emcee.EnsembleSampler(
            start.shape[0],
            ndim,
            counted,
            vectorize=True,
            moves=[
                (move, settings.independence_weight),
                (emcee.moves.DEMove(), 1.0 - settings.independence_weight),
            ],
        )
        out.random_state = np.random.RandomState(seed + k).get_state()
        return out

    sampler = production(tail, 1)
    adapted = 0  # sampling steps spent before the proposal was refitted
    diag: Diagnostics | None = None
    while True:
        state = sampler.run_mcmc(state, settings.block, progress=False)
        it = adapted + sampler.iteration
        if it >= settings.min_steps or it >= settings.max_steps:
            # The whole sampling chain, else its second half: walkers that start sampling in
            # the tails and rejoin later inflate R-hat over the whole chain for hundreds of
            # steps; discarding the first half as warm-up (as Stan does) removes them.
            for discard in (0, sampler.iteration // 2):
                diag = diagnose(
                    sampler, names, settings, discard, time.perf_counter() - t0, calls[0]
                )
                if diag.converged:
                    break
            if diag is not None and (diag.converged or it >= settings.max_steps):
                break
            if (
                diag is not None
                and not adapted
                and diag.acceptance < settings.adapt_below
                and settings.max_steps - it >= settings.min_steps
            ):
                # The burned-in ensemble was a poor proposal (a curved or two-lobed
                # posterior): refit it once to the sampled chain, restart sampling from the
                # current walkers (stragglers pruned) and count what came before as burn-in.
                fitted = sampler.get_chain(discard=sampler.iteration // 2, flat=True)
                state = emcee.State(prune_walkers(state.coords, state.log_prob, rng))
                adapted = sampler.iteration
                sampler = production(fitted, 2)
    assert diag is not None
    n_burn += adapted
    diag.n_steps = n_burn + sampler.iteration
    diag.seconds = time.perf_counter() - t0
    return sampler, diag, n_burn
