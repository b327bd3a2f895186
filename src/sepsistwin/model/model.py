"""The immutable :class:`Model` and the :class:`ModelBuilder` that composes it from modules."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import sympy as sp
from sympy.parsing.sympy_parser import (
    convert_xor,
    parse_expr,
    standard_transformations,
)

from sepsistwin.model.declarations import (
    Expression,
    Observable,
    Parameter,
    State,
    Term,
)

# Functions an expression may call, mapped to sympy.
ALLOWED_FUNCTIONS: dict[str, Any] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "min": sp.Min,
    "max": sp.Max,
    "abs": sp.Abs,
}
TIME = sp.Symbol("t", real=True)
_TRANSFORMS = (*standard_transformations, convert_xor)


def parse_expression(text: str, symbols: Mapping[str, sp.Symbol], where: str) -> sp.Expr:
    """Parse ``text`` with only ``symbols``, ``t`` and the allowed functions in scope.

    Raises ``ValueError`` naming ``where`` and the unknown names if the text refers to anything
    else.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> parse_expression("2*x^2", {"x": x}, "demo")
    2*x**2
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: expression must be a non-empty string, got {text!r}")
    called = sorted(set(re.findall(r"([A-Za-z_]\w*)\s*\(", text)) - set(ALLOWED_FUNCTIONS))
    if called:
        raise ValueError(
            f"{where}: expression {text!r} calls unsupported function(s) {called}; "
            f"allowed: {sorted(ALLOWED_FUNCTIONS)}"
        )
    local: dict[str, Any] = {**ALLOWED_FUNCTIONS, **symbols, "t": TIME}
    try:
        expr = parse_expr(
            text,
            local_dict=local,
            global_dict={
                "Integer": sp.Integer,
                "Float": sp.Float,
                "Rational": sp.Rational,
                "Symbol": sp.Symbol,
            },
            transformations=_TRANSFORMS,
            evaluate=True,
        )
    except Exception as exc:  # sympy raises many types for bad syntax
        raise ValueError(f"{where}: cannot parse expression {text!r}: {exc}") from None
    if not isinstance(expr, sp.Expr):
        raise ValueError(f"{where}: {text!r} is not an arithmetic expression")
    known = set(symbols.values()) | {TIME}
    unknown = sorted(str(s) for s in expr.free_symbols if s not in known)
    if unknown:
        raise ValueError(
            f"{where}: expression {text!r} uses unknown name(s) {unknown}; "
            f"known names: {sorted(symbols)}"
        )
    bad_funcs = sorted(
        {type(f).__name__ for f in expr.atoms(sp.Function)}
        - {"exp", "log", "tanh", "Min", "Max", "Abs"}
    )
    if bad_funcs:
        raise ValueError(f"{where}: expression {text!r} calls unsupported function(s) {bad_funcs}")
    return expr


