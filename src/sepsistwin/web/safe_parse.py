"""Bounded, construction-free parsing of uploaded YAML and JSON.

YAML goes through PyYAML's safe loader only (plain scalars, lists and mappings; no Python
objects), after an event scan that refuses anchors and aliases (whose expansion can make a
small file huge) and nesting deeper than a bound. JSON files are scanned for their nesting
depth before any parser sees them.
"""

from __future__ import annotations

import yaml

#: Explicit YAML tags accepted (plain data); every other tag, ``!!python/...`` included, is refused.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")
) | {"!"}


class UnsafeInputError(ValueError):
    """Input refused before parsing: too large, too deep, or using YAML aliases."""


def check_yaml(text: str, *, max_bytes: int, max_depth: int, source: str = "<spec>") -> None:
    """Refuse YAML that is too large, too deeply nested, or uses anchors/aliases/tags.

    Raises
    ------
    UnsafeInputError
        Naming the source, the line and what was refused.

    Examples
    --------
    >>> check_yaml("a: [1, 2]", max_bytes=100, max_depth=4)
    >>> try:
    ...     check_yaml("a: &x 1\\nb: *x", max_bytes=100, max_depth=4)
    ... except UnsafeInputError as e:
    ...     print(e)
    <spec>: line 1: YAML anchors and aliases are not accepted
    """
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise UnsafeInputError(
            f"{source}: {size} bytes; a trial specification may have at most {max_bytes} bytes"
        )
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else "?"
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise UnsafeInputError(
                    f"{source}: line {line}: YAML anchors and aliases are not accepted"
                )
            tag = getattr(event, "tag", None)
            if tag and tag not in _PLAIN_TAGS:
                raise UnsafeInputError(f"{source}: line {line}: YAML tag {tag!r} is not accepted")
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > max_depth:
                    raise UnsafeInputError(
                        f"{source}: line {line}: nested deeper than {max_depth} levels"
                    )
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # not valid YAML: the spec parser reports it with its line


def check_json_depth(data: bytes, *, max_depth: int, source: str) -> None:
    """Refuse JSON (or NDJSON) nested deeper than ``max_depth``, without parsing it.

    Brackets inside strings are skipped; the scan is linear in the size of ``data``.

    Examples
    --------
    >>> check_json_depth(b'{"a": [1, {"b": "]]"}]}', max_depth=3, source="x.json")
    >>> try:
    ...     check_json_depth(b"[[[[1]]]]", max_depth=3, source="x.json")
    ... except UnsafeInputError as e:
    ...     print(e)
    x.json: JSON nested deeper than 3 levels (at byte 3)
    """
    depth = 0
    in_string = False
    escaped = False
    for i, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
            continue
        if byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                raise UnsafeInputError(
                    f"{source}: JSON nested deeper than {max_depth} levels (at byte {i})"
                )
        elif byte in (0x5D, 0x7D):  # ] }
            depth = max(depth - 1, 0)
