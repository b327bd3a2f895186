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

from sepsistwin.data.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, human_bytes

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


def _loc_of(path: str) -> tuple[str | int, ...]:
    """``"rules[1].text"`` -> ``("rules", 1, "text")`` (the inverse of :func:`key_path`)."""
    loc: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        loc.append(name)
        if rest:
            loc.append(int(rest.rstrip("]")))
    return tuple(loc)


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
        loc = tuple(err["loc"])
        if sub is not None:
            path = sub.group(1) if path == "(top level)" else f"{path}.{sub.group(1)}"
            msg = msg[sub.end() :]
            loc += _loc_of(sub.group(1))
        line = line_of(loc) if line_of is not None else None
        where = f"line {line}: " if line is not None else ""
        lines.append(f"{source}: {where}{path}: {msg}")
    return lines


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit (checked while composing)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark
            raise _LimitError(
                f"line {mark.line + 1}: nested more than {MAX_YAML_DEPTH} levels deep"
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _LimitError(yaml.YAMLError):
    """A YAML document beyond the limits of :mod:`sepsistwin.data.limits`."""


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of the document with every alias expanded, stopping past ``MAX_YAML_NODES``.

    An alias is the same node object as its anchor, so sizes are memoised by identity: the
    walk costs the number of distinct nodes however large the expansion (a billion-laughs
    document of 30 nodes expands to 10^9 and is refused at once). A node that contains
    itself is refused as well.
    """
    sizes: dict[int, int] = {}
    busy: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            busy.discard(key)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = min(total, MAX_YAML_NODES + 1)
            continue
        if key in busy:
            mark = node.start_mark
            raise _LimitError(f"line {mark.line + 1}: an alias refers to a node containing it")
        busy.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in busy:
                mark = child.start_mark
                raise _LimitError(f"line {mark.line + 1}: an alias refers to a node containing it")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def load_yaml_text(
    text: str, source: str, error: Callable[[str], Exception], *, line_first: bool = False
) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text within bounded time and memory; return the data and its root node.

    Safe tags only, and the limits of :mod:`sepsistwin.data.limits`: at most
    ``MAX_YAML_BYTES`` of text, ``MAX_YAML_DEPTH`` levels of nesting and
    ``MAX_YAML_NODES`` nodes once aliases are expanded (so an alias bomb is refused
    before anything is built). Problems raise ``error`` with one line naming the source
    (``line_first``: ``FILE: line N: not valid YAML: ...``, the trial-spec form).

    Examples
    --------
    >>> load_yaml_text("a: [1, 2]", "x.yaml", ValueError)[0]
    {'a': [1, 2]}
    >>> bomb = "{a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], " + ", ".join(
    ...     f"{k}: &{k} [" + ", ".join([f"*{p}"] * 10) + "]" for p, k in zip("abcdefgh", "bcdefghi")
    ... ) + "}"
    >>> load_yaml_text(bomb, "bomb.yaml", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: bomb.yaml: more than 200000 YAML nodes once aliases are expanded (an alias bomb?)
    """
    if len(text) > MAX_YAML_BYTES:
        raise error(
            f"{source}: {human_bytes(len(text))} of YAML, above the limit of "
            f"{human_bytes(MAX_YAML_BYTES)}"
        )
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_NODES:
            raise error(
                f"{source}: more than {MAX_YAML_NODES} YAML nodes once aliases are expanded "
                "(an alias bomb?)"
            )
        data = loader.construct_document(node) if node is not None else None
    except _LimitError as exc:
        raise error(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if line_first:
            where = f"line {mark.line + 1}: " if mark else ""
            raise error(f"{source}: {where}not valid YAML: {problem}") from None
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{source}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise error(f"{source}: YAML nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def read_yaml_file(
    path: str | Path, error: Callable[[str], Exception]
) -> tuple[Any, yaml.Node | None]:
    """Read a YAML file as UTF-8 within the limits of :func:`load_yaml_text`.

    Returns the data and the root node (for line numbers); a missing or unreadable file,
    bad bytes or bad YAML raise ``error`` naming file and line.
    """
    return load_yaml_text(read_yaml_text(path, error), Path(path).name, error)


def read_yaml_text(path: str | Path, error: Callable[[str], Exception]) -> str:
    """The text of a YAML file: at most ``MAX_YAML_BYTES``, UTF-8 (a bad byte names its line)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(
                f"{p.name}: the file is {human_bytes(size)}, above the limit of "
                f"{human_bytes(MAX_YAML_BYTES)} for YAML"
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise error(f"{p.name}: missing (looked in {p.parent})") from None
    except (IsADirectoryError, PermissionError, OSError) as exc:
        raise error(f"{p.name}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"{p.name}: line {line}: byte 0x{raw[exc.start]:02x} is not valid UTF-8; "
            "save the file as UTF-8"
        ) from None
    return text


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """Parse a YAML file; a missing file or bad YAML raises ``error`` naming file and line.

    Examples
    --------
    >>> read_yaml("no-such-file.yaml", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: no-such-file.yaml: missing (looked in .)
    """
    return read_yaml_file(path, error)[0]


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
