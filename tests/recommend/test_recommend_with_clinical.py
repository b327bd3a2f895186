"""End to end with the real assessment: the phenotype threshold decides the option."""

from __future__ import annotations

import pandas as pd
import pytest

from sepsistwin.clinical import assess
from sepsistwin.recommend import recommend


def _obs(ferritin: float, mhla_dr: float) -> pd.DataFrame:
    rows = [
        ("P1", 6.0, "ferritin", ferritin),
        ("P1", 6.0, "mhla_dr", mhla_dr),
        ("P1", 6.0, "neutrophils", 7.0),
        ("P1", 6.0, "il6", 300.0),
        ("P1", 6.0, "lymphocytes", 1.6),
    ]
    return pd.DataFrame(rows, columns=["patient_id", "hours", "variable", "value"])


@pytest.mark.parametrize(("ferritin", "expected"), [(4420.0, []), (4421.0, ["anakinra"])])
def test_ferritin_at_4420_versus_4421_decides_anakinra(
    ferritin: float, expected: list[str]
) -> None:
    rec = recommend(assess(_obs(ferritin, mhla_dr=9000.0))).get("P1", 0)
    assert [o["therapy"] for o in rec.options] == expected


@pytest.mark.parametrize(("mhla_dr", "expected"), [(4999.0, ["interferon_gamma"]), (5000.0, [])])
def test_mhla_dr_at_5000_decides_interferon_gamma(mhla_dr: float, expected: list[str]) -> None:
    rec = recommend(assess(_obs(1000.0, mhla_dr=mhla_dr))).get("P1", 0)
    assert [o["therapy"] for o in rec.options] == expected
