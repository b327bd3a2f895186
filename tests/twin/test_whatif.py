"""What-if regimens from the evidence base, and the recommendation annotated with them."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from sepsistwin.recommend import load_rules
from sepsistwin.twin import regimen_spec
from sepsistwin.twin.patient import check_dose_spec
from sepsistwin.twin.twin import annotate_options
from sepsistwin.twin.whatif import HARM_MARGIN, WhatIf


@pytest.mark.parametrize("rule", load_rules().rules, ids=lambda r: r.therapy)
def test_every_recommended_regimen_is_a_dose_the_model_can_give(rule: object) -> None:
    spec = regimen_spec(rule.therapy, rule.regimen, 48.0)  # type: ignore[attr-defined]
    check_dose_spec(spec)
    assert spec.startswith(f"{rule.therapy}:") and "@48" in spec  # type: ignore[attr-defined]


def _whatif(delta: list[float], therapy: str = "anakinra") -> WhatIf:
    d = np.asarray(delta)
    return WhatIf(
        therapy,
        f"{therapy}:200mg@48",
        "label",
        d,
        np.zeros_like(d),
        np.zeros(d.size, dtype=bool),
        np.zeros(d.size, dtype=bool),
        np.full(d.size, 0.4),
        "recommend",
    )


def test_benefit_and_harm_probabilities_count_draws() -> None:
    w = _whatif([-0.10, -0.01, 0.0, 0.01, HARM_MARGIN + 0.001])
    assert w.p_benefit == pytest.approx(0.4)
    assert w.p_harm == pytest.approx(0.2)


def test_recommendation_gains_the_twin_numbers() -> None:
    class Day:
        options: ClassVar[list[dict[str, Any]]] = [
            {
                "therapy": "anakinra",
                "rank": 1,
                "name": "Anakinra",
                "regimen": {"label": "P"},
                "evidence_level": "1b",
            },
            {
                "therapy": "anti_tnf",
                "rank": 2,
                "name": "anti-TNF",
                "regimen": {"label": "M"},
                "evidence_level": "1b",
            },
        ]

    out = annotate_options(Day(), [_whatif([-0.05, -0.02])])
    assert out[0]["twin"]["p_benefit"] == 1.0
    assert out[1]["twin"] is None
