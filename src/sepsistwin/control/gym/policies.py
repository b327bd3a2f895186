"""Baseline policies for the immune-rebalancing environments (batched: one row per lane).

A policy is called with the observations of every lane (``(n, layout.size)``) and returns one
action per lane. Lanes whose ``day`` feature is 0 hold a newly enrolled patient.

- :class:`NoTreatment`: standard care only (action 0 every day).
- :class:`RandomPolicy`: a uniformly random action each day.
- :class:`ProvideRules`: the PROVIDE / ImmunoSep phenotype rules of
  :mod:`sepsistwin.recommend` on the measured values: MALS (ferritin above the rule's
  threshold) -> anakinra at the PROVIDE regimen for its course length; immunoparalysis
  (ferritin at or below it and mHLA-DR below the rule's threshold) -> interferon-gamma at the
  PROVIDE regimen, every other day for its course; neither -> nothing. The course starts on the
  first day both values needed are measured, within the rules' start window after Sepsis-3
  (72 h); the neutropenia contraindication (neutrophils below the rule's minimum) withholds
  the drug that day. Thresholds, course lengths and intervals are read from ``rules.yaml`` and
  the evidence base (Leventogiannis K et al., PROVIDE, Cell Rep Med 2022;3:100817,
  doi:10.1016/j.xcrm.2022.100817, PMID 36384100).
- :class:`FixedCourse`: one dose level every ``every_days`` days for ``days`` days (a
  reference arm).

Examples
--------
>>> from sepsistwin.control.gym import ActionCatalogue, ObservationLayout
>>> cat = ActionCatalogue()
>>> lay = ObservationLayout(cat.therapies)
>>> obs = np.zeros((1, lay.size), dtype=np.float32)
>>> obs[0, lay.index("ferritin")], obs[0, lay.index("measured_ferritin")] = 9000.0, 1.0
>>> obs[0, lay.index("neutrophils")], obs[0, lay.index("measured_neutrophils")] = 8.0, 1.0
>>> cat.describe(ProvideRules(cat, lay)(obs)[0])
'anakinra 200 mg iv every 8 h (provide_iv)'
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sepsistwin.control.gym.actions import ActionCatalogue
from sepsistwin.control.gym.observe import ObservationLayout
from sepsistwin.evidence import EvidenceBase

IntArray = NDArray[np.int64]
Observations = NDArray[np.float32]


class NoTreatment:
    """Standard care only (discrete action 0)."""

    name = "no immunotherapy"

    def __init__(self, catalogue: ActionCatalogue) -> None:
        self.catalogue = catalogue

    def __call__(self, obs: Observations) -> IntArray:
        """Action 0 (nothing) for every lane."""
        if self.catalogue.mode == "discrete":
            return np.zeros(obs.shape[0], dtype=np.int64)
        return np.zeros((obs.shape[0], self.catalogue.nvec.size), dtype=np.int64)


class RandomPolicy:
    """A uniformly random action per lane and day (seeded)."""

    name = "random"

    def __init__(self, catalogue: ActionCatalogue, seed: int = 0) -> None:
        self.catalogue = catalogue
        self.rng = np.random.default_rng(seed)

    def __call__(self, obs: Observations) -> IntArray:
        """Uniform draws from the action space."""
        n = obs.shape[0]
        if self.catalogue.mode == "discrete":
            return np.asarray(self.rng.integers(0, 1 + len(self.catalogue.levels), size=n))
        nvec = self.catalogue.nvec
        return self.rng.integers(0, nvec[None, :], size=(n, nvec.size))


class _Courses:
    """Per-lane course bookkeeping shared by the rule-based policies."""

    def __init__(self, catalogue: ActionCatalogue, layout: ObservationLayout) -> None:
        if catalogue.mode != "discrete":
            raise ValueError("the baseline policies act in the discrete action mode")
        self.catalogue = catalogue
        self.layout = layout
        self.level = np.zeros(0, dtype=np.int64)  # level index + 1 of the course, 0 = none
        self.start = np.zeros(0)
        self.decided = np.zeros(0, dtype=bool)

    def _sync(self, obs: Observations) -> NDArray[np.float64]:
        n = obs.shape[0]
        if self.level.size != n:
            self.level = np.zeros(n, dtype=np.int64)
            self.start = np.zeros(n)
            self.decided = np.zeros(n, dtype=bool)
        day = obs[:, self.layout.day].astype(float)
        new = day == 0
        self.level[new] = 0
        self.decided[new] = False
        return day

    def _value(self, obs: Observations, name: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        return (
            obs[:, self.layout.index(name)].astype(float),
            obs[:, self.layout.index(f"measured_{name}")] > 0.5,
        )

    def _course_actions(
        self, day: NDArray[np.float64], days: dict[int, float], every: dict[int, float]
    ) -> IntArray:
        act = np.zeros(day.size, dtype=np.int64)
        on = self.level > 0
        since = day - self.start
        for lv in np.unique(self.level[on]):
            m = on & (self.level == lv)
            give = m & (since < days[int(lv)] - 1e-9)
            give &= np.isclose(np.mod(since, every[int(lv)]), 0.0)
            act[give] = lv
        return act


class ProvideRules(_Courses):
    """PROVIDE / ImmunoSep phenotype-guided immunotherapy (see the module docstring)."""

    name = "PROVIDE rules"

    def __init__(self, catalogue: ActionCatalogue, layout: ObservationLayout) -> None:
        super().__init__(catalogue, layout)
        from sepsistwin.evidence import load_evidence
        from sepsistwin.recommend import load_rules

        rules = load_rules()
        self.ferritin = rules.threshold("mals_ferritin").value
        self.mhla_dr = rules.threshold("immunoparalysis_mhla_dr").value
        self.neutrophils_min = rules.threshold("neutrophils_min").value
        self.window_days = rules.threshold("sepsis3_start_window_h").value / 24.0
        ev = load_evidence()
        self.days: dict[int, float] = {}
        self.every: dict[int, float] = {}
        self.mals = self._level(catalogue, ev, "anakinra", "provide_iv")
        self.paralysis = self._level(catalogue, ev, "interferon_gamma", "provide_sc")

    def _level(
        self, catalogue: ActionCatalogue, ev: EvidenceBase, therapy: str, regimen: str
    ) -> int:
        lv = catalogue.level_index(therapy, regimen) + 1
        reg = next(r for r in ev.therapy(therapy).regimens if r.id == regimen)
        if reg.duration is None:
            raise ValueError(f"{therapy} regimen {regimen}: the evidence base gives no duration")
        unit_days = {"d": 1.0, "h": 1 / 24.0, "weeks": 7.0}
        self.days[lv] = float(reg.duration.value) * unit_days[reg.duration.unit]
        interval = reg.interval_h.value if reg.interval_h is not None else 24.0
        self.every[lv] = max(1.0, float(interval) / 24.0)
        return lv

    def __call__(self, obs: Observations) -> IntArray:
        """The day's action per lane."""
        day = self._sync(obs)
        fer, has_fer = self._value(obs, "ferritin")
        hla, has_hla = self._value(obs, "mhla_dr")
        open_ = ~self.decided & (day <= self.window_days)
        mals = open_ & has_fer & (fer > self.ferritin)
        para = open_ & has_fer & (fer <= self.ferritin) & has_hla & (hla < self.mhla_dr)
        neither = open_ & has_fer & (fer <= self.ferritin) & has_hla & ~para
        self.level[mals] = self.mals
        self.level[para] = self.paralysis
        self.start[mals | para] = day[mals | para]
        self.decided |= mals | para | neither
        act = self._course_actions(day, self.days, self.every)
        neut, has_neut = self._value(obs, "neutrophils")
        act[has_neut & (neut < self.neutrophils_min)] = 0  # contraindication of both drugs
        return act


class FixedCourse(_Courses):
    """One dose level from enrolment, every ``every_days`` days for ``days`` days."""

    def __init__(
        self,
        catalogue: ActionCatalogue,
        layout: ObservationLayout,
        level: int,
        days: float,
        every_days: float = 1.0,
    ) -> None:
        super().__init__(catalogue, layout)
        self.lv = int(level) + 1
        self.days = {self.lv: float(days)}
        self.every = {self.lv: float(every_days)}
        lv = catalogue.levels[level]
        self.name = f"{lv.therapy} {lv.dose} x {days:g} d"

    def __call__(self, obs: Observations) -> IntArray:
        """The course's action per lane."""
        day = self._sync(obs)
        start = (self.level == 0) & (day == 0)
        self.level[start] = self.lv
        self.start[start] = 0.0
        return self._course_actions(day, self.days, self.every)
