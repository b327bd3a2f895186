"""The patient digital twin: :func:`fit` a patient, then ``forecast``, ``whatif``, ``update``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.data import Timeline
from sepsistwin.solve import Schedule, SimulationResult
from sepsistwin.twin.forecast import Forecast, forecast_grid, summarise
from sepsistwin.twin.inference import (
    Diagnostics,
    SamplerSettings,
    initial_walkers,
    log_likelihood_fn,
    log_posterior_fn,
    run_sampler,
)
from sepsistwin.twin.observation import ObservationModel, observation_model
from sepsistwin.twin.patient import (
    FHIR_SUFFIXES,
    PatientData,
    TwinInputError,
    check_dose_spec,
    patient_data,
    read_fhir_doses,
)
from sepsistwin.twin.prior import ABX_START, BODY_WEIGHT, ConditionalPrior, population_prior
from sepsistwin.twin.simulator import TwinSimulator
from sepsistwin.twin.whatif import WhatIf, compare, regimen_spec

FloatArray = NDArray[np.float64]

#: Posterior draws used for forecasts and what-ifs.
DEFAULT_DRAWS = 200
#: Burn-in and fewest sampling steps of a warm-started update (the walkers start at the
#: previous posterior, so a short burn-in absorbs the new day).
UPDATE_BURN = 30
UPDATE_MIN_STEPS = 50


class NotConvergedError(RuntimeError):
    """The fit has not converged: forecasts and what-ifs are refused."""


@dataclass
class Twin:
    """A virtual patient conditioned on one real (or virtual) patient's data.

    Attributes
    ----------
    data : PatientData
        The data the twin is conditioned on.
    diagnostics : Diagnostics
        Convergence of the fit.
    draws_ : ndarray
        Posterior draws of all prior quantities (natural scale), shape (n_draws, n_quantities).
    chain_ : ndarray
        Final walker positions (whitened) for warm-started updates.
    """

    data: PatientData
    diagnostics: Diagnostics
    draws_: FloatArray
    chain_: FloatArray
    names: tuple[str, ...]
    free_names: tuple[str, ...]
    om: ObservationModel
    sim: TwinSimulator
    settings: SamplerSettings
    seed: int
    timeline: Timeline | None = None
    horizon_days: int = 28
    marginal_names: tuple[str, ...] = ()
    _forecast: Forecast | None = field(default=None, repr=False)

    @property
    def patient_id(self) -> str:
        """The patient."""
        return self.data.patient_id

    @property
    def converged(self) -> bool:
        """Whether the fit converged."""
        return self.diagnostics.converged

    def _require_converged(self) -> None:
        if not self.diagnostics.converged:
            raise NotConvergedError(
                f"twin of {self.patient_id} has not converged ({self.diagnostics.reason}); "
                "refusing to forecast: fit longer (more steps) or with more data"
            )

    def _run(self, specs: Sequence[str] = ()) -> Any:
        return self.sim.run(
            self.draws_, forecast_grid(self.horizon_days), [*self.data.received, *specs]
        )

    def simulate(
        self,
        doses: Callable[[FloatArray], Schedule] | None = None,
        *,
        draws: int | None = None,
        repeats: int = 1,
        t_eval: FloatArray | None = None,
    ) -> SimulationResult:
        """Simulate posterior draws (standard care and the doses received) as one batch.

        Lane ``k`` is posterior draw ``k % draws`` (the first ``draws`` draws, repeated
        ``repeats`` times), so ``repeats`` regimens run on the same draws in one solver call.

        Parameters
        ----------
        doses : callable, optional
            Maps the lanes' body weights (kg, shape ``(draws * repeats,)``) to the extra doses
            of each lane (a :class:`~sepsistwin.solve.Schedule` with per-lane times and
            amounts; a zero amount gives a lane nothing).
        draws : int, optional
            How many posterior draws (default: all).
        repeats : int
            Copies of the draws.
        t_eval : ndarray, optional
            Save times (hours since time zero; default: every 4 h to the twin's horizon).

        Raises
        ------
        NotConvergedError
            When the fit has not converged.

        Examples
        --------
        >>> res = twin.simulate(draws=32, repeats=2)  # doctest: +SKIP
        >>> res.n_patients  # doctest: +SKIP
        64
        """
        self._require_converged()
        n = self.draws_.shape[0] if draws is None else max(1, min(int(draws), len(self.draws_)))
        values = np.tile(self.draws_[:n], (max(1, int(repeats)), 1))
        grid = forecast_grid(self.horizon_days) if t_eval is None else np.asarray(t_eval, float)
        return self.sim.run(values, grid, list(self.data.received), extra=doses)

    def forecast(self, *, seed: int | None = None) -> Forecast:
        """Posterior predictive forecast to day 28 (cached).

        Raises
        ------
        NotConvergedError
            When the fit has not converged.
        """
        self._require_converged()
        if self._forecast is None or seed is not None:
            rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
            self._forecast = summarise(self._run(), self.om, self.data.last_hours, rng)
        return self._forecast

    def posterior(self) -> pd.DataFrame:
        """Posterior summary per quantity: prior and posterior median and 90% interval."""
        prior = population_prior(self.sim.prior.preset)
        rows = []
        for j, name in enumerate(self.names):
            x = self.draws_[:, j]
            per = self.diagnostics.per_quantity.get(name, {})
            sd_prior = float(np.sqrt(prior.cov[j, j]))
            if prior.log_scale[j]:
                sd_post = float(np.std(np.log(np.maximum(x, 1e-300))))
            else:
                sd_post = float(np.std(x))
            rows.append(
                {
                    "quantity": name,
                    "unit": prior.units[j],
                    "role": (
                        "fitted"
                        if name in self.free_names
                        else "marginalised"
                        if name in self.marginal_names
                        else "known"
                    ),
                    "prior_median": float(prior.to_values(prior.mean)[j]),
                    "median": float(np.median(x)),
                    "lo90": float(np.quantile(x, 0.05)),
                    "hi90": float(np.quantile(x, 0.95)),
                    "shrinkage": float(1.0 - (sd_post / sd_prior) ** 2) if sd_prior > 0 else 0.0,
                    "ess": per.get("ess"),
                    "rhat": per.get("rhat"),
                }
            )
        return pd.DataFrame(rows)

    def recommendation(self) -> Any:
        """What ``recommend`` lists for the patient at the fitted day (``None`` without a
        timeline or when it has no row for that day).

        The assessment and recommendation use the timeline up to the fitted day, as the
        clinician sees it.
        """
        if self.timeline is None:
            return None
        from sepsistwin.clinical import assess
        from sepsistwin.recommend import recommend

        obs = self.timeline.observations
        rows = obs[(obs["patient_id"] == self.patient_id) & (obs["hours"] < self.data.until_hours)]
        if rows.empty:
            return None
        a = assess(rows.assign(patient_id=rows["patient_id"].astype(str)))
        try:
            return recommend(a).get(self.patient_id, self.data.fitted_until_day)
        except (KeyError, ValueError):
            return None

    def options(self, recommendation: Any = None) -> list[tuple[str, str, str]]:
        """``(therapy, dose spec, label)`` of each option ``recommend`` lists at the fit day,
        each regimen starting at the end of the fitted data (options whose regimen the model
        cannot dose are left out). ``recommendation``: the day's recommendation when the
        caller already has it (default: :meth:`recommendation`)."""
        rec = self.recommendation() if recommendation is None else recommendation
        if rec is None:
            return []
        start = float(np.ceil(self.data.last_hours))
        out = []
        for opt in rec.options:
            try:
                spec = regimen_spec(opt["therapy"], opt["regimen"]["id"], start)
                check_dose_spec(spec)
            except (ValueError, KeyError):
                continue
            out.append((str(opt["therapy"]), spec, str(opt["regimen"]["label"])))
        return out

    def whatif(
        self,
        regimens: Sequence[str] = (),
        *,
        include_recommended: bool = True,
    ) -> list[WhatIf]:
        """Posterior effect of each regimen (and each recommended option) against standard care.

        Parameters
        ----------
        regimens : list of str
            Dose specifications ``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H]``.
        include_recommended : bool
            Add the options ``recommend`` lists for the patient at the fitted day.

        Examples
        --------
        >>> twin.whatif(["anakinra:200mg@72,every=8,n=21"])  # doctest: +SKIP
        """
        self._require_converged()
        for spec in regimens:
            check_dose_spec(spec)
        items = [(s.split(":", 1)[0].strip().lower(), s, s, "user") for s in regimens]
        if include_recommended:
            items = [(t, s, lab, "recommend") for t, s, lab in self.options()] + items
        if not items:
            return []
        control = self._run()
        out = []
        for therapy, spec, label, source in items:
            treated = self._run([spec])
            start = _start_hours(spec)
            out.append(
                compare(therapy, spec, label, treated, control, self.data.last_hours, start, source)
            )
        return out

    def update(
        self,
        new: Timeline | pd.DataFrame,
        *,
        until_day: int | None = None,
        received: Sequence[str] | None = None,
    ) -> Twin:
        """Condition on more data (e.g. one more day), warm-starting from this twin's walkers.

        ``new`` is the patient's timeline with the new data (a Timeline, or a long table
        ``patient_id, time, variable, value, unit`` validated like any input; the whole
        timeline or only the new rows: old and new observations are merged, duplicates
        dropped).
        """
        if isinstance(new, Timeline):
            tl = new
        else:
            from sepsistwin.data import observations_from_frame

            tl = observations_from_frame(new)
        if self.timeline is not None and tl is not self.timeline:
            merged = pd.concat([self.timeline.observations, tl.observations], ignore_index=True)
            keys = ["patient_id", "hours", "variable", "value"]
            merged = merged.astype({"patient_id": str, "variable": str}).drop_duplicates(keys)
            tl = Timeline(
                merged,
                time_zero={**self.timeline.time_zero, **tl.time_zero},
                baseline_sofa={**self.timeline.baseline_sofa, **tl.baseline_sofa},
            )
        rec = list(self.data.received if received is None else received)
        data = patient_data(tl, self.patient_id, self.om, until_day=until_day, received=rec)
        return _fit_data(
            data,
            self.om,
            self.sim,
            self.settings,
            self.seed + 7,
            tl,
            start=self.chain_,
            burn=UPDATE_BURN,
            min_steps=UPDATE_MIN_STEPS,
            horizon_days=self.horizon_days,
        )

    def to_dict(
        self, *, forecast: bool = True, whatifs: Sequence[WhatIf] | None = None
    ) -> dict[str, Any]:
        """The JSON contract: ``patient_id, fitted_until_day, diagnostics, forecast, whatif``."""
        out: dict[str, Any] = {
            "patient_id": self.patient_id,
            "fitted_until_day": self.data.fitted_until_day,
            "fitted_until_hours": self.data.last_hours,
            "n_observations": len(self.data.observations),
            "received": list(self.data.received),
            "diagnostics": self.diagnostics.to_dict(),
            "posterior": self.posterior().to_dict(orient="records"),
        }
        if forecast and self.converged:
            out["forecast"] = self.forecast().to_dict()
        if whatifs is not None:
            out["whatif"] = [w.to_dict() for w in whatifs]
            out["recommendation"] = annotate_options(self.recommendation(), whatifs)
        return out

    def summary(self) -> str:
        """A readable summary: fit, posterior, forecast."""
        d = self.diagnostics
        lines = [
            f"Twin of {self.patient_id}: {len(self.data.observations)} observations to day "
            f"{self.data.fitted_until_day} ({self.data.last_hours:.0f} h)",
            f"  fit: {'converged' if d.converged else 'NOT converged: ' + d.reason}; "
            f"ESS {d.ess:.0f}, R-hat {d.rhat:.3f}, tau {d.tau:.0f}, {d.n_steps} steps x "
            f"{d.n_walkers} walkers, {d.seconds:.1f} s",
        ]
        post = self.posterior()
        lines.append("  quantity        prior    posterior [90%]                shrinkage")
        for r in post.itertuples():
            tag = "" if r.role == "fitted" else f" ({r.role})"
            lines.append(
                f"  {r.quantity:<14} {r.prior_median:>8.3g}  {r.median:>8.3g} "
                f"[{r.lo90:.3g}, {r.hi90:.3g}]{tag:<15} {r.shrinkage:>6.2f}"
            )
        if self.converged:
            f = self.forecast()
            dd = f.death_28d
            lines.append(
                f"  28-day death probability {dd['mean']:.0%} (90% interval "
                f"{dd['lo90']:.0%}-{dd['hi90']:.0%})"
            )
            ph = f.phenotype
            day = min(self.data.fitted_until_day + 1, len(ph) - 1)
            row = ph.iloc[day]
            lines.append(
                f"  phenotype day {day}: MALS {row['MALS']:.0%}, immunoparalysis "
                f"{row['immunoparalysis']:.0%}, intermediate {row['intermediate']:.0%}"
            )
        return "\n".join(lines)

    def to_parquet(self, path: str | Path) -> Path:
        """Write the posterior draws (one row per draw) with the fit's metadata."""
        p = Path(path)
        frame = pd.DataFrame(self.draws_, columns=list(self.names))
        frame.insert(0, "patient_id", self.patient_id)
        frame.attrs["fitted_until_day"] = self.data.fitted_until_day
        frame.to_parquet(p, index=False)
        return p

    def plot(self, path: str | Path, whatifs: Sequence[WhatIf] | None = None) -> list[Path]:
        """Write the forecast figure (and the what-if figure) as PNG; returns the paths."""
        from sepsistwin.twin.plots import plot_forecast, plot_whatif

        p = Path(path)
        out = [plot_forecast(self, p)]
        if whatifs:
            out.append(plot_whatif(whatifs, p.with_name(p.stem + "_whatif" + p.suffix)))
        return out


