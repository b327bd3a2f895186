"""The twin's prior: the calibrated virtual septic-shock population, as a Gaussian in log space.

A twin is a virtual patient: its patient-level quantities are those the population sampler
draws (:func:`sepsistwin.population.distributions`: infection load and growth, MIC, antibiotic
start, host gains, damage susceptibility, mHLA-DR/lymphocyte/ferritin set points, body
weight). The prior is read from the population through its public API only: the centre and
covariance of those quantities (log scale for lognormal ones) are estimated from a seeded
:func:`~sepsistwin.population.sample_population` draw, so correlations the sampler builds in
(MALS/IL-10 gains, frailty) are kept without this module knowing how they are built; initial
states the sampler ties to a parameter (a set point) are found by comparing the drawn arrays,
and every other drawn parameter that does not vary is a shared model parameter (the calibrated
parameter set). The sampler therefore works on the next model version unchanged.

Inference works in whitened coordinates ``w`` (standard normal under the prior); quantities the
data fix (body weight, antibiotic start when recorded) are conditioned out of the Gaussian.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from sepsistwin.population import distributions, sample_population

FloatArray = NDArray[np.float64]

#: Draws used to estimate the prior's centre and covariance (seeded, so the prior is fixed).
PRIOR_DRAWS = 4000
PRIOR_SEED = 20240611

#: Patient field of the population that is not a model parameter: antibiotic start (hours).
ABX_START = "abx_start"
BODY_WEIGHT = "body_weight"


@dataclass(frozen=True)
class PopulationPrior:
    """Gaussian prior over the patient-level quantities of a virtual population.

    Attributes
    ----------
    names : tuple of str
        Quantity names as the population names them (``k_pg``, ``init:P``, ``abx_start``).
    log_scale : ndarray of bool
        Whether each quantity is Gaussian on the log scale (a lognormal population draw).
    mean, cov : ndarray
        Centre and covariance on that scale.
    lower, upper : ndarray
        Plausible bounds (values are clipped to them, as the sampler does).
    units : tuple of str
        Unit of each quantity.
    shared : dict
        Model parameters every patient shares (the calibrated parameter set).
    init_links : dict
        Initial state -> quantity it starts at (a set point).
    preset : str
        The population preset.
    """

    names: tuple[str, ...]
    log_scale: NDArray[np.bool_]
    mean: FloatArray
    cov: FloatArray
    lower: FloatArray
    upper: FloatArray
    units: tuple[str, ...]
    shared: dict[str, float] = field(default_factory=dict)
    init_links: dict[str, str] = field(default_factory=dict)
    preset: str = "septic_shock"

    @property
    def ndim(self) -> int:
        """Number of patient-level quantities."""
        return len(self.names)

    def index(self, name: str) -> int:
        """Position of quantity ``name``."""
        return self.names.index(name)

    def to_values(self, u: FloatArray) -> FloatArray:
        """Quantities on their natural scale from the Gaussian scale (clipped to the bounds)."""
        v = np.where(self.log_scale, np.exp(np.clip(u, -700, 700)), u)
        return np.clip(v, self.lower, self.upper)

    def to_gaussian(self, values: FloatArray) -> FloatArray:
        """Quantities on the Gaussian scale (log for lognormal ones)."""
        v = np.asarray(values, dtype=float)
        return np.where(self.log_scale, np.log(np.maximum(v, 1e-300)), v)

    def conditional(
        self, fixed: Mapping[str, float], marginal: tuple[str, ...] = ()
    ) -> ConditionalPrior:
        """The prior of the free quantities given known values of ``fixed`` ones.

        ``marginal`` quantities are not sampled: the fit holds them at their prior mean given
        the others, and forecasts draw them from their prior given the others (they are
        marginalised over, as the data barely inform them).

        Examples
        --------
        >>> p = population_prior()
        >>> c = p.conditional({"body_weight": 70.0}, marginal=("mic",))
        >>> "body_weight" in c.free_names, "mic" in c.free_names, c.ndim == p.ndim - 2
        (False, False, True)
        """
        unknown = [k for k in [*fixed, *marginal] if k not in self.names]
        if unknown:
            raise ValueError(f"unknown prior quantity {unknown}; quantities: {list(self.names)}")
        fi = [self.index(k) for k in fixed]
        mi = [self.index(k) for k in marginal if k not in fixed]
        free = [i for i in range(self.ndim) if i not in fi and i not in mi]
        raw = np.array([float(fixed[self.names[i]]) for i in fi], dtype=float)
        u_fixed = np.where(
            self.log_scale[fi],
            np.log(np.maximum(np.clip(raw, self.lower[fi], self.upper[fi]), 1e-300)),
            np.clip(raw, self.lower[fi], self.upper[fi]),
        )
        rest = free + mi
        mu = self.mean[rest].copy()
        cov = self.cov[np.ix_(rest, rest)].copy()
        if fi:
            s_ff = self.cov[np.ix_(fi, fi)]
            s_xf = self.cov[np.ix_(rest, fi)]
            gain = s_xf @ np.linalg.inv(s_ff)
            mu = mu + gain @ (u_fixed - self.mean[fi])
            cov = cov - gain @ s_xf.T
        cov = 0.5 * (cov + cov.T) + 1e-10 * np.eye(len(rest))
        k = len(free)
        c_ff, c_mf, c_mm = cov[:k, :k], cov[k:, :k], cov[k:, k:]
        chol = np.asarray(np.linalg.cholesky(c_ff), dtype=float)
        m_gain = c_mf @ np.linalg.inv(c_ff) if mi else np.zeros((0, k))
        m_cov = c_mm - m_gain @ c_mf.T if mi else np.zeros((0, 0))
        m_chol = (
            np.asarray(np.linalg.cholesky(0.5 * (m_cov + m_cov.T) + 1e-10 * np.eye(len(mi))))
            if mi
            else np.zeros((0, 0))
        )
        return ConditionalPrior(
            self,
            tuple(free),
            tuple(fi),
            u_fixed,
            mu[:k],
            chol,
            tuple(mi),
            mu[k:],
            np.asarray(m_gain, dtype=float),
            np.asarray(m_chol, dtype=float),
        )


@dataclass(frozen=True)
class ConditionalPrior:
    """The free quantities' Gaussian given the fixed ones, in whitened coordinates.

    ``u_free = mean + chol @ w`` with ``w ~ N(0, I)``; marginalised quantities follow
    ``u_marg = m_mean + m_gain @ (u_free - mean) [+ m_chol @ z]``.
    """

    prior: PopulationPrior
    free: tuple[int, ...]
    fixed: tuple[int, ...]
    u_fixed: FloatArray
    mean: FloatArray
    chol: FloatArray
    marginal: tuple[int, ...] = ()
    m_mean: FloatArray = field(default_factory=lambda: np.zeros(0))
    m_gain: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    m_chol: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def ndim(self) -> int:
        """Number of free quantities (the dimension of the inference)."""
        return len(self.free)

    @property
    def free_names(self) -> tuple[str, ...]:
        """Names of the free quantities."""
        return tuple(self.prior.names[i] for i in self.free)

    @property
    def marginal_names(self) -> tuple[str, ...]:
        """Names of the marginalised quantities."""
        return tuple(self.prior.names[i] for i in self.marginal)

    def values(self, w: FloatArray, rng: np.random.Generator | None = None) -> FloatArray:
        """All quantities (natural scale, shape (n, prior.ndim)) from whitened draws (n, ndim).

        Marginalised quantities are at their conditional mean, or drawn when ``rng`` is given.
        """
        w2 = np.atleast_2d(np.asarray(w, dtype=float))
        u = np.empty((w2.shape[0], self.prior.ndim))
        dev = w2 @ self.chol.T
        u[:, list(self.free)] = self.mean + dev
        if self.fixed:
            u[:, list(self.fixed)] = self.u_fixed
        if self.marginal:
            um = self.m_mean + dev @ self.m_gain.T
            if rng is not None:
                um = um + rng.standard_normal((w2.shape[0], len(self.marginal))) @ self.m_chol.T
            u[:, list(self.marginal)] = um
        return self.prior.to_values(u)

    def whiten(self, values: FloatArray) -> FloatArray:
        """Whitened coordinates of quantities given on their natural scale (n, prior.ndim)."""
        u = self.prior.to_gaussian(np.atleast_2d(values))[:, list(self.free)]
        return np.asarray(np.linalg.solve(self.chol, (u - self.mean).T).T, dtype=float)

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` whitened prior draws (n, ndim)."""
        return rng.standard_normal((n, self.ndim))


