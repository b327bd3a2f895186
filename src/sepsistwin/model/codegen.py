"""Generate Numba source for a model's right-hand side, analytic Jacobian and observables.

The generated functions follow the kernel's hook contract (``sepsistwin.solve._kernel``):
``derive(p, q)``, ``rhs(t, y, q, dy)``, ``rhs_lanes(t, y, q, dy)`` (the same right-hand side for
``LANES`` patients side by side: ``t`` is a vector, ``y``, ``q`` and ``dy`` are flat with
element ``i`` of lane ``l`` at ``i * LANES + l``), ``jac(t, y, q, J)``,
``observables_series(t_eval, states, q, gi, obs)`` (the observables of patient ``gi`` at
every save time) and the constants ``USES_TIME``, ``N_STATES``, ``N_PARAMETERS``,
``N_DERIVED``, ``LANES``. Intermediate
expressions stay named local variables; the Jacobian uses the chain rule through them (d rate/d y
= partial + sum over expressions of d rate/d e * d e/d y), so the generated code grows with the
model, not with the fully substituted equations.

**Work that depends on parameters only is done once per patient, not once per call.**
``derive(p, q)`` copies the parameters into ``q`` and appends (1) every intermediate expression
whose inputs are all parameters and (2) every other parameter-only subexpression that contains a
power or a function call (``EC50**hill``, ``exp(log_h)``, ``1/(a + b)``). ``rhs``, ``jac`` and
``observables_series`` read those values from ``q``. A non-integer power costs ~24 ns; the full
``sepsistwin`` model has ~10 of them on parameters alone in every right-hand side. The values
are the same expressions evaluated earlier, so results do not change.

Powers of states to run-time exponents go through ``_powp`` (``POWP_SOURCE``); in ``rhs``, those
whose default exponent needs ``log``/``exp`` are computed four at a time by ``pow4``
(``sepsistwin.solve._vmath``, ``_batched_powers`` here).
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from sepsistwin.model.model import Model

#: Bump when the generated code changes shape (invalidates compiled caches).
CODEGEN_VERSION = "9"


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

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        # A power whose exponent is a parameter (a Hill coefficient) goes through ``_powp``
        # (see POWP_SOURCE); numeric exponents print as usual (``x**2``, ``math.sqrt(x)``).
        if expr.exp.is_Number:
            return str(super()._print_Pow(expr, rational=rational))
        return f"_powp({self._print(expr.base)}, {self._print(expr.exp)})"


#: ``x**n`` for an exponent known only at run time (a parameter, or a parameter minus 1 in the
#: Jacobian). libm's ``pow`` was a third of the full model's integration time (perf, 1,500
#: trial patients); most Hill coefficients are small integers (2, 3, 4), done as products,
#: half-integers 0.5 and 1.5 (the IL-10 suppression of HLA-DR, and its Jacobian) with ``sqrt``
#: (an instruction, not a call), and for x > 0 the rest as ``exp(n*log(x))`` (relative error
#: ~|n*log(x)|*2**-53, far below any solver tolerance). Other cases (x <= 0, n = 0 ...) keep
#: ``pow``'s exact semantics. ``_CHEAP_EXPONENTS`` lists the shortcut exponents: keep the two
#: in step.
POWP_SOURCE = """\
@nb.njit(cache=True, error_model="numpy", fastmath={"contract"}, inline="always")
def _powp(x, n):
    if n == 2.0:
        return x * x
    if n == 3.0:
        return x * x * x
    if n == 4.0:
        x2 = x * x
        return x2 * x2
    if n == 1.0:
        return x
    if x > 0.0 and n == 0.5:
        return math.sqrt(x)
    if x > 0.0 and n == 1.5:
        return x * math.sqrt(x)
    if x > 0.0 and n != 0.0:
        return math.exp(n * math.log(x))
    return x**n
