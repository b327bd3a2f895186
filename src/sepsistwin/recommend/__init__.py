"""Phenotype-matched immunotherapy recommendations from the assessment and the evidence base.

``recommend(assessment)`` returns a :class:`RecommendationSet`: per patient-day, ranked
``options`` (therapy, dose, schedule, route, rationale, evidence level, trials, effect as
reported, warnings, contraindications found, timing window, status of numbers), the therapies a
safety rule or contraindication excluded, ``no_immunotherapy_reason`` and ``measure_next``, and a
``disclaimer``. Rule thresholds live in ``rules.yaml`` with their sources.

Research decision support, not a prescription.

Examples
--------
>>> import pandas as pd
>>> from sepsistwin.recommend import recommend
>>> a = pd.DataFrame({"patient_id": ["P1"], "day": [0], "phenotype": ["immunoparalysis"],
...                   "immune_state": ["immunosuppressed"], "ferritin": [800.0],
...                   "mhla_dr": [3000.0], "neutrophils": [6.0]})
>>> recommend(a).get("P1", 0).options[0]["therapy"]
'interferon_gamma'
"""

from __future__ import annotations

from sepsistwin.recommend.config import RULES_PATH, RulesError, RuleSet, Threshold, load_rules
from sepsistwin.recommend.engine import (
    RULE_CONDITIONS,
    DayRecommendation,
    RecommendationSet,
    recommend,
)
from sepsistwin.recommend.render import render, render_day

__all__ = [
    "RULES_PATH",
    "RULE_CONDITIONS",
    "DayRecommendation",
    "RecommendationSet",
    "RuleSet",
    "RulesError",
    "Threshold",
    "load_rules",
    "recommend",
    "render",
    "render_day",
]
