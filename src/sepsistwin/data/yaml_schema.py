"""One way to read a YAML file and validate it against a pydantic schema, with one error format.

Every data file of the package (variable catalogue, clinical thresholds, evidence base,
recommendation rules, trial specifications) and every file a user passes in goes through
:func:`read_yaml` and :func:`validate`, so a broken file reads the same wherever it is loaded::

    rules.yaml: rules[0].regimen: unknown key (not part of the schema)
    trial.yaml: line 3: population.size: Input should be greater than or equal to 1 (got -5)

Each message names the file, the line where it is known, the key path (``a.b[0].c``), what
is wrong and the value found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

#: A cross-field check that names its own key path ("evidence_level: ...") at its start.
_SUBPATH = re.compile(r"^([a-z_][a-z0-9_]*(?:\[\d+\])?(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])?)*): ")


def key_path(loc: Sequence[Any], prefix: str = "") -> str:
    """A pydantic location as a key path: ``("rules", 0, "regimen")`` -> ``rules[0].regimen``.

    Locations pydantic adds for validator functions (``function-after[...]``) are left out.

    Examples
    --------
    >>> key_path(("rules", 0, "regimen"))
    'rules[0].regimen'
    >>> key_path(("doi",), prefix="provide")
    'provide.doi'
    >>> key_path(())
    '(top level)'
    """
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and part.startswith("function-"):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _message(err: Any, unknown_key_hint: str) -> str:
    kind = err["type"]
    if kind == "missing":
        return "missing required key"
    if kind == "extra_forbidden":
        hint = f"; {unknown_key_hint}" if unknown_key_hint else ""
        return f"unknown key (not part of the schema){hint}"
    msg = str(err["msg"])
    for lead in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(lead)
    got = err.get("input")
    if kind not in ("value_error", "assertion_error") and not isinstance(got, dict | list):
        msg += f" (got {got!r})"
    return msg


def validation_messages(
    exc: ValidationError,
    source: str,
    *,
    prefix: str = "",
    line_of: Callable[[Sequence[Any]], int | None] | None = None,
    unknown_key_hint: str = "",
) -> list[str]:
    """One line per error of ``exc``: ``source: [line N: ]key.path: what is wrong (got value)``.

    Parameters
    ----------
    exc : ValidationError
        What pydantic raised.
    source : str
        The file name (or ``<spec>`` for text) the data came from.
    prefix : str
        Key path of the validated part inside the file (``variables.lactate``).
    line_of : callable, optional
        Maps a pydantic location to its line in the file, when the reader kept the lines.
    unknown_key_hint : str
        Appended to "unknown key" messages (e.g. where the valid keys are documented).

    Examples
    --------
    >>> from pydantic import BaseModel, ConfigDict, Field
    >>> class Population(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     size: int = Field(ge=1)
    >>> try:
    ...     Population.model_validate({"size": -5, "colour": "red"})
    ... except ValidationError as e:
    ...     print("\\n".join(validation_messages(e, "pop.yaml", prefix="population")))
    pop.yaml: population.size: Input should be greater than or equal to 1 (got -5)
    pop.yaml: population.colour: unknown key (not part of the schema)
    """
    lines = []
    for err in exc.errors():
        path = key_path(err["loc"], prefix)
        msg = _message(err, unknown_key_hint)
        sub = _SUBPATH.match(msg) if err["type"] == "value_error" else None
        if sub is not None:
            path = sub.group(1) if path == "(top level)" else f"{path}.{sub.group(1)}"
            msg = msg[sub.end() :]
        line = line_of(err["loc"]) if line_of is not None else None
        where = f"line {line}: " if line is not None else ""
        lines.append(f"{source}: {where}{path}: {msg}")
    return lines


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """Parse a YAML file; a missing file or bad YAML raises ``error`` naming file and line.

    Examples
    --------
    >>> read_yaml("no-such-file.yaml", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: no-such-file.yaml: missing (looked in .)
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{p.name}: missing (looked in {p.parent})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{p.name}: not valid YAML{where}: {exc}") from None


def validate(
    model: type[M],
    raw: Any,
    source: str,
    error: type[Exception],
    *,
    prefix: str = "",
    line_of: Callable[[Sequence[Any]], int | None] | None = None,
    unknown_key_hint: str = "",
) -> M:
    """``model.model_validate(raw)``, raising ``error`` with one line per problem.

    Examples
    --------
    >>> from pydantic import BaseModel, Field
    >>> class Dose(BaseModel):
    ...     value: float = Field(gt=0)
    >>> validate(Dose, {"value": 0}, "d.yaml", ValueError, prefix="dose")
    Traceback (most recent call last):
    ...
    ValueError: d.yaml: dose.value: Input should be greater than 0 (got 0)
    """
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        messages = validation_messages(
            exc, source, prefix=prefix, line_of=line_of, unknown_key_hint=unknown_key_hint
        )
        raise error("\n".join(messages)) from None