"""

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


def _static_names(model: Model) -> list[str]:
    """Intermediate expressions that depend on parameters only, in dependency order."""
    static = set(model.parameter_names)
    out: list[str] = []
    for name in model.expression_names:  # already in dependency order
        if {str(s) for s in model.expression_sympy[name].free_symbols} <= static:
            static.add(name)
            out.append(name)
    return out


class _Hoister:
    """Replaces parameter-only subexpressions that hold a power or a function by symbols.

    ``table`` maps each hoisted subexpression to its symbol; ``order`` lists ``(symbol,
    expression)`` in creation order (a hoisted expression refers to parameters and static
    intermediates only, never to another hoisted symbol).
    """

    def __init__(self, static: set[sp.Symbol]) -> None:
        self.static = static
        self.table: dict[sp.Expr, sp.Symbol] = {}
        self.order: list[tuple[sp.Symbol, sp.Expr]] = []

    def __call__(self, e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        if e.free_symbols <= self.static and (e.has(sp.Pow) or e.has(sp.Function)):
            sym = self.table.get(e)
            if sym is None:
                sym = sp.Symbol(f"hoisted__{len(self.order)}", real=True)
                self.table[e] = sym
                self.order.append((sym, e))
            return sym
        return e.func(*[self(a) for a in e.args])


def _unpack(model: Model, derived: list[str], indent: str = "    ", lane: str = "") -> list[str]:
    """Lines binding state, parameter and derived names (``lane``: flat lane offset, e.g.
    `` * LANES + ln``)."""
    lines = [f"{indent}{s} = y[{i}{lane}]" for i, s in enumerate(model.state_names)]
    n_p = len(model.parameter_names)
    lines += [f"{indent}{q} = p[{i}{lane}]" for i, q in enumerate(model.parameter_names)]
    lines += [f"{indent}{d} = p[{n_p + k}{lane}]" for k, d in enumerate(derived)]
    return lines


def _expression_lines(
    model: Model, needed: set[str], hoist: _Hoister, static: set[str], indent: str = "    "
) -> list[str]:
    """Lines computing the ``needed`` intermediates that are not ``static`` (those come from
    ``derive``), hoisting parameter-only subexpressions."""
    return [
        f"{indent}{name} = {pycode(hoist(model.expression_sympy[name]))}"
        for name in model.expression_names
        if name in needed and name not in static
    ]


#: Exponents ``_powp`` computes without ``log``/``exp`` (products, ``sqrt``) or trivially.
_CHEAP_EXPONENTS = frozenset({0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0})


def _batched_powers(model: Model, exprs: list[sp.Expr]) -> list[sp.Pow]:
    """Powers in ``exprs`` worth evaluating four at a time (``pow4``, ``solve/_vmath.py``).

    A power qualifies when its exponent is a parameter expression whose default value needs
    ``log``/``exp`` (a Hill coefficient such as 3.16; other values set at run time still work,
    see ``pow4``) and its base reads no other qualifying power, so all bases exist before the
    batch. Fewer than two leave the code as it was.
    """
    params = {model.symbols[q] for q in model.parameter_names}
    defaults = {model.symbols[q]: v for q, v in model.default_parameters.items()}
    found: list[sp.Pow] = []
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if (
                isinstance(node, sp.Pow)
                and not node.exp.is_Number
                and node.exp.free_symbols <= params
                and not node.base.free_symbols <= params
                and node not in found
            ):
                value = float(node.exp.subs(defaults))
                if value not in _CHEAP_EXPONENTS:
                    found.append(node)
    exprs_of = {model.symbols[n]: model.expression_sympy[n] for n in model.expression_names}

    def reads(e: sp.Expr, targets: set[sp.Pow], seen: set[sp.Symbol]) -> bool:
        """Whether ``e`` contains one of ``targets``, directly or through intermediates."""
        if any(e.has(t) for t in targets):
            return True
        for f in e.free_symbols:
            if f in exprs_of and f not in seen:
                seen.add(f)
                if reads(exprs_of[f], targets, seen):
                    return True
        return False

    batch = list(found)
    changed = True
    while changed:
        changed = False
        for pw in batch:
            if reads(pw.base, set(batch), set()):
                batch.remove(pw)
                changed = True
                break
    return batch if len(batch) >= 2 else []


def _rhs_lines(model: Model, rates: list[sp.Expr], hoist: _Hoister, static: set[str]) -> list[str]:
    """Body of ``rhs``: intermediates, then ``dy[i] = ...``.

    Powers with run-time non-integer exponents (``_batched_powers``) are computed together,
    four per ``pow4`` call, into ``pw__k`` names: intermediates that do not need them come
    first (their relative order kept, so dependencies still come first), then the batch, then
    the rest.
    """
    needed = _needed_expressions(model, rates)
    names = [n for n in model.expression_names if n in needed and n not in static]
    exprs = {n: model.expression_sympy[n] for n in names}
    batch = _batched_powers(model, [exprs[n] for n in names] + rates)
    subs = {pw: sp.Symbol(f"pw__{k}", real=True) for k, pw in enumerate(batch)}
    if subs:
        exprs = {n: e.xreplace(subs) for n, e in exprs.items()}
        rates = [r.xreplace(subs) for r in rates]
    pw_syms = set(subs.values())
    after: set[str] = set()  # intermediates reading a batched power, directly or not
    for n in names:
        deps = {str(f) for f in exprs[n].free_symbols}
        if exprs[n].free_symbols & pw_syms or deps & after:
            after.add(n)
    lines = [f"    {n} = {pycode(hoist(exprs[n]))}" for n in names if n not in after]
    for k in range(0, len(batch), 4):
        group = batch[k : k + 4]
        pad = 4 - len(group)
        targets = [subs[pw].name for pw in group] + ["_"] * pad
        bases = [pycode(hoist(pw.base)) for pw in group] + ["1.0"] * pad
        exps = [pycode(hoist(pw.exp)) for pw in group] + ["1.0"] * pad
        lines.append(f"    {', '.join(targets)} = pow4({', '.join(bases + exps)})")
    lines += [f"    {n} = {pycode(hoist(exprs[n]))}" for n in names if n in after]
    lines += [f"    dy[{i}] = {pycode(hoist(r))}" for i, r in enumerate(rates)]
    return lines


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


def numba_hooks_source(model: Model, lanes: int = 1) -> str:
    """Return Python source defining ``derive``, ``rhs``, ``rhs_lanes``, ``jac``,
    ``observables_series`` and the constants.

    ``lanes`` is the number of patients the kernel integrates side by side per thread (the
    solver chooses it, see ``sepsistwin.solve.compile``); ``rhs_lanes`` loops over them with the
    same expressions as ``rhs``.

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
    static_exprs = _static_names(model)
    static = set(static_exprs)
    hoist = _Hoister({sym[q] for q in model.parameter_names} | {sym[e] for e in static_exprs})
    # Fused multiply-add contraction only (no 'nnan'/'ninf': the kernel checks finiteness).
    jit = '@nb.njit(cache=True, error_model="numpy", fastmath={"contract"})'
    out: list[str] = [
        jit,
        "def rhs(t, y, p, dy):",
        "__UNPACK__",
        *_rhs_lines(model, rates, hoist, static),
    ]
    rhs_body = out[3:]  # the expressions and rates, to repeat per lane

    # The same right-hand side for LANES patients (columns): one loop, the same expressions.
    out += [
        "",
        "",
        jit,
        "def rhs_lanes(t_lanes, y, p, dy):",
        "    for ln in range(LANES):",
        "        t = t_lanes[ln]",
        "__UNPACK_LANES__",
    ]
    for line in rhs_body:
        if line.startswith("    dy["):
            k = line.index("]")
            line = f"{line[:k]} * LANES + ln{line[k:]}"
        out.append("    " + line)

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
                dlines.append(f"    {var.name} = {pycode(hoist(d))}")
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
            jac_entries.append(f"    J[{i}, {j}] = {pycode(hoist(d)) if d != 0 else '0.0'}")
    out += [
        "",
        "",
        jit,
        "def jac(t, y, p, J):",
        "__UNPACK__",
        *_expression_lines(model, jac_needed, hoist, static),
        *dlines,
        *jac_entries,
    ]

    # Observables along one patient's whole series: parameters bound once, states read where
    # they lie (``states[i, gi, j]``, contiguous in time), so a simple model's loop over save
    # times vectorises; one call per patient (a call per save point cost Reynolds ~7 %).
    obs = [model.observables_sympy[o] for o in model.observable_names]
    out += [
        "",
        "",
        jit,
        "def observables_series(t_eval, states, p, gi, obs):",
        "__UNPACK_PARAMETERS__",
        "    for j in range(t_eval.size):",
        "        t = t_eval[j]",
        *[f"        {s} = states[{i}, gi, j]" for i, s in enumerate(model.state_names)],
        *_expression_lines(
            model, _needed_expressions(model, obs), hoist, static, indent="        "
        ),
        *[f"        obs[{k}, gi, j] = {pycode(hoist(o))}" for k, o in enumerate(obs)],
    ]
    # Parameter-only work, once per patient: static intermediates, then hoisted subexpressions.
    n_p = len(model.parameter_names)
    derived = static_exprs + [s.name for s, _ in hoist.order]
    derive = [
        jit,
        "def derive(p, q):",
        '    """Copy the parameters into ``q`` and append the parameter-only values."""',
        *[f"    {q} = p[{i}]" for i, q in enumerate(model.parameter_names)],
        *[f"    q[{i}] = p[{i}]" for i in range(n_p)],
    ]
    for k, name in enumerate(static_exprs):
        derive += [
            f"    {name} = {pycode(model.expression_sympy[name])}",
            f"    q[{n_p + k}] = {name}",
        ]
    for k, (_sym, he) in enumerate(hoist.order):
        derive.append(f"    q[{n_p + len(static_exprs) + k}] = {pycode(he)}")
    header = [
        f"# Generated from model {model.name!r} (fingerprint {model.fingerprint[:16]}); "
        "do not edit.",
        "import math",
        "",
        "import numba as nb",
        "",
        f"USES_TIME = {bool(model.uses_time)}",
        f"N_STATES = {len(states)}",
        f"N_PARAMETERS = {n_p}",
        f"N_DERIVED = {len(derived)}",
        f"N_OBSERVABLES = {len(model.observables)}",
        f"LANES = {int(lanes)}",
        "",
        "",
        POWP_SOURCE,
        "",
    ]
    unpack = "\n".join(_unpack(model, derived))
    unpack_lanes = "\n".join(_unpack(model, derived, indent="        ", lane=" * LANES + ln"))
    unpack_parameters = "\n".join(_unpack(model, derived)[len(states) :])
    fill = {
        "__UNPACK__": unpack,
        "__UNPACK_LANES__": unpack_lanes,
        "__UNPACK_PARAMETERS__": unpack_parameters,
    }
    body = [fill.get(line, line) for line in out]
    return "\n".join(header + derive + ["", ""] + body) + "\n"
