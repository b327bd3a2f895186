"""Generated right-hand side and Jacobian agree with the symbolic model and finite differences."""

from __future__ import annotations

import numpy as np
import sympy as sp

from sepsistwin.model import get_model
from sepsistwin.solve.compile import load_compiled


def _derived(mod, p: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Parameters plus the parameter-only values the generated functions read (``derive``)."""
    q = np.empty(mod.N_PARAMETERS + mod.N_DERIVED)
    mod.derive(p, q)
    return q


def test_generated_rhs_equals_sympy_evaluation_at_random_points() -> None:
    m = get_model("reynolds2006")
    mod = load_compiled(m)
    rng = np.random.default_rng(3)
    syms = m.symbols
    rates = [m.substitute_expressions(m.rates_sympy[s]) for s in m.state_names]
    p = _derived(mod, np.array([m.default_parameters[q] for q in m.parameter_names]))
    for _ in range(5):
        y = rng.uniform(0.01, 3.0, 4)
        dy = np.empty(4)
        mod.rhs(0.0, y, p, dy)
        subs = {syms[s]: v for s, v in zip(m.state_names, y, strict=True)}
        subs |= {syms[q]: v for q, v in zip(m.parameter_names, p[: mod.N_PARAMETERS], strict=True)}
        expected = [float(r.evalf(subs=subs)) for r in rates]
        np.testing.assert_allclose(dy, expected, rtol=1e-12)


def test_analytic_jacobian_matches_central_differences() -> None:
    m = get_model("reynolds2006")
    mod = load_compiled(m)
    p = _derived(mod, np.array([m.default_parameters[q] for q in m.parameter_names]))
    rng = np.random.default_rng(5)
    for _ in range(5):
        y = rng.uniform(0.05, 2.0, 4)
        J = np.empty((4, 4))
        mod.jac(0.0, y, p, J)
        fd = np.empty((4, 4))
        for j in range(4):
            h = 1e-6 * max(1.0, abs(y[j]))
            yp, ym = y.copy(), y.copy()
            yp[j] += h
            ym[j] -= h
            fp, fm = np.empty(4), np.empty(4)
            mod.rhs(0.0, yp, p, fp)
            mod.rhs(0.0, ym, p, fm)
            fd[:, j] = (fp - fm) / (2 * h)
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-9)


def test_observable_pathogen_load_is_p_times_1e6() -> None:
    m = get_model("reynolds2006")
    assert m.observables_sympy["pathogen_load"] == sp.Float(1e6) * m.symbols["P"]
