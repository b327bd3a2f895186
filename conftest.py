"""Test-session plumbing shared by ``tests/`` and the docstring examples in ``src/``.

Compiled kernels. Integrating a model needs its kernel compiled by Numba (minutes for the full
``sepsistwin`` model, about a minute for any other, on a cold cache; well under a second once
cached in ``$SEPSISTWIN_CACHE``). Under pytest-xdist two workers that reach an uncompiled
variant at the same time would both compile it. So every test file that integrates is tagged
with the variant it needs (``KERNEL_OF`` below), and with ``--dist loadgroup`` the scheduler
here hands each variant's tests to one worker as one unit, the slowest-compiling variant first;
tests that integrate nothing are spread one by one. A file that also needs a second variant is
tagged with the slower one: the other worker has compiled the faster one by then. A test that
loads a variant its tag does not cover still passes, with a ``KernelTagWarning`` naming it.

Markers (registered in ``pyproject.toml``): ``slow`` and ``integration`` tests are left out of
``make test`` and run by ``make test-slow``.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

#: Kernel variant (model name) of each test file or docstring-example module that integrates,
#: by path relative to the repository root; the most specific prefix wins. Variants compiled in
#: ``make test``: ``sepsistwin`` (the full model, the slowest to compile), ``reynolds2006`` and
#: the solver tests' ``test_two_decay``.
KERNEL_OF: dict[str, str] = {
    "tests/cli/test_compile_cli.py": "reynolds2006",
    "tests/cli/test_optimize_cli.py": "sepsistwin",
    "tests/control/": "sepsistwin",
    "tests/cli/test_demo_cli.py": "sepsistwin",
    "tests/cli/test_simulate_cli.py": "reynolds2006",
    "tests/cli/test_simulate_summary_cli.py": "sepsistwin",
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
    "tests/trial/test_no_effect_and_dose_ranges.py": "reynolds2006",
    "tests/trial/test_power.py": "reynolds2006",
    "tests/trial/test_runner.py": "reynolds2006",
    "tests/trial/test_script_safety.py": "reynolds2006",
    "tests/trial/test_sepsistwin_simulator.py": "sepsistwin",
    "tests/twin/": "sepsistwin",
    "tests/cli/test_twin_cli.py": "sepsistwin",
    "tests/cli/test_recommend_cli.py": "sepsistwin",
    "tests/validation/": "sepsistwin",
    "tests/web/": "sepsistwin",
    "src/sepsistwin/solve/": "reynolds2006",
    "src/sepsistwin/twin/": "sepsistwin",
    "src/sepsistwin/control/": "sepsistwin",
}

#: Order in which the variants' groups are handed out: longest compilation first.
KERNEL_PRIORITY = ("sepsistwin", "reynolds2006", "test_two_decay")

_ROOT = os.path.dirname(os.path.abspath(__file__))

#: Not collected for docstring examples: importing it rewrites the shipped example files.
collect_ignore = ["src/sepsistwin/examples/__main__.py"]


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """Leave ``conftest.py`` files out of the docstring-example collection.

    They are loaded as conftests anyway; collecting one again as a module named ``conftest``
    clashes with the other folders' ``conftest`` modules.
    """
    return True if collection_path.name == "conftest.py" else None


def kernel_of(path: str) -> str | None:
    """The kernel variant (model name) the tests in ``path`` are tagged with, if any.

    ``path``: a test's file, absolute or relative to the repository root, or its node id.
    """
    rel = path.split("::", 1)[0]
    if os.path.isabs(rel):
        rel = os.path.relpath(rel, _ROOT)
    rel = rel.replace(os.sep, "/")
    best = ""
    for prefix in KERNEL_OF:
        if rel.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return KERNEL_OF[best] if best else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order tests by variant, slowest-compiling first, then the tests that integrate nothing.

    The scheduler below hands out work in this order, so the slowest compilation starts first.
    """
    rank = {name: i for i, name in enumerate(KERNEL_PRIORITY)}

    def order(item: pytest.Item) -> int:
        variant = kernel_of(str(item.path))
        return len(rank) if variant is None else rank.get(variant, len(rank) - 1)

    items.sort(key=order)  # stable: file order kept within each variant


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadgroup``: one work unit per kernel variant, every other test alone.

    pytest-xdist's own ``loadgroup`` reads ``xdist_group`` marks through ``item._nodeid``,
    which pytest 9 no longer uses for node ids, so it would not group at all; this scheduler
    groups by file (``KERNEL_OF``) instead, which the controller can read from node ids.
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class KernelScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """LoadScopeScheduling whose scope is the test's kernel variant, else the test."""

        def _split_scope(self, nodeid: str) -> str:
            variant = kernel_of(nodeid)
            return nodeid if variant is None else f"kernel-{variant}"

    config.option.loadscopereorder = False  # keep the collection order above
    return KernelScheduling(config, log)


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
    if item.get_closest_marker("slow") is not None:  # may compile a variant of its own
        yield
        return
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
    tag = kernel_of(str(item.path))
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
