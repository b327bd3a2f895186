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
- :class:`PhenotypeRules`: any course per phenotype (PROVIDE's are one choice; the baselines
  script also selects the best fixed course per phenotype on training patients).
- :class:`FixedCourse`: one :class:`Course` for every patient (a reference arm).

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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sepsistwin.control.gym.actions import ActionCatalogue
from sepsistwin.control.gym.observe import ObservationLayout

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
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


@dataclass(frozen=True)
class Course:
    """A dose level given from its start every ``every_days`` days for ``days`` days."""

    level: int
    days: float
    every_days: float = 1.0


def course_name(catalogue: ActionCatalogue, course: Course) -> str:
    """E.g. ``anakinra 200 mg iv every 8 h, daily for 7 d``, ``nivolumab 480 mg iv, once``.

    Examples
    --------
    >>> cat = ActionCatalogue()
    >>> course_name(cat, Course(cat.level_index("interferon_gamma"), 15.0, 2.0))
    'interferon_gamma 100 ug sc, every 2 d for 15 d'
    """
    lv = catalogue.levels[course.level]
    within = f" every {lv.every_hours:g} h" if lv.every_hours else ""
    if course.days <= course.every_days:
        when = "once"
    elif course.every_days == 1:
        when = f"daily for {course.days:g} d"
    else:
        when = f"every {course.every_days:g} d for {course.days:g} d"
    return f"{lv.therapy} {lv.dose} {lv.route}{within}, {when}"


class _Courses:
    """Per-lane course bookkeeping shared by the rule-based policies."""

    def __init__(self, catalogue: ActionCatalogue, layout: ObservationLayout) -> None:
        if catalogue.mode != "discrete":
            raise ValueError("the baseline policies act in the discrete action mode")
        self.catalogue = catalogue
        self.layout = layout
        self.level = np.zeros(0, dtype=np.int64)  # discrete action of the course, 0 = none
        self.start = np.zeros(0)
        self.days = np.zeros(0)
        self.every = np.ones(0)
        self.decided = np.zeros(0, dtype=bool)

    def _sync(self, obs: Observations) -> NDArray[np.float64]:
        n = obs.shape[0]
        if self.level.size != n:
            self.level = np.zeros(n, dtype=np.int64)
            self.start = np.zeros(n)
            self.days = np.zeros(n)
            self.every = np.ones(n)
            self.decided = np.zeros(n, dtype=bool)
        day = obs[:, self.layout.day].astype(float)
        new = day == 0
        self.level[new] = 0
        self.decided[new] = False
        return day

    def _begin(self, lanes: NDArray[np.bool_], course: Course | None, day: FloatArray) -> None:
        self.decided |= lanes
        if course is None:
            return
        self.level[lanes] = course.level + 1
        self.start[lanes] = day[lanes]
        self.days[lanes] = course.days
        self.every[lanes] = course.every_days

    def _value(self, obs: Observations, name: str) -> tuple[FloatArray, NDArray[np.bool_]]:
        return (
            obs[:, self.layout.index(name)].astype(float),
            obs[:, self.layout.index(f"measured_{name}")] > 0.5,
        )

    def _course_actions(self, day: FloatArray) -> IntArray:
        since = day - self.start
        give = (self.level > 0) & (since < self.days - 1e-9)
        give &= np.isclose(np.mod(since, self.every), 0.0)
        return np.where(give, self.level, 0).astype(np.int64)


