"""Calibration targets with tolerances and sources (published trial results are NOT targets).

Examples
--------
>>> TARGETS["mortality_overall"].value
0.41
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One calibration target: the value, the accepted absolute tolerance and its source.

    ``kind`` is ``"within"`` (``|model - value| <= tolerance``), or ``"above"`` / ``"below"``
    for a direction (the model value must exceed / stay under ``value``).
    """

    name: str
    value: float
    tolerance: float
    unit: str
    source: str
    description: str
    kind: str = "within"

    def within(self, model_value: float) -> bool:
        """Whether ``model_value`` meets the target."""
        if self.kind == "above":
            return model_value > self.value
        if self.kind == "below":
            return model_value < self.value
        return abs(model_value - self.value) <= self.tolerance

    @property
    def criterion(self) -> str:
        """The acceptance rule as text, e.g. ``'± 0.05'`` or ``'> 1'``."""
        if self.kind == "above":
            return f"> {self.value:g}"
        if self.kind == "below":
            return f"< {self.value:g}"
        return f"± {self.tolerance:g}"


PROVIDE = "PROVIDE, Leventogiannis 2022 Cell Rep Med doi 10.1016/j.xcrm.2022.100817 (VERIFIED)"
DREWRY = "Drewry 2014 Shock doi 10.1097/SHK.0000000000000234 (VERIFIED; medians)"
MONNERET = "Monneret 2006 doi 10.1007/s00134-006-0204-8 (VERIFIED direction)"
JANUM = (
    "Janum study, 20 subjects, 2 ng/kg bolus (BolusDataCorrectedSD.mat in "
    "KristenWindoloski/InflammationModel_BolusContinuous, VERIFIED)"
)
DAVIAUD = (
    "Daviaud 2015 Ann Intensive Care 5:16 doi 10.1186/s13613-015-0058-8 (VERIFIED: n = 543 "
    "septic shock, ICU mortality 37.2%, hospital 45%; 32% of deaths within 3 days)"
)
MONARCS = (
    "MONARCS, Panacek 2004 Crit Care Med 32:2173 PMID 15640628 (VERIFIED: 998 of 2,634 "
    "screened septic patients IL-6 test-positive, > 1,000 pg/mL)"
)
LEENTJENS = (
    "Leentjens 2012 Am J Respir Crit Care Med 186:838 doi 10.1164/rccm.201204-0645OC "
    "(VERIFIED abstract: placebo subjects' second-challenge TNF about 40% of the first)"
)
ICU_ACQUIRED = (
    "10-25%: 23% (174/753) of ICU patients with shock, Adrie 2017 Ann Intensive Care "
    "doi 10.1186/s13613-017-0242-0 (VERIFIED); 24% (37/153) after septic shock, "
    "Landelle 2010 doi 10.1007/s00134-010-1962-x (VERIFIED); 13.5% of sepsis ICU "
    "admissions (232/1719), van Vught 2016 JAMA doi 10.1001/jama.2016.2691 (VERIFIED)"
)

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("fraction_MALS", 0.200, 0.05, "1", PROVIDE, "MALS at screening (ferritin > 4,420)"),
        Target(
            "fraction_immunoparalysis",
            0.429,
            0.06,
            "1",
            PROVIDE,
            "immunoparalysis at screening (mHLA-DR < 5,000, ferritin <= 4,420)",
        ),
        Target("fraction_intermediate", 0.371, 0.06, "1", PROVIDE, "intermediate at screening"),
        Target(
            "mortality_ratio_MALS",
            round(0.791 / 0.416, 3),
            0.4,
            "ratio",
            f"{PROVIDE}: 79.1% / 41.6% (DERIVED)",
            "28-day mortality of MALS relative to intermediate",
        ),
        Target(
            "mortality_ratio_immunoparalysis",
            round(0.669 / 0.416, 3),
            0.35,
            "ratio",
            f"{PROVIDE}: 66.9% / 41.6% (DERIVED)",
            "28-day mortality of immunoparalysis relative to intermediate",
        ),
        Target(
            "mortality_overall",
            0.41,
            0.05,
            "1",
            DAVIAUD,
            "28-day mortality of the septic-shock cohort",
        ),
        Target(
            "early_death_share",
            0.32,
            0.08,
            "1",
            DAVIAUD,
            "share of 28-day deaths within 3 days of screening",
        ),
        Target(
            "il6_over_1000",
            0.38,
            0.08,
            "1",
            MONARCS,
            "IL-6 > 1,000 pg/mL at screening",
        ),
        Target(
            "alc_screening",
            0.7,
            0.15,
            "1e9/L",
            DREWRY,
            "ALC at screening (septic shock)",
        ),
        Target("alc_day4_survivors", 1.1, 0.25, "1e9/L", DREWRY, "day-4 ALC, survivors"),
        Target("alc_day4_nonsurvivors", 0.7, 0.25, "1e9/L", DREWRY, "day-4 ALC, non-survivors"),
        Target(
            "hla_recovery_survivors",
            1.0,
            0.0,
            "ratio",
            MONNERET,
            "mHLA-DR day 4 / screening in survivors: must exceed 1 (recovery)",
            "above",
        ),
        Target(
            "hla_recovery_nonsurvivors",
            1.0,
            0.0,
            "ratio",
            MONNERET,
            "mHLA-DR day 4 / screening in non-survivors: must stay below 1 (no recovery)",
            "below",
        ),
        Target("tnf_peak", 331.0, 80.0, "pg/mL", JANUM, "TNF peak after 2 ng/kg endotoxin"),
        Target("tnf_peak_time", 1.5, 0.5, "h", JANUM, "time of the TNF peak"),
        Target("il6_peak", 702.0, 150.0, "pg/mL", JANUM, "IL-6 peak after 2 ng/kg endotoxin"),
        Target("il6_peak_time", 2.0, 0.5, "h", JANUM, "time of the IL-6 peak"),
        Target("il10_peak", 43.6, 10.0, "pg/mL", JANUM, "IL-10 peak after 2 ng/kg endotoxin"),
        Target("il10_peak_time", 3.0, 0.75, "h", JANUM, "time of the IL-10 peak"),
        Target(
            "tolerance_tnf_ratio",
            0.4,
            0.1,
            "ratio",
            LEENTJENS,
            "TNF peak of a second 2 ng/kg endotoxin challenge a week later / the first",
        ),
        Target(
            "il7_alc_fold",
            3.5,
            0.75,
            "fold",
            "IRIS-7, Francois 2018 doi 10.1172/jci.insight.98960 (VERIFIED 3-4 fold)",
            "ALC fold rise with IL-7 10 ug/kg IM twice weekly x 4 weeks (lymphopenic patients)",
        ),
        Target(
            "secondary_infection_overall",
            0.175,
            0.075,
            "1",
            ICU_ACQUIRED,
            "ICU-acquired infection (>= 1e5 CFU/mL) from screening to day 28, screened cohort",
        ),
        Target(
            "secondary_infection_ratio_immunoparalysis",
            1.0,
            0.0,
            "ratio",
            "Landelle 2010 Intensive Care Med doi 10.1007/s00134-010-1962-x (VERIFIED: low "
            "mHLA-DR independently predicts ICU-acquired infection, aHR 2.5)",
            "ICU-acquired infection in immunoparalysis relative to intermediate: must exceed 1",
            "above",
        ),
        Target(
            "nivolumab_half_life",
            15.0,
            5.0,
            "d",
            "Hotchkiss 2019 doi 10.1007/s00134-019-05704-z: 14.7 +/- 5.3 d (VERIFIED)",
            "terminal half-life",
        ),
        Target(
            "nivolumab_ro_day28",
            0.95,
            0.05,
            "1",
            "Hotchkiss 2019: RO > 90% for >= 28 d (VERIFIED)",
            "PD-1 receptor occupancy 28 d after 480 mg",
        ),
    )
}
