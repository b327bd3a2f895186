"""Closed linear subsystems of a model definition (``sepsistwin.model.structure``)."""

from __future__ import annotations

from sepsistwin.model import ModelBuilder, get_model, linear_blocks, linear_states


def _toy() -> ModelBuilder:
    b = ModelBuilder("toy")
    for name in ("k", "k2", "k3", "a", "V"):
        b.add_parameter(name, 1.0, "1/h", "test")
    for s in ("x", "y1", "z", "w", "v", "r"):
        b.add_state(s, "1", 0.0)
    b.add_expression("x_conc", "x/V")
    b.add_term("x", "-k*V*x_conc")  # linear through an intermediate expression
    b.add_term("y1", "k*x - k2*y1")  # fed by x: same block
    b.add_term("z", "-a*z**2")  # nonlinear
    b.add_term("w", "k3*y1 - w*x")  # product of states: nonlinear
    b.add_term("v", "-v + a")  # constant input: not a closed system
    b.add_term("r", "-k3*r + a*z")  # linear, but reads a nonlinear state
    return b


def test_linear_blocks_of_a_toy_model() -> None:
    m = _toy().build()
    assert linear_blocks(m) == [["x", "y1"]]
    assert linear_states(m) == ("x", "y1")


def test_reynolds_has_no_closed_linear_states() -> None:
    assert linear_blocks(get_model("reynolds2006")) == []


def test_sepsistwin_linear_states_are_drug_compartments_and_endotoxin() -> None:
    m = get_model("sepsistwin")
    blocks = linear_blocks(m)
    assert ["meropenem_c", "meropenem_p"] in blocks
    assert ["interferon_gamma_depot", "interferon_gamma_c"] in blocks
    states = set(linear_states(m))
    assert "LPS" in states
    # Target-mediated (Michaelis-Menten) elimination is nonlinear: tocilizumab is integrated.
    assert "tocilizumab_c" not in states
    # Nothing of the host or the pathogens.
    for s in ("P", "N", "D", "CA", "TNF", "IL10", "HLA", "T", "HZ", "P2", "GUT"):
        assert s not in states
    assert all(len(b) <= 2 for b in blocks)
