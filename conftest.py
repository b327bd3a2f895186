"""Test-session plumbing shared by ``tests/`` and the docstring examples in ``src/``.

Compiled kernels. Integrating a model needs its kernel compiled by Numba (minutes for the full
``sepsistwin`` model, about a minute for any other, on a cold cache; well under a second once
cached in ``$SEPSISTWIN_CACHE``). Under pytest-xdist two workers that reach an uncompiled
variant at the same time would both compile it. So every test that integrates is tagged with
the variant it needs (``KERNEL_OF`` below, by file) and ``--dist loadgroup`` keeps each
variant's tests on one worker; the variant with the longest compilation goes first. A test that
also needs a second variant is tagged with the slower one: the other worker has compiled the
faster one by then. Tests that integrate nothing are spread freely. A test that loads a variant
it is not tagged with still passes; the session ends with a warning naming it.

Markers (registered in ``pyproject.toml``): ``slow`` and ``integration`` tests are left out of
``make test`` and run by ``make test-slow``; ``kernel(name)`` may tag a test by hand.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

#: Kernel variant (model name) of each test file or docstring-example module that integrates,
#: by path relative to the repository root; the most specific prefix wins. Variants compiled in
#: ``make test``: ``sepsistwin`` (the full model, the slowest to compile), ``reynolds2006`` and
#: the solver tests' ``test_two_decay``.
KERNEL_OF: dict[str, str] = {
    "tests/cli/test_demo_cli.py": "sepsistwin",
    "tests/cli/test_simulate_cli.py": "reynolds2006",
    "tests/cli/test_simulate_therapy_cli.py": "sepsistwin",
    "tests/cli/test_trial_cli.py": "reynolds2006",
    "tests/model/immune/": "sepsistwin",
    "tests/model/pharmacology/": "sepsistwin",
    "tests/model/test_codegen.py": "sepsistwin",
    "tests/model/test_reynolds2006.py": "reynolds2006",
    "tests/model/test_sbml.py": "reynolds2006",
    "tests/population/": "sepsistwin",
    "tests/report/": "reynolds2006",
    "tests/solve/": "reynolds2006",
    "tests/solve/test_batch_api.py": "test_two_decay",
    "tests/solve/test_doses.py": "test_two_decay",
    "tests/solve/test_stiff.py": "test_two_decay",
    "tests/trial/test_runner.py": "reynolds2006",
    "tests/trial/test_sepsistwin_simulator.py": "sepsistwin",
    "src/sepsistwin/solve/": "reynolds2006",
}

#: Order in which the variants' groups are handed out: longest compilation first.
KERNEL_PRIORITY = ("sepsistwin", "reynolds2006", "test_two_decay")

_ROOT = os.path.dirname(os.path.abspath(__file__))

#: Not collected for docstring examples: importing it rewrites the shipped example files.
collect_ignore = ["src/sepsistwin/examples/__main__.py"]


def kernel_of(item: pytest.Item) -> str | None:
    """The kernel variant ``item`` is tagged with: its ``kernel`` marker, else ``KERNEL_OF``."""
    mark = item.get_closest_marker("kernel")
    if mark is not None:
        return str(mark.args[0])
    rel = os.path.relpath(str(item.path), _ROOT).replace(os.sep, "/")
    best = ""
    for prefix in KERNEL_OF:
        if rel.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return KERNEL_OF[best] if best else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group each variant's tests for ``--dist loadgroup``, slowest-compiling variant first."""
    rank = {name: i for i, name in enumerate(KERNEL_PRIORITY)}
    variants = {id(item): kernel_of(item) for item in items}
    grouping = config.pluginmanager.hasplugin("xdist")
    for item in items:
        variant = variants[id(item)]
        if grouping and variant is not None:
            item.add_marker(pytest.mark.xdist_group(f"kernel-{variant}"))

    def order(item: pytest.Item) -> int:
        v = variants[id(item)]
        return len(rank) if v is None else rank.get(v, len(rank) - 1)

    items.sort(key=order)  # stable: file order kept within each group


# --- Which variants a test really loads (checked against its tag) ---------------------------


class KernelTagWarning(pytest.PytestWarning):
    """A test loaded a kernel variant its tag does not cover (xdist may compile it twice)."""


class _RecordingDict(dict):  # type: ignore[type-arg]
    """The compiler's table of loaded kernels, noting every key looked up or stored."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.seen: set[str] = set()

    def __contains__(self, key: object) -> bool:
        self.seen.add(str(key))
        return super().__contains__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.seen.add(str(key))
        super().__setitem__(key, value)


def _covered(tag: str | None, used: str) -> bool:
    """Whether a test tagged ``tag`` may load ``used`` without risking a second compilation.

    The slowest variant's worker may load the others (they are compiled first elsewhere); a
    tagged group may load ``reynolds2006``, whose group is handed out before it.
    """
    if used == tag:
        return True
    if tag is None or used not in KERNEL_PRIORITY:
        return False
    return tag == KERNEL_PRIORITY[0] or used == KERNEL_PRIORITY[1]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Warn when a test's fixtures load a kernel variant its tag does not cover."""
    yield from _check_kernel_tag(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Warn when a test loads a kernel variant its tag does not cover."""
    yield from _check_kernel_tag(item)


def _check_kernel_tag(item: pytest.Item) -> Generator[None, None, None]:
    try:
        from sepsistwin.solve import compile as compile_module
    except ImportError:  # pragma: no cover - package not installed
        yield
        return
    table = getattr(compile_module, "_LOADED", None)
    if not isinstance(table, dict):  # the compiler changed: nothing to check against
        yield
        return
    recorder = _RecordingDict(table)
    compile_module._LOADED = recorder
    try:
        yield
    finally:
        table.update(recorder)
        compile_module._LOADED = table
    tag = kernel_of(item)
    for key in sorted(recorder.seen):
        name = getattr(table.get(key), "__name__", "")
        used = name.removeprefix("sepsistwin_kernel_").rsplit("_l", 1)[0]
        if used and not _covered(tag, used):
            item.warn(
                KernelTagWarning(
                    f"loads kernel {used!r} but is tagged {tag!r}: add it to KERNEL_OF in "
                    "conftest.py, or mark it slow if the variant is compiled for it alone"
                )
            )