@dataclass(frozen=True)
class Model:
    """A mechanistic ODE model: one definition read by the solver, the SBML writer and docs.

    Build it with :class:`ModelBuilder` (or get a preset with ``get_model``); it is immutable.
    Extend it with :meth:`to_builder`.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> m = get_model("reynolds2006")
    >>> m.state_names
    ('P', 'N', 'D', 'CA')
    """

    name: str
    description: str
    time_unit: str
    states: tuple[State, ...]
    parameters: tuple[Parameter, ...]
    expressions: tuple[Expression, ...]  # in dependency order
    terms: tuple[Term, ...]
    observables: tuple[Observable, ...]
    references: tuple[str, ...] = ()
    modules: tuple[str, ...] = field(default=())

    # ---- names and defaults -------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        """State names in solver order."""
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Parameter names in solver order."""
        return tuple(p.name for p in self.parameters)

    @property
    def observable_names(self) -> tuple[str, ...]:
        """Observable names in output order."""
        return tuple(o.name for o in self.observables)

    @property
    def expression_names(self) -> tuple[str, ...]:
        """Intermediate expression names in dependency order."""
        return tuple(e.name for e in self.expressions)

    @property
    def default_parameters(self) -> dict[str, float]:
        """Default parameter values by name."""
        return {p.name: p.value for p in self.parameters}

    @property
    def initial_state(self) -> dict[str, float]:
        """Default initial values by state name."""
        return {s.name: s.initial for s in self.states}

    def parameter(self, name: str) -> Parameter:
        """Return the parameter declaration ``name`` (``KeyError`` listing valid names)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"unknown parameter {name!r}; valid: {list(self.parameter_names)}")

    def state(self, name: str) -> State:
        """Return the state declaration ``name`` (``KeyError`` listing valid names)."""
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(f"unknown state {name!r}; valid: {list(self.state_names)}")

    # ---- symbolic views -----------------------------------------------------------------
    @cached_property
    def symbols(self) -> dict[str, sp.Symbol]:
        """Sympy symbol for every state, parameter and expression name."""
        names = [*self.state_names, *self.parameter_names, *self.expression_names]
        return {n: sp.Symbol(n, real=True) for n in names}

    @cached_property
    def expression_sympy(self) -> dict[str, sp.Expr]:
        """Each intermediate expression as sympy (referring to earlier expressions by name)."""
        return {
            e.name: parse_expression(e.expression, self.symbols, f"expression {e.name!r}")
            for e in self.expressions
        }

    @cached_property
    def rates_sympy(self) -> dict[str, sp.Expr]:
        """d(state)/dt as sympy, the sum of its terms (0 for a state with none)."""
        rates: dict[str, sp.Expr] = {s: sp.Integer(0) for s in self.state_names}
        for term in self.terms:
            expr = parse_expression(term.expression, self.symbols, f"term {term.name!r}")
            rates[term.state] = rates[term.state] + expr
        return rates

    @cached_property
    def observables_sympy(self) -> dict[str, sp.Expr]:
        """Each observable as sympy."""
        return {
            o.name: parse_expression(o.expression, self.symbols, f"observable {o.name!r}")
            for o in self.observables
        }

    def substitute_expressions(self, expr: sp.Expr) -> sp.Expr:
        """Replace intermediate-expression symbols in ``expr`` by their definitions."""
        for name in reversed(self.expression_names):
            sym = self.symbols[name]
            if expr.has(sym):
                expr = expr.xreplace({sym: self.expression_sympy[name]})
        return expr

    @cached_property
    def uses_time(self) -> bool:
        """Whether any rate depends explicitly on time ``t``."""
        return any(self.substitute_expressions(r).has(TIME) for r in self.rates_sympy.values())

    # ---- identity -----------------------------------------------------------------------
    def canonical(self) -> dict[str, Any]:
        """A JSON-able description of everything that affects the equations."""
        return {
            "states": [[s.name, s.initial] for s in self.states],
            "parameters": [[p.name, p.value] for p in self.parameters],
            "expressions": [[e.name, e.expression] for e in self.expressions],
            "terms": [[t.name, t.state, t.expression] for t in self.terms],
            "observables": [[o.name, o.expression] for o in self.observables],
        }

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of :meth:`canonical` (keys the compiled-code cache)."""
        blob = json.dumps(self.canonical(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    # ---- extension and docs -------------------------------------------------------------
    def to_builder(self, name: str | None = None) -> ModelBuilder:
        """Return a :class:`ModelBuilder` holding this model's declarations, to extend it.

        Examples
        --------
        >>> from sepsistwin.model import get_model
        >>> b = get_model("reynolds2006").to_builder("demo")
        >>> b.add_state("T", "cells/uL", 1.0).add_term("T", "-0.1*T").build().state_names[-1]
        'T'
        """
        b = ModelBuilder(name or self.name, self.description, self.time_unit)
        b._states = {s.name: s for s in self.states}
        b._parameters = {p.name: p for p in self.parameters}
        b._expressions = {e.name: e for e in self.expressions}
        b._terms = {t.name: t for t in self.terms}
        b._observables = {o.name: o for o in self.observables}
        b._references = list(self.references)
        b._modules = list(self.modules)
        return b

    def parameter_table(self) -> list[dict[str, Any]]:
        """Rows (name, value, unit, bounds, description, source) for docs and reports."""
        return [
            {
                "name": p.name,
                "value": p.value,
                "unit": p.unit,
                "lower": p.lower,
                "upper": p.upper,
                "description": p.description,
                "source": p.source,
            }
            for p in self.parameters
        ]

    def state_table(self) -> list[dict[str, Any]]:
        """Rows (name, unit, initial, description, rate) for docs and reports."""
        return [
            {
                "name": s.name,
                "unit": s.unit,
                "initial": s.initial,
                "description": s.description,
                "rate": " + ".join(t.expression for t in self.terms if t.state == s.name) or "0",
            }
            for s in self.states
        ]

    def __repr__(self) -> str:
        return (
            f"Model({self.name!r}: {len(self.states)} states, {len(self.parameters)} "
            f"parameters, {len(self.observables)} observables)"
        )


Module = Callable[["ModelBuilder"], object]


class ModelBuilder:
    """Compose a :class:`Model` from declarations and modules.

    Every ``add_*`` method validates its input and returns the builder, so calls chain. A
    module is any callable taking the builder; :meth:`include` applies it. Modules may add rate
    terms to states declared by other modules and modify existing terms or parameters.

    Examples
    --------
    >>> b = ModelBuilder("decay", "one-state decay")
    >>> m = (b.add_state("x", "mg/L", 1.0)
    ...       .add_parameter("k", 0.5, "1/h", "textbook")
    ...       .add_term("x", "-k*x", name="x_elimination")
    ...       .add_observable("x_ug", "x*1000", "ug/L")
    ...       .build())
    >>> m.rates_sympy["x"]
    -k*x
    """

    def __init__(self, name: str, description: str = "", time_unit: str = "h") -> None:
        self.name = name
        self.description = description
        self.time_unit = time_unit
        self._states: dict[str, State] = {}
        self._parameters: dict[str, Parameter] = {}
        self._expressions: dict[str, Expression] = {}
        self._terms: dict[str, Term] = {}
        self._observables: dict[str, Observable] = {}
        self._references: list[str] = []
        self._modules: list[str] = []

    # ---- declarations -------------------------------------------------------------------
    def _check_free(self, name: str, kind: str) -> None:
        for other_kind, table in (
            ("state", self._states),
            ("parameter", self._parameters),
            ("expression", self._expressions),
            ("observable", self._observables),
        ):
            if name in table:
                raise ValueError(f"cannot add {kind} {name!r}: a {other_kind} of that name exists")

    def add_state(
        self, name: str, unit: str, initial: float, description: str = "", source: str = ""
    ) -> ModelBuilder:
        """Declare a state (see :class:`State`)."""
        self._check_free(name, "state")
        self._states[name] = State(name, unit, initial, description, source)
        return self

    def add_parameter(
        self,
        name: str,
        value: float,
        unit: str,
        source: str,
        description: str = "",
        lower: float | None = None,
        upper: float | None = None,
    ) -> ModelBuilder:
        """Declare a parameter (see :class:`Parameter`)."""
        self._check_free(name, "parameter")
        self._parameters[name] = Parameter(name, value, unit, source, description, lower, upper)
        return self

    def add_expression(
        self, name: str, expression: str, unit: str = "", description: str = ""
    ) -> ModelBuilder:
        """Declare a named intermediate expression (see :class:`Expression`)."""
        self._check_free(name, "expression")
        self._expressions[name] = Expression(name, expression, unit, description)
        return self

    def add_term(
        self,
        state: str,
        expression: str,
        name: str | None = None,
        description: str = "",
        module: str = "",
    ) -> ModelBuilder:
        """Add ``expression`` to ``d state/dt``; ``name`` defaults to ``<state>_term<k>``."""
        if name is None:
            k = sum(1 for t in self._terms.values() if t.state == state) + 1
            name = f"{state}_term{k}"
            while name in self._terms:
                k += 1
                name = f"{state}_term{k}"
        if name in self._terms:
            raise ValueError(f"a term named {name!r} exists already")
        self._terms[name] = Term(name, state, expression, description, module)
        return self

    def add_observable(
        self, name: str, expression: str, unit: str, description: str = ""
    ) -> ModelBuilder:
        """Declare an observable (see :class:`Observable`)."""
        self._check_free(name, "observable")
        self._observables[name] = Observable(name, expression, unit, description)
        return self

    def add_reference(self, citation: str) -> ModelBuilder:
        """Record a literature reference for the model as a whole."""
        self._references.append(citation)
        return self

    # ---- modification (for modules layered on a core) -----------------------------------
    def scale_term(self, name: str, factor: str, module: str = "") -> ModelBuilder:
        """Multiply an existing term by ``factor`` (e.g. a drug effect ``(1 + E_max*...)``)."""
        if name not in self._terms:
            raise ValueError(f"unknown term {name!r}; terms: {sorted(self._terms)}")
        old = self._terms[name]
        self._terms[name] = replace(
            old, expression=f"({old.expression})*({factor})", module=module or old.module
        )
        return self

    def replace_expression(self, name: str, expression: str) -> ModelBuilder:
        """Redefine an intermediate expression (its dependents see the new definition)."""
        if name not in self._expressions:
            raise ValueError(
                f"unknown expression {name!r}; expressions: {sorted(self._expressions)}"
            )
        self._expressions[name] = replace(self._expressions[name], expression=expression)
        return self

    def set_parameter(self, name: str, value: float, source: str | None = None) -> ModelBuilder:
        """Change a parameter's default value (and optionally its source)."""
        if name not in self._parameters:
            raise ValueError(f"unknown parameter {name!r}; parameters: {sorted(self._parameters)}")
        old = self._parameters[name]
        self._parameters[name] = Parameter(
            name,
            value,
            old.unit,
            old.source if source is None else source,
            old.description,
            old.lower,
            old.upper,
        )
        return self

    def include(self, module: Module, name: str | None = None) -> ModelBuilder:
        """Apply a module (a callable that adds declarations to this builder)."""
        module(self)
        self._modules.append(str(name or getattr(module, "__name__", repr(module))))
        return self

    # ---- build --------------------------------------------------------------------------
    def _ordered_expressions(self, symbols: dict[str, sp.Symbol]) -> tuple[Expression, ...]:
        deps: dict[str, set[str]] = {}
        for e in self._expressions.values():
            expr = parse_expression(e.expression, symbols, f"expression {e.name!r}")
            deps[e.name] = {str(s) for s in expr.free_symbols} & set(self._expressions)
        ordered: list[Expression] = []
        done: set[str] = set()
        visiting: set[str] = set()

        def visit(n: str) -> None:
            if n in done:
                return
            if n in visiting:
                raise ValueError(
                    f"expression {n!r} depends on itself (cycle through {sorted(visiting)})"
                )
            visiting.add(n)
            for d in sorted(deps[n]):
                visit(d)
            visiting.discard(n)
            done.add(n)
            ordered.append(self._expressions[n])

        for n in self._expressions:
            visit(n)
        return tuple(ordered)

    def build(self) -> Model:
        """Validate every declaration and return the immutable :class:`Model`."""
        if not self._states:
            raise ValueError(f"model {self.name!r} has no states")
        for t in self._terms.values():
            if t.state not in self._states:
                raise ValueError(
                    f"term {t.name!r} adds to unknown state {t.state!r}; "
                    f"states: {list(self._states)}"
                )
        names = [*self._states, *self._parameters, *self._expressions]
        symbols = {n: sp.Symbol(n, real=True) for n in names}
        expressions = self._ordered_expressions(symbols)
        model = Model(
            name=self.name,
            description=self.description,
            time_unit=self.time_unit,
            states=tuple(self._states.values()),
            parameters=tuple(self._parameters.values()),
            expressions=expressions,
            terms=tuple(self._terms.values()),
            observables=tuple(self._observables.values()),
            references=tuple(self._references),
            modules=tuple(self._modules),
        )
        # Parse everything now so errors surface at build time, not at first simulation.
        model.rates_sympy  # noqa: B018
        model.observables_sympy  # noqa: B018
        return model