def annotate_options(rec: Any, whatifs: Sequence[WhatIf]) -> list[dict[str, Any]]:
    """The recommended options of ``rec`` (a DayRecommendation) with the twin's what-if
    numbers under ``twin`` (``None`` where the model cannot dose the regimen)."""
    if rec is None:
        return []
    by_therapy = {w.therapy: w for w in whatifs if w.source == "recommend"}
    out = []
    for opt in rec.options:
        w = by_therapy.get(str(opt["therapy"]))
        out.append(
            {
                "therapy": opt["therapy"],
                "rank": opt["rank"],
                "name": opt["name"],
                "regimen": opt["regimen"]["label"],
                "evidence_level": opt["evidence_level"],
                "twin": None if w is None else w.to_dict(),
            }
        )
    return out


def _start_hours(spec: str) -> float:
    at = spec.split("@", 1)[1].split(",", 1)[0]
    return float(at)


def fit(
    timeline: Timeline | str | Path | pd.DataFrame,
    patient_id: str,
    *,
    onset: str | Path | None = None,
    until_day: int | None = None,
    received: Sequence[str] = (),
    observation: ObservationModel | str | Path | None = None,
    settings: SamplerSettings | None = None,
    preset: str = "septic_shock",
    model: Any = "sepsistwin",
    seed: int = 0,
    horizon_days: int = 28,
) -> Twin:
    """Fit a twin to one patient of a timeline.

    Parameters
    ----------
    timeline : Timeline, path or DataFrame
        The patient data (read and validated by :mod:`sepsistwin.data` when a path or frame).
    patient_id : str
        The patient to fit.
    onset : path, optional
        Per-patient time zero (for a file timeline).
    until_day : int, optional
        Use data up to the end of this day (0 = the day of time zero).
    received : list of str
        Doses given (``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H]``). A FHIR
        file's immunotherapy ``MedicationAdministration`` resources are added to them
        (:func:`sepsistwin.twin.read_fhir_doses`): do not list those doses again.
    observation : ObservationModel or path, optional
        Error model (default: the package's ``observation.yaml``).
    settings : SamplerSettings, optional
        MCMC size and convergence criteria.
    preset : str
        Population preset of the prior.
    model : str or Model
        The model.
    seed : int
        Seed of the sampler (a fit is reproducible).
    horizon_days : int
        Forecast horizon.

    Returns
    -------
    Twin

    Examples
    --------
    >>> from sepsistwin.examples import example_path
    >>> tw = fit(example_path("cohort.csv"), "ICU-001", onset=example_path("onsets.csv"),
    ...          until_day=2)  # doctest: +SKIP
    >>> tw.forecast().death_28d["mean"]  # doctest: +SKIP
    """
    if isinstance(timeline, Timeline):
        tl = timeline
    else:
        from sepsistwin.data import observations_from_frame, read_timeline

        if isinstance(timeline, pd.DataFrame):
            tl = observations_from_frame(timeline)
        else:
            tl = read_timeline(timeline, onset=onset)
            if Path(timeline).suffix.lower() in FHIR_SUFFIXES:
                fhir = read_fhir_doses(timeline, tl, patient_id).get(patient_id, [])
                received = [*received, *fhir]
    om = (
        observation
        if isinstance(observation, ObservationModel)
        else observation_model(model, observation)
    )
    data = patient_data(tl, patient_id, om, until_day=until_day, received=list(received))
    sim = TwinSimulator(population_prior(preset), model)
    return _fit_data(
        data, om, sim, settings or SamplerSettings(), seed, tl, horizon_days=horizon_days
    )


