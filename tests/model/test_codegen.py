"""Generated right-hand side and Jacobian agree with the symbolic model and finite differences."""

from __future__ import annotations

import mpmath
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


def test_powers_with_parameter_exponents_match_pow_to_rounding() -> None:
    import math

    import numba as nb

    from sepsistwin.model.codegen import POWP_SOURCE

    ns: dict[str, object] = {"nb": nb, "math": math}
    # The helper exactly as generated into every kernel (uncached: it has no file here).
    exec(POWP_SOURCE.replace("cache=True", "cache=False"), ns)
    powp = ns["_powp"]
    pow_c = nb.njit(lambda x, n: x**n)  # what the generated code printed before: C pow
    xs = [0.0, -0.0, 1e-300, 1e-12, 0.37, 1.0, 2.5, 1e6, 1e150, math.inf, -2.0, -math.inf]
    for n in (0.5, 1.5, 2.0, 3.0, 4.0, 1.0, 0.3, 3.16, 9.945729012649242, 0.0, -1.0):
        for x in xs:
            want = pow_c(x, n)
            got = powp(x, n)  # type: ignore[operator]
            if math.isnan(want):
                assert math.isnan(got), (x, n)
            elif math.isinf(want) or want == 0.0:
                assert got == want, (x, n, got)
            else:
                assert abs(got - want) <= 1e-13 * abs(want), (x, n, got, want)


def test_non_integer_hill_powers_are_batched_and_rhs_matches_sympy() -> None:
    from sepsistwin.model.codegen import numba_hooks_source

    m = get_model("sepsistwin")
    src = numba_hooks_source(m)
    rhs_src = src[src.index("def rhs(") : src.index("def rhs_lanes(")]
    batch = [ln for ln in rhs_src.splitlines() if "= pow4(" in ln]
    assert len(batch) == 1
    exponents = batch[0].rstrip(")").split(", ")[-4:]
    assert sorted(exponents) == sorted(["hMTNF", "hM10", "h106", "death_gamma"])
    assert all(m.default_parameters[e] not in (1.0, 2.0, 3.0, 4.0) for e in exponents)

    mod = load_compiled(m)
    syms = m.symbols
    rates = [m.substitute_expressions(m.rates_sympy[s]) for s in m.state_names]
    # The symbolic rates evaluated in 30-digit arithmetic (mpmath), as evalf would, but
    # compiled once by lambdify instead of substituted into the expression tree per point.
    args = [syms[s] for s in m.state_names] + [syms[q] for q in m.parameter_names]
    reference = sp.lambdify(args, rates, modules="mpmath")
    y0 = np.array([m.initial_state[s] for s in m.state_names])
    rng = np.random.default_rng(11)
    defaults = np.array([m.default_parameters[q] for q in m.parameter_names])
    cases = [(y0 * rng.uniform(0.5, 2.0, y0.size) + rng.uniform(0.0, 0.2, y0.size), defaults)]
    # A batched exponent set to 2 at run time, and a zero base (both leave the vector path).
    p2 = defaults.copy()
    p2[m.parameter_names.index("hMTNF")] = 2.0
    y_zero_il6 = cases[0][0].copy()
    y_zero_il6[m.state_names.index("IL6")] = 0.0
    cases += [(cases[0][0], p2), (y_zero_il6, defaults)]
    for y, p in cases:
        dy = np.empty(y.size)
        mod.rhs(0.0, y, _derived(mod, p), dy)
        with mpmath.workdps(30):
            expected = np.array([float(r) for r in reference(*map(mpmath.mpf, (*y, *p)))])
        np.testing.assert_allclose(dy, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
