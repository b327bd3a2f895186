"""Structural analysis of a model definition: which states form closed linear subsystems.

Drug compartments with linear PK (depot, central, peripheral; first-order absorption, linear
clearance and distribution), endotoxin and decaying cell grafts obey ``dy/dt = A(p) y`` among
themselves: doses add to them and the rest of the model reads them without acting back. The
solver integrates them like every other state; knowing them lets a caller treat them apart,
e.g. a looser relative tolerance for drug amounts in trial simulations
(``sepsistwin.trial.SepsistwinSimulator``), where an antibiotic's distribution and elimination
phases after every q8h dose otherwise set the step size of the whole model.
"""

from __future__ import annotations

import sympy as sp

from sepsistwin.model.model import Model


def linear_blocks(model: Model) -> list[list[str]]:
    """Groups of states forming closed linear systems with parameter-only coefficients.

    A state belongs to such a system when its rate is a linear combination, without constant
    term, of states of the system and involves nothing else but parameters (no time, no other
    state). Groups are the connected components of the coupling, in state order.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> linear_blocks(get_model("reynolds2006"))
    []
    >>> ["meropenem_c", "meropenem_p"] in linear_blocks(get_model("sepsistwin"))
    True
    """
    sym = model.symbols
    params = {sym[p] for p in model.parameter_names}
    exprs = {sym[e]: model.expression_sympy[e] for e in model.expression_names}
    reads: dict[sp.Symbol, set[sp.Symbol]] = {}

    def leaves(x: sp.Symbol) -> set[sp.Symbol]:
        """Parameters, states and time an intermediate expression reads, transitively."""
        if x not in reads:
            out: set[sp.Symbol] = set()
            for f in exprs[x].free_symbols:
                out |= leaves(f) if f in exprs else {f}
            reads[x] = out
        return reads[x]

    deps = {}
    for s in model.state_names:
        d: set[sp.Symbol] = set()
        for f in model.rates_sympy[s].free_symbols:
            d |= leaves(f) if f in exprs else {f}
        deps[s] = d
    states = {sym[x] for x in model.state_names}
    degree: dict[sp.Basic, int | None] = {}

    def deg(e: sp.Basic) -> int | None:
        """Polynomial degree of ``e`` in the states (None: not a polynomial in them)."""
        if e in degree:
            return degree[e]
        if e in states:
            out: int | None = 1
        elif e in exprs:
            out = deg(exprs[e])
        elif not e.free_symbols & (states | set(exprs)):
            out = 0  # numbers, parameters, time
        elif e.is_Add:
            parts = [deg(a) for a in e.args]
            out = None if None in parts else max(p for p in parts if p is not None)
        elif e.is_Mul:
            parts = [deg(a) for a in e.args]
            out = None if None in parts else sum(p for p in parts if p is not None)
        elif e.is_Pow and e.exp.is_Integer and int(e.exp) >= 0:
            d = deg(e.base)
            out = None if d is None else d * int(e.exp)
        else:  # a state inside a division, a non-integer power or a function
            out = None if deg_free(e) else 0
        degree[e] = out
        return out

    def deg_free(e: sp.Basic) -> bool:
        """Whether ``e`` reads a state (through intermediate expressions too)."""
        return any(
            (f in states) or (f in exprs and bool(leaves(f) & states)) for f in e.free_symbols
        )

    # Candidates: rates of degree <= 1 in the states. Then drop, until none, those reading a
    # non-candidate state or time; the exact test (no constant term) on what is left.
    degrees = {s: deg(model.rates_sympy[s]) for s in model.state_names}
    members = {s for s, d in degrees.items() if d is not None and d <= 1}
    changed = True
    while changed:
        changed = False
        allowed = params | {sym[x] for x in members}
        for s in sorted(members):
            if not deps[s] <= allowed:
                members.discard(s)
                changed = True
    full = {s: sp.expand(model.substitute_expressions(model.rates_sympy[s])) for s in members}
    changed = True
    while changed:
        changed = False
        ys = [sym[x] for x in sorted(members)]
        for s in sorted(members):
            rate = full[s]
            ok = rate.free_symbols <= params | set(ys)
            if ok and rate != 0:
                try:
                    poly = sp.Poly(rate, *ys)
                    ok = poly.total_degree() <= 1 and poly.coeff_monomial(1) == 0
                except sp.PolynomialError:
                    ok = False
            if not ok:
                members.discard(s)
                changed = True
                break
    order = [s for s in model.state_names if s in members]
    parent = {s: s for s in order}

    def root(s: str) -> str:
        while parent[s] != s:
            s = parent[s]
        return s

    for s in order:
        for other in order:
            if other != s and full[s].has(sym[other]):
                parent[root(s)] = root(other)
    groups: dict[str, list[str]] = {}
    for s in order:
        groups.setdefault(root(s), []).append(s)
    return list(groups.values())


def linear_states(model: Model) -> tuple[str, ...]:
    """Every state of :func:`linear_blocks`, in state order.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> states = linear_states(get_model("sepsistwin"))
    >>> "meropenem_c" in states, "P" in states
    (True, False)
    """
    members = {s for block in linear_blocks(model) for s in block}
    return tuple(s for s in model.state_names if s in members)
