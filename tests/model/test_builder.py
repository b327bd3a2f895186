"""ModelBuilder: declarations validated at build time, composable modules, immutable models."""

from __future__ import annotations

import dataclasses

import pytest

from sepsistwin.model import ModelBuilder, get_model, list_models


def _base() -> ModelBuilder:
    return ModelBuilder("t").add_state("x", "1", 1.0).add_parameter("k", 0.5, "1/h", "test")


def test_terms_for_one_state_are_summed_in_its_rate() -> None:
    m = _base().add_term("x", "-k*x").add_term("x", "2").build()
    assert str(m.rates_sympy["x"]) == "-k*x + 2"


def test_module_can_add_terms_to_states_of_another_module() -> None:
    def t_cells(b: ModelBuilder) -> None:
        b.add_state("T", "cells/uL", 1.0).add_parameter("k_kill", 0.2, "1/h", "test")
        b.add_term("x", "-k_kill*T*x", "x_killed_by_T")

    m = _base().add_term("x", "-k*x").include(t_cells).build()
    assert m.state_names == ("x", "T")
    assert "T*k_kill*x" in str(m.rates_sympy["x"])
    assert m.modules == ("t_cells",)


def test_scale_term_multiplies_an_existing_term_by_a_drug_effect() -> None:
    m = (
        _base()
        .add_parameter("E", 0.5, "1", "test")
        .add_term("x", "-k*x", "elim")
        .scale_term("elim", "1 + E")
        .build()
    )
    assert str(m.rates_sympy["x"].factor()) == "-k*x*(E + 1)"


def test_to_builder_extends_a_preset_without_changing_it() -> None:
    core = get_model("reynolds2006")
    ext = core.to_builder("ext").add_state("T", "1", 1.0).add_term("P", "-0.1*T*P").build()
    assert ext.state_names == ("P", "N", "D", "CA", "T")
    assert core.state_names == ("P", "N", "D", "CA")
    assert ext.fingerprint != core.fingerprint


def test_model_is_immutable() -> None:
    m = _base().build()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "other"  # type: ignore[misc]


def test_expressions_are_ordered_by_dependency() -> None:
    m = _base().add_expression("b", "a*2").add_expression("a", "k*x").add_term("x", "-b").build()
    assert m.expression_names == ("a", "b")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda b: b.add_term("x", "-q*x"), r"unknown name\(s\) \['q'\]"),
        (lambda b: b.add_term("y", "-x"), "unknown state 'y'"),
        (lambda b: b.add_term("x", "-k*"), "cannot parse"),
        (lambda b: b.add_term("x", "sin(x)"), "unsupported function"),
        (
            lambda b: b.add_expression("a", "b").add_expression("b", "a").add_term("x", "a"),
            "depends on itself",
        ),
    ],
)
def test_bad_equations_fail_at_build_naming_the_declaration(edit, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        edit(_base()).build()


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda b: b.add_state("x", "1", 0.0), "a state of that name exists"),
        (lambda b: b.add_parameter("x", 1.0, "1", "s"), "a state of that name exists"),
        (lambda b: b.add_state("t", "1", 0.0), "reserved"),
        (lambda b: b.add_state("2x", "1", 0.0), "not a valid identifier"),
        (lambda b: b.add_state("z", "1", -1.0), "initial must be >= 0"),
        (lambda b: b.add_parameter("q", float("inf"), "1", "s"), "must be finite"),
        (lambda b: b.add_parameter("q", 5.0, "1", "s", upper=1.0), "above upper bound"),
        (lambda b: b.scale_term("nope", "2"), "unknown term 'nope'"),
    ],
)
def test_bad_declarations_are_rejected_immediately(edit, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        edit(_base())


def test_get_model_lists_presets_for_unknown_names() -> None:
    assert "reynolds2006" in list_models()
    with pytest.raises(ValueError, match="available models"):
        get_model("nope")


def test_parameter_and_state_tables_carry_units_and_sources() -> None:
    m = get_model("reynolds2006")
    rows = {r["name"]: r for r in m.parameter_table()}
    assert rows["k_pg"]["unit"] == "1/h" and "16584750" in rows["k_pg"]["source"]
    assert all(r["source"] for r in rows.values())
    st = {r["name"]: r for r in m.state_table()}
    assert "k_pg*P*(1 - P/P_inf)" in st["P"]["rate"]
