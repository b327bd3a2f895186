"""Reynolds 2006 preset: the published equations, parameters, scenarios and thresholds.

Targets come from Reynolds 2006 (PMID 16584750; parameters VERIFIED in BioModels
BIOMD0000000714 and three other sources; end states and thresholds SIM with scipy LSODA).
"""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.model import get_model
from sepsistwin.model.presets.reynolds2006 import SCENARIOS
from sepsistwin.solve import simulate, simulate_batch

# BioModels BIOMD0000000714 (VERIFIED values).
NOTES_PARAMETERS = dict(
    k_pg=0.3,
    P_inf=20.0,
    k_pm=0.6,
    s_m=0.005,
    mu_m=0.002,
    k_mp=0.01,
    k_pn=1.8,
    k_np=0.1,
    k_nn=0.01,
    k_nd=0.02,
    s_nr=0.08,
    mu_nr=0.12,
    mu_n=0.05,
    k_dn=0.35,
    x_dn=0.06,
    mu_d=0.02,
    c_inf=0.28,
    s_c=0.0125,
    k_cn=0.04,
    k_cnd=48.0,
    mu_c=0.1,
)


def test_preset_has_exactly_the_published_parameters_and_initial_state() -> None:
    m = get_model("reynolds2006")
    assert m.default_parameters == NOTES_PARAMETERS
    assert m.initial_state == {"P": 1.0, "N": 0.0, "D": 0.0, "CA": 0.125}
    assert m.state_names == ("P", "N", "D", "CA")


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("healthy", {"P": 0.0, "N": 0.0, "D": 0.0, "CA": 0.125}),
        ("aseptic_death", {"P": 0.0, "N": 0.635, "D": 17.40, "CA": 0.523}),
        ("septic_death", {"P": 4.94, "N": 0.981, "D": 17.49, "CA": 0.523}),
    ],
)
def test_biomodels_scenarios_reach_published_end_states_at_500_h(
    scenario: str, expected: dict
) -> None:
    sc = SCENARIOS[scenario]
    # The healthy state relaxes slowly (CA decays at mu_c); judge it at 2000 h, the others at 500.
    t_end = 2000.0 if scenario == "healthy" else 500.0
    r = simulate("reynolds2006", sc["params"], sc["init"], [0.0, t_end])
    for state, value in expected.items():
        assert r.states[state][-1] == pytest.approx(value, abs=0.006), state


def _threshold(k_pg: float, lo: float, hi: float) -> float:
    """P(0) separating recovery from death, by batched grid bisection (41 points, 3 rounds)."""
    t = [0.0, 3000.0]
    for _ in range(3):
        grid = np.linspace(lo, hi, 41)
        r = simulate_batch("reynolds2006", {"k_pg": k_pg}, {"P": grid}, t)
        dead = r.states["D"][:, -1] > 1.0
        assert not dead[0] and dead[-1], "bracket must straddle the threshold"
        first = int(np.argmax(dead))
        lo, hi = grid[first - 1], grid[first]
    return 0.5 * (lo + hi)


def test_p0_thresholds_match_bisection_values() -> None:
    assert _threshold(0.3, 0.5, 2.0) == pytest.approx(1.036, abs=0.005)
    assert _threshold(0.6, 0.1, 1.0) == pytest.approx(0.361, abs=0.005)