class PhenotypeRules(_Courses):
    """A course per phenotype, classified on the measured values by the PROVIDE rules.

    The phenotype is MALS when ferritin is above the rule's threshold, immunoparalysis when
    ferritin is at or below it and mHLA-DR below its threshold, intermediate otherwise; it is
    decided on the first day the values needed are measured, within the rules' start window
    (72 h after Sepsis-3), and the phenotype's course (``None``: nothing) starts that day. With
    ``wait=False`` the decision is made at enrolment on what is measured then, and a patient
    whose values are missing is ``unclassified`` (a group with its own course). The neutropenia
    contraindication of the rules withholds anakinra and interferon-gamma on a day with
    neutrophils below its minimum. Thresholds from ``recommend/rules.yaml``. ``labels`` holds
    each lane's group (empty while undecided).
    """

    def __init__(
        self,
        catalogue: ActionCatalogue,
        layout: ObservationLayout,
        courses: Mapping[str, Course | None],
        name: str = "phenotype rules",
        wait: bool = True,
    ) -> None:
        super().__init__(catalogue, layout)
        self.wait = wait
        self.labels = np.zeros(0, dtype=object)
        from sepsistwin.recommend import load_rules

        rules = load_rules()
        self.ferritin = rules.threshold("mals_ferritin").value
        self.mhla_dr = rules.threshold("immunoparalysis_mhla_dr").value
        self.neutrophils_min = rules.threshold("neutrophils_min").value
        self.window_days = rules.threshold("sepsis3_start_window_h").value / 24.0
        neutropenia = next(c for c in rules.contraindications if c.id == "neutropenia")
        self.withheld = {
            i + 1 for i, lv in enumerate(catalogue.levels) if lv.therapy in neutropenia.applies_to
        }
        self.courses = dict(courses)
        self.name = name

    def __call__(self, obs: Observations) -> IntArray:
        """The day's action per lane."""
        day = self._sync(obs)
        if self.labels.size != day.size:
            self.labels = np.full(day.size, "", dtype=object)
        self.labels[day == 0] = ""
        fer, has_fer = self._value(obs, "ferritin")
        hla, has_hla = self._value(obs, "mhla_dr")
        open_ = ~self.decided & (day <= self.window_days)
        low_fer = open_ & has_fer & (fer <= self.ferritin) & has_hla
        groups = {
            "MALS": open_ & has_fer & (fer > self.ferritin),
            "immunoparalysis": low_fer & (hla < self.mhla_dr),
            "intermediate": low_fer & (hla >= self.mhla_dr),
        }
        if not self.wait:
            known = groups["MALS"] | groups["immunoparalysis"] | groups["intermediate"]
            groups["unclassified"] = open_ & ~known
        for phenotype, lanes in groups.items():
            self._begin(lanes, self.courses.get(phenotype), day)
            self.labels[lanes] = phenotype
        act = self._course_actions(day)
        neut, has_neut = self._value(obs, "neutrophils")
        neutropenic = has_neut & (neut < self.neutrophils_min)
        act[neutropenic & np.isin(act, list(self.withheld))] = 0
        return act


def provide_courses(catalogue: ActionCatalogue) -> dict[str, Course | None]:
    """PROVIDE's courses: anakinra for MALS, interferon-gamma for immunoparalysis.

    Dose, interval and duration are the evidence base's PROVIDE regimens.
    """
    from sepsistwin.evidence import load_evidence

    ev = load_evidence()

    def course(therapy: str, regimen: str) -> Course:
        reg = next(r for r in ev.therapy(therapy).regimens if r.id == regimen)
        if reg.duration is None:
            raise ValueError(f"{therapy} regimen {regimen}: the evidence base gives no duration")
        unit_days = {"d": 1.0, "h": 1 / 24.0, "weeks": 7.0}
        days = float(reg.duration.value) * unit_days[reg.duration.unit]
        interval = float(reg.interval_h.value) if reg.interval_h is not None else 24.0
        return Course(catalogue.level_index(therapy, regimen), days, max(1.0, interval / 24.0))

    return {
        "MALS": course("anakinra", "provide_iv"),
        "immunoparalysis": course("interferon_gamma", "provide_sc"),
        "intermediate": None,
    }


class ProvideRules(PhenotypeRules):
    """PROVIDE / ImmunoSep phenotype-guided immunotherapy (see the module docstring)."""

    def __init__(self, catalogue: ActionCatalogue, layout: ObservationLayout) -> None:
        super().__init__(catalogue, layout, provide_courses(catalogue), "PROVIDE rules")


class FixedCourse(_Courses):
    """One course for every patient from enrolment."""

    def __init__(self, catalogue: ActionCatalogue, layout: ObservationLayout, course: Course):
        super().__init__(catalogue, layout)
        self.course = course
        self.name = course_name(catalogue, course)

    def __call__(self, obs: Observations) -> IntArray:
        """The course's action per lane."""
        day = self._sync(obs)
        self._begin((self.level == 0) & (day == 0) & ~self.decided, self.course, day)
        return self._course_actions(day)
