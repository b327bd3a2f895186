"""What the agent sees: ICU measurements with assay noise and missingness, and the SOFA score.

At each decision the patient is measured as an ICU would: vital signs, ventilator settings and
the vasopressor dose (always recorded), the morning labs (each missing with
:data:`sepsistwin.twin.virtual.P_MISSING_LAB`, ferritin with
:data:`~sepsistwin.twin.virtual.P_MISSING_FERRITIN`) and the immune-monitoring assays (mHLA-DR,
IL-6, IL-10, each done with :data:`~sepsistwin.twin.virtual.P_SPECIAL_LAB`). Values are the
model's observables in the variable catalogue's canonical units with the assay error of the
twin's observation model (:mod:`sepsistwin.twin.observation`: lognormal or normal error,
censoring at the measuring range; assay error only, no model discrepancy). Variables the
observation model does not list (FiO2, mechanical ventilation) are settings, recorded exactly.
Procalcitonin is not observed: the model has no procalcitonin observable.

The SOFA components are scored from the measured values by the clinical rule functions
(:mod:`sepsistwin.clinical.sofa`); a missing input scores 0, as in mimic-code.

Examples
--------
>>> layout = ObservationLayout(("anakinra", "nivolumab"))
>>> layout.size == 2 * len(VARIABLES) + len(SOFA_FEATURES) + 2 + 1
True
>>> layout.names[:2]
['map', 'heart_rate']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from sepsistwin.clinical import sofa
from sepsistwin.clinical.assessment import SOFA_COMPONENTS
from sepsistwin.clinical.config import SofaThresholds, default_config
from sepsistwin.data.catalogue import CATALOGUE
from sepsistwin.twin.observation import ObservationModel
from sepsistwin.twin.virtual import P_MISSING_FERRITIN, P_MISSING_LAB, P_SPECIAL_LAB

FloatArray = NDArray[np.float64]

#: Always recorded at a decision: vital signs, ventilator settings, vasopressor dose.
RECORDED = (
    "map",
    "heart_rate",
    "resp_rate",
    "temperature",
    "norepinephrine",
    "gcs",
    "pao2",
    "fio2",
    "mechanical_ventilation",
)
#: Morning labs.
LABS = (
    "lactate",
    "platelets",
    "bilirubin",
    "creatinine",
    "crp",
    "wbc",
    "neutrophils",
    "lymphocytes",
    "ferritin",
)
#: Immune monitoring assays.
IMMUNE_ASSAYS = ("mhla_dr", "il6", "il10")
VARIABLES: tuple[str, ...] = RECORDED + LABS + IMMUNE_ASSAYS
#: Upper ends of the catalogue's plausible ranges (the observation space's bounds; a measured
#: value is clipped to them, as the data validation would reject anything beyond).
PLAUSIBLE_MAX = np.array([CATALOGUE[v].plausible_max for v in VARIABLES], dtype=np.float32)
SOFA_FEATURES = (*SOFA_COMPONENTS, "sofa")


def default_missing() -> dict[str, float]:
    """Probability that each variable is not measured at a decision.

    Examples
    --------
    >>> default_missing()["ferritin"], default_missing()["map"]
    (0.3, 0.0)
    """
    out = dict.fromkeys(RECORDED, 0.0)
    out.update(dict.fromkeys(LABS, P_MISSING_LAB))
    out["ferritin"] = P_MISSING_FERRITIN
    out.update(dict.fromkeys(IMMUNE_ASSAYS, 1.0 - P_SPECIAL_LAB))
    return out


class ObservationLayout:
    """Positions of the features in the flat observation vector.

    ``[values (one per variable, 0 where missing), measured flags (1/0), SOFA components and
    total, therapies dosed in the last interval (one flag per therapy), day since enrolment]``.
    """

    def __init__(self, therapies: Sequence[str]) -> None:
        self.variables = VARIABLES
        self.therapies = tuple(therapies)
        self.names: list[str] = (
            list(VARIABLES)
            + [f"measured_{v}" for v in VARIABLES]
            + list(SOFA_FEATURES)
            + [f"dosed_{t}" for t in self.therapies]
            + ["day"]
        )
        self.size = len(self.names)
        nv = len(VARIABLES)
        self.values = slice(0, nv)
        self.measured = slice(nv, 2 * nv)
        self.sofa = slice(2 * nv, 2 * nv + len(SOFA_FEATURES))
        self.dosed = slice(self.sofa.stop, self.sofa.stop + len(self.therapies))
        self.day = self.size - 1

    def space(self, horizon_days: float) -> spaces.Box:
        """The Gymnasium observation space (float32)."""
        low = np.zeros(self.size, dtype=np.float32)
        high = np.full(self.size, np.inf, dtype=np.float32)
        high[self.values] = PLAUSIBLE_MAX
        high[self.measured] = 1.0
        high[self.sofa] = 4.0
        high[self.sofa.stop - 1] = 24.0
        high[self.dosed] = 1.0
        high[self.day] = float(horizon_days)
        return spaces.Box(low, high, dtype=np.float32)

    def index(self, name: str) -> int:
        """Position of feature ``name``."""
        return self.names.index(name)


def sofa_components(
    values: Mapping[str, FloatArray], thresholds: SofaThresholds | None = None
) -> FloatArray:
    """SOFA components and total (n, 7) from canonical values (NaN: not measured, 0 points).

    ``thresholds``: the clinical configuration's SOFA cut-offs (default: read now).

    Examples
    --------
    >>> v = {k: np.array([np.nan]) for k in VARIABLES}
    >>> v["platelets"] = np.array([40.0])
    >>> sofa_components(v)[0].tolist()
    [0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 3.0]
    """
    t = thresholds if thresholds is not None else default_config().sofa
    pf = values["pao2"] / values["fio2"]
    vent = np.nan_to_num(values["mechanical_ventilation"]) > 0.5
    n = pf.shape
    zero = np.zeros(n)
    comps = [
        sofa.respiration(pf, vent, t),
        sofa.coagulation(values["platelets"], t),
        sofa.liver(values["bilirubin"], t),
        sofa.cardiovascular(values["map"], values["norepinephrine"], zero, zero, zero, t),
        sofa.cns(np.clip(np.round(values["gcs"]), 3, 15), t),
        sofa.renal(values["creatinine"], np.full(n, np.nan), t),
    ]
    out = np.stack([np.asarray(c, dtype=float) for c in comps], axis=-1)
    return np.concatenate([out, out.sum(axis=-1, keepdims=True)], axis=-1)


class Measurer:
    """Measures true observables as an ICU does (assay noise, censoring, missingness).

    Parameters
    ----------
    om : ObservationModel
        The twin's observation model (error model and unit conversion).
    observable_names : sequence of str
        The model's observables (columns of the arrays passed to :meth:`measure`).
    missing : mapping, optional
        Overrides of :func:`default_missing`.
    """

    def __init__(
        self,
        om: ObservationModel,
        observable_names: Sequence[str],
        missing: Mapping[str, float] | None = None,
    ) -> None:
        absent = [v for v in VARIABLES if v not in observable_names]
        if absent:
            raise ValueError(f"the model has no observables {absent}; the environment needs them")
        unknown = [k for k in (missing or {}) if k not in VARIABLES]
        if unknown:
            raise ValueError(f"missing: unknown variables {unknown}; variables: {list(VARIABLES)}")
        self.om = om
        self.columns = [list(observable_names).index(v) for v in VARIABLES]
        p = default_missing()
        p.update({k: float(v) for k, v in (missing or {}).items()})
        self.p_missing = np.array([p[v] for v in VARIABLES])
        self.sofa_thresholds = default_config().sofa

    def true_values(self, observables: FloatArray) -> dict[str, FloatArray]:
        """Canonical values (no noise) of :data:`VARIABLES` from observables (n, n_obs)."""
        out = {}
        for v, j in zip(VARIABLES, self.columns, strict=True):
            x = observables[:, j]
            out[v] = self.om.model_values(v, x) if v in self.om.variables else x
        return out

    def measure(
        self, observables: FloatArray, rng: np.random.Generator
    ) -> tuple[FloatArray, NDArray[np.bool_], FloatArray]:
        """(values (n, n_var) with NaN where missing, measured mask, SOFA (n, 7))."""
        n = observables.shape[0]
        true = self.true_values(observables)
        vals = np.empty((n, len(VARIABLES)))
        for k, v in enumerate(VARIABLES):
            if v in self.om.variables:
                vals[:, k] = self.om.measure(v, true[v], rng, discrepancy=False)
            else:
                vals[:, k] = true[v]
        gcs = VARIABLES.index("gcs")
        vals[:, gcs] = np.clip(np.round(vals[:, gcs]), 3, 15)  # a whole score
        measured = (rng.random((n, len(VARIABLES))) >= self.p_missing) & np.isfinite(vals)
        vals = np.where(measured, np.clip(vals, 0.0, PLAUSIBLE_MAX), np.nan)
        sofa_vals = sofa_components(
            {v: vals[:, k] for k, v in enumerate(VARIABLES)}, self.sofa_thresholds
        )
        return vals, measured, sofa_vals
