"""The one bisection every calibration stage uses (``population.calibrate._bisect``)."""

from __future__ import annotations

import math

import pytest

from sepsistwin.population.calibrate import _bisect


def test_bisection_halves_the_bracket_toward_the_target_of_an_increasing_function() -> None:
    x = _bisect(lambda v: v**3, 0.0, 4.0, 8.0, steps=40)
    assert x == pytest.approx(2.0, abs=4.0 / 2**40)


def test_bisection_returns_the_bound_when_the_target_lies_outside_the_bracket() -> None:
    assert _bisect(math.exp, 0.0, 1.0, 0.5, steps=10) == 0.0
    assert _bisect(math.exp, 0.0, 1.0, 5.0, steps=10) == 1.0


def test_bisection_costs_two_bound_evaluations_plus_one_per_step() -> None:
    calls: list[float] = []

    def f(v: float) -> float:
        calls.append(v)
        return v

    _bisect(f, 0.0, 1.0, 0.3, steps=6)
    assert len(calls) == 8
