"""Generate Numba source for a model's right-hand side, analytic Jacobian and observables.

The generated functions follow the kernel's hook contract (``sepsistwin.solve._kernel``):
``rhs(t, y, p, dy)``, ``jac(t, y, p, J)``, ``observables(t, y, p, out)`` and the constant
``USES_TIME``. Intermediate expressions stay named local variables; the Jacobian uses the chain
rule through them (d rate/d y = partial + sum over expressions of d rate/d e * d e/d y), so the
generated code grows with the model, not with the fully substituted equations.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from sepsistwin.model.model import Model

#: Bump when the generated code changes shape (invalidates compiled caches).
CODEGEN_VERSION = "2"


class _NumbaPrinter(PythonCodePrinter):
    """Python printer using ``math`` functions and Numba-friendly piecewise helpers."""

    def _print_Heaviside(self, expr: Any) -> str:
        return f"(1.0 if ({self._print(expr.args[0])}) > 0.0 else 0.0)"

    def _print_sign(self, expr: Any) -> str:
        a = self._print(expr.args[0])
        return f"(1.0 if ({a}) > 0.0 else (-1.0 if ({a}) < 0.0 else 0.0))"

    def _print_Min(self, expr: Any) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Max(self, expr: Any) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Abs(self, expr: Any) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_Float(self, expr: Any) -> str:
        return repr(float(expr))


_PRINTER = _NumbaPrinter({"fully_qualified_modules": True, "standard": "python3"})


def pycode(expr: sp.Expr) -> str:
    """Print a sympy expression as Python source for the generated module.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> pycode(sp.exp(x) + x**2)
    'x**2 + math.exp(x)'
    """
    return str(_PRINTER.doprint(expr))


def _unpack(model: Model, indent: str = "    ") -> list[str]:
    lines = [f"{indent}{s} = y[{i}]" for i, s in enumerate(model.state_names)]
    lines += [f"{indent}{q} = p[{i}]" for i, q in enumerate(model.parameter_names)]
    return lines


def _expression_lines(model: Model, needed: set[str], indent: str = "    ") -> list[str]:
    return [
        f"{indent}{name} = {pycode(model.expression_sympy[name])}"
        for name in model.expression_names
        if name in needed
    ]


def _needed_expressions(model: Model, exprs: list[sp.Expr]) -> set[str]:
    """Names of intermediate expressions ``exprs`` depend on, directly or transitively."""
    names = set(model.expression_names)
    todo = {str(s) for e in exprs for s in e.free_symbols} & names
    needed: set[str] = set()
    while todo:
        n = todo.pop()
        if n in needed:
            continue
        needed.add(n)
        todo |= {str(s) for s in model.expression_sympy[n].free_symbols} & names
    return needed


def numba_hooks_source(model: Model) -> str:
    """Return Python source defining ``rhs``, ``jac``, ``observables`` and ``USES_TIME``.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> src = numba_hooks_source(get_model("reynolds2006"))
    >>> "def rhs(t, y, p, dy):" in src
    True
    """
    sym = model.symbols
    rates = [model.rates_sympy[s] for s in model.state_names]
    states = [sym[s] for s in model.state_names]
    expr_syms = [sym[e] for e in model.expression_names]
    # Fused multiply-add contraction only (no 'nnan'/'ninf': the kernel checks finiteness).
    jit = '@nb.njit(cache=True, error_model="numpy", fastmath={"contract"})'
    out: list[str] = [
        f"# Generated from model {model.name!r} (fingerprint {model.fingerprint[:16]}); "
        "do not edit.",
        "import math",
        "",
        "import numba as nb",
        "",
        f"USES_TIME = {bool(model.uses_time)}",
        f"N_STATES = {len(states)}",
        f"N_PARAMETERS = {len(model.parameters)}",
        f"N_OBSERVABLES = {len(model.observables)}",
        "",
        "",
        jit,
        "def rhs(t, y, p, dy):",
        *_unpack(model),
        *_expression_lines(model, _needed_expressions(model, rates)),
    ]
    out += [f"    dy[{i}] = {pycode(r)}" for i, r in enumerate(rates)]

    # Jacobian by the chain rule through named expressions (in dependency order).
    jac_needed = _needed_expressions(model, rates)
    grads: dict[str, list[sp.Expr]] = {}
    dlines: list[str] = []
    for name in model.expression_names:
        if name not in jac_needed:
            continue
        e = model.expression_sympy[name]
        row: list[sp.Expr] = []
        for j, ysym in enumerate(states):
            d = sp.diff(e, ysym)
            for other in expr_syms:
                if other.name in grads and e.has(other):
                    g = grads[other.name][j]
                    if g != 0:
                        d += sp.diff(e, other) * g
            if d == 0:
                row.append(sp.Integer(0))
            else:
                var = sp.Symbol(f"d_{name}__{j}", real=True)
                dlines.append(f"    {var.name} = {pycode(d)}")
                row.append(var)
        grads[name] = row
    jac_entries: list[str] = []
    for i, r in enumerate(rates):
        for j, ysym in enumerate(states):
            d = sp.diff(r, ysym)
            for other in expr_syms:
                if other.name in grads and r.has(other):
                    g = grads[other.name][j]
                    if g != 0:
                        d += sp.diff(r, other) * g
            jac_entries.append(f"    J[{i}, {j}] = {pycode(d) if d != 0 else '0.0'}")
    out += [
        "",
        "",
        jit,
        "def jac(t, y, p, J):",
        *_unpack(model),
        *_expression_lines(model, jac_needed),
        *dlines,
        *jac_entries,
    ]

    obs = [model.observables_sympy[o] for o in model.observable_names]
    out += [
        "",
        "",
        jit,
        "def observables(t, y, p, out):",
        *_unpack(model),
        *_expression_lines(model, _needed_expressions(model, obs)),
    ]
    out += [f"    out[{k}] = {pycode(o)}" for k, o in enumerate(obs)]
    if not obs:
        out.append("    return")
    return "\n".join(out) + "\n"