@lru_cache(maxsize=4)
def population_prior(preset: str = "septic_shock") -> PopulationPrior:
    """The prior of the population ``preset`` (cached; a fixed seeded draw).

    Examples
    --------
    >>> p = population_prior()
    >>> "k_pg" in p.names and "init:P" in p.names
    True
    """
    dists = distributions(preset)
    pop = sample_population(PRIOR_DRAWS, preset=preset, seed=PRIOR_SEED)
    names, cols, logs, lo, hi, units = [], [], [], [], [], []
    for d in dists:
        if d.target.startswith("init:"):
            col = pop.init[d.target[5:]]
        elif d.target == ABX_START:
            col = pop.abx_start
        else:
            col = pop.params[d.target]
        names.append(d.target)
        cols.append(np.asarray(col, dtype=float))
        logs.append(d.kind == "lognormal")
        lo.append(d.lower)
        hi.append(d.upper)
        units.append(d.unit)
    log_scale = np.array(logs, dtype=bool)
    x = np.column_stack(cols)
    u = np.where(log_scale, np.log(np.maximum(x, 1e-300)), x)
    mean = u.mean(axis=0)
    cov = np.cov(u, rowvar=False)
    drawn = {n: c for n, c in zip(names, cols, strict=True)}
    shared: dict[str, float] = {}
    for k, v in pop.params.items():
        if k in drawn:
            continue
        if np.ptp(v) == 0:
            shared[k] = float(v[0])
    links: dict[str, str] = {}
    for s, v in pop.init.items():
        if f"init:{s}" in drawn:
            continue
        for n, c in drawn.items():
            if np.array_equal(v, c):
                links[s] = n
                break
        else:
            if np.ptp(v) == 0:
                continue  # a constant initial state: the model default or a fixed start
            raise ValueError(
                f"population initial state {s!r} varies but follows no drawn quantity; the twin "
                "prior cannot represent it"
            )
    return PopulationPrior(
        tuple(names),
        log_scale,
        mean,
        cov,
        np.array(lo, dtype=float),
        np.array(hi, dtype=float),
        tuple(units),
        shared,
        links,
        preset,
    )


def patient_inputs(
    prior: PopulationPrior, values: FloatArray
) -> tuple[dict[str, FloatArray], dict[str, FloatArray], FloatArray, FloatArray]:
    """Solver inputs of draws ``values`` (n, prior.ndim): params, init, abx start, weight.

    Examples
    --------
    >>> p = population_prior()
    >>> params, init, abx, w = patient_inputs(p, p.to_values(p.mean)[None, :])
    >>> abx.shape, "k_pg" in params
    ((1,), True)
    """
    v = np.atleast_2d(values)
    n = v.shape[0]
    params: dict[str, FloatArray] = {k: np.full(n, x) for k, x in prior.shared.items()}
    init: dict[str, FloatArray] = {}
    abx = np.zeros(n)
    for j, name in enumerate(prior.names):
        col = np.ascontiguousarray(v[:, j])
        if name.startswith("init:"):
            init[name[5:]] = col
        elif name == ABX_START:
            abx = col
        else:
            params[name] = col
    cols = {name: v[:, j] for j, name in enumerate(prior.names)}
    for state, name in prior.init_links.items():
        init[state] = np.ascontiguousarray(cols[name])
    weight = params.get(BODY_WEIGHT, np.full(n, 75.0))
    return params, init, abx, weight
