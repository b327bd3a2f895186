"""Small models built by the tests themselves (the solver knows no biology)."""

from __future__ import annotations

import pytest

from sepsistwin.model import Model, ModelBuilder


@pytest.fixture(scope="session")
def two_decay() -> Model:
    """Two independent first-order eliminations: A' = -k_a*A, B' = -k_b*B (analytic solutions)."""
    return (
        ModelBuilder("test_two_decay", "two independent decays")
        .add_state("A", "mg/L", 1.0)
        .add_state("B", "mg/L", 0.0)
        .add_parameter("k_a", 0.1, "1/h", "test value")
        .add_parameter("k_b", 0.5, "1/h", "test value")
        .add_term("A", "-k_a*A", "A_elim")
        .add_term("B", "-k_b*B", "B_elim")
        .add_observable("total", "A + B", "mg/L")
        .build()
    )


@pytest.fixture(scope="session")
def robertson() -> Model:
    """Robertson's chemical kinetics: the classic stiff test problem (Hairer & Wanner II)."""
    return (
        ModelBuilder("test_robertson", "Robertson stiff kinetics")
        .add_state("y1", "1", 1.0)
        .add_state("y2", "1", 0.0)
        .add_state("y3", "1", 0.0)
        .add_parameter("k1", 0.04, "1", "Robertson 1966")
        .add_parameter("k2", 3e7, "1", "Robertson 1966")
        .add_parameter("k3", 1e4, "1", "Robertson 1966")
        .add_expression("r1", "k1*y1")
        .add_expression("r2", "k2*y2**2")
        .add_expression("r3", "k3*y2*y3")
        .add_term("y1", "-r1 + r3")
        .add_term("y2", "r1 - r2 - r3")
        .add_term("y3", "r2")
        .build()
    )