#: Prior quantities the ICU data barely inform (identifiability check, docs/twin.md):
#: marginalised (drawn from their prior given the fitted ones) instead of sampled.
MARGINALISED = ("k_pg", "mic", "fer0")


def _conditional(sim: TwinSimulator, data: PatientData) -> ConditionalPrior:
    marginal = tuple(n for n in MARGINALISED if n in sim.prior.names)
    fixed: dict[str, float] = {}
    if data.weight_kg is not None and BODY_WEIGHT in sim.prior.names:
        fixed[BODY_WEIGHT] = data.weight_kg
    if data.abx_start is not None and ABX_START in sim.prior.names:
        fixed[ABX_START] = data.abx_start
    return sim.prior.conditional(fixed, marginal)


def _fit_data(
    data: PatientData,
    om: ObservationModel,
    sim: TwinSimulator,
    settings: SamplerSettings,
    seed: int,
    timeline: Timeline | None,
    *,
    start: FloatArray | None = None,
    burn: int | None = None,
    min_steps: int | None = None,
    horizon_days: int = 28,
) -> Twin:
    """Run the sampler on ``data`` (from ``start`` walkers when warm-starting)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    cond = _conditional(sim, data)
    loglik = log_likelihood_fn(data, om, sim, cond)
    logpost = log_posterior_fn(loglik)
    if start is None or start.shape[1] != cond.ndim:
        walkers = initial_walkers(logpost, cond.ndim, settings, rng)
    else:
        walkers = start
    run_settings = settings
    if min_steps is not None:
        run_settings = replace(
            settings,
            min_steps=min(min_steps, settings.max_steps),
            block=min(settings.block, min_steps),
        )
    sampler, diag, _ = run_sampler(logpost, walkers, cond.free_names, run_settings, rng, burn=burn)
    flat = sampler.get_chain(flat=True, discard=diag.discarded)
    n = min(DEFAULT_DRAWS, flat.shape[0])
    pick = rng.choice(flat.shape[0], size=n, replace=False)
    draws = cond.values(flat[pick], rng)
    diag.seconds = time.perf_counter() - t0
    last = sampler.get_chain()[-1]
    return Twin(
        data,
        diag,
        draws,
        np.asarray(last, dtype=float),
        sim.prior.names,
        cond.free_names,
        om,
        sim,
        settings,
        seed,
        timeline,
        horizon_days,
        cond.marginal_names,
    )


def without_discrepancy(om: ObservationModel) -> ObservationModel:
    """The observation model with assay error only (for virtual patients, whose model is
    exact)."""
    return ObservationModel(
        {
            k: v.model_copy(update={"model_cv": 0.0, "model_sd": 0.0})
            for k, v in om.variables.items()
        },
        dict(om.to_canonical),
    )


__all__ = [
    "NotConvergedError",
    "Twin",
    "TwinInputError",
    "fit",
    "without_discrepancy",
]
