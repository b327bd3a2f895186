"""The package's import graph is one-directional: every package imports only the layers below it.

Two chains meet at the interfaces: patient data to recommendation (data -> clinical ->
evidence / recommend) and the mechanistic model to trials (dosing -> model -> solve ->
population -> trial -> report), with the interfaces (api, web, cli) on top. The simulation side
may use the clinical side (a virtual patient is assessed by the same clinical code); nothing
points back down. Read from the source (every ``import`` and ``from ... import``, including
those inside functions), so a lazy import cannot hide an edge.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sepsistwin"

CLINICAL = {"data", "clinical", "evidence", "recommend", "omics", "examples"}
SIMULATION = {"dosing", "model", "solve", "population", "validation", "trial", "store"}

#: package -> packages of sepsistwin it may import (each row: the layers below it).
ALLOWED: dict[str, set[str]] = {
    "data": set(),
    "dosing": set(),
    "store": set(),
    "clinical": {"data"},
    "evidence": {"data"},
    "recommend": {"data", "evidence"},
    "omics": {"data"},
    "examples": {"data"},
    "model": {"dosing"},
    "solve": {"dosing", "model"},
    "population": {"data", "clinical", "dosing", "model", "solve"},
    "validation": {"data", "clinical", "dosing", "model", "solve", "population"},
    "trial": {"data", "clinical", "evidence", "dosing", "model", "solve", "population", "store"},
    # The twin conditions the model on one patient: the population is its prior, the clinical
    # rules phenotype its forecasts, the evidence base and recommendations give its what-ifs.
    "twin": {"data", "clinical", "evidence", "recommend", "dosing", "model", "solve", "population"},
    # Control plans therapy on the twin and runs twin-guided trial arms: it sits above both. The
    # trial package finds its arm kind through an entry point (sepsistwin.trial.arms), never an
    # import, so trial stays below control. The Gymnasium environments enrol from the
    # population, observe through the twin's observation model and follow the recommendation
    # rules as a baseline policy.
    "control": CLINICAL | SIMULATION | {"twin"},
    "report": CLINICAL | SIMULATION,
    "api": CLINICAL,
    "web": CLINICAL | SIMULATION | {"report", "api", "twin"},
    "cli": CLINICAL | SIMULATION | {"report", "api", "web", "twin", "control"},
}


def test_the_allowed_edges_form_one_direction_with_no_cycle() -> None:
    order = list(TopologicalSorter(ALLOWED).static_order())  # raises CycleError on a cycle
    assert order.index("model") < order.index("solve") < order.index("population")
    assert order.index("population") < order.index("trial") < order.index("report")
    assert order.index("data") < order.index("clinical") < order.index("recommend")
    assert order.index("report") < order.index("cli") and order.index("web") < order.index("cli")
    assert order.index("trial") < order.index("control")
    assert order.index("population") < order.index("control")
    assert order.index("twin") < order.index("control") and order.index("recommend") < order.index(
        "control"
    )


def test_a_back_edge_would_be_caught_as_a_cycle() -> None:
    with pytest.raises(CycleError):
        list(TopologicalSorter({**ALLOWED, "model": {"dosing", "solve"}}).static_order())


def test_the_model_does_not_read_population_or_calibration_code() -> None:
    # The model is equations and default parameters; calibrated values are data applied when
    # simulating (a parameter set), so get_model() never changes with a calibration.
    for module, names in imported_packages("model").items():
        assert not names & {"population", "trial", "validation"}, module


def imports_of(source: str, package: str) -> set[str]:
    """The packages of sepsistwin (other than ``package``) that ``source`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "sepsistwin" and len(parts) > 1 and parts[1] != package:
                names.add(parts[1])
    return names


def imported_packages(package: str) -> dict[str, set[str]]:
    """``{module path: sepsistwin packages it imports}`` for every module of ``package``."""
    base = SRC / package
    single = base.with_suffix(".py")
    files = [single] if single.exists() else sorted(base.rglob("*.py"))
    return {
        str(path.relative_to(SRC)): imports_of(path.read_text(encoding="utf-8"), package)
        for path in files
    }


def test_the_layers_cover_every_package() -> None:
    packages = {
        p.stem if p.is_file() else p.name
        for p in SRC.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py")
    } - {"__init__"}
    assert packages == set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = {
        module: sorted(names - ALLOWED[package])
        for module, names in imported_packages(package).items()
        if names - ALLOWED[package]
    }
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}: {wrong}"


def test_nothing_but_the_cli_imports_the_cli() -> None:
    for package in set(ALLOWED) - {"cli"}:
        for module, names in imported_packages(package).items():
            assert "cli" not in names, module


def test_the_edge_check_sees_imports_inside_functions() -> None:
    source = (
        "import numpy\n"
        "from sepsistwin.data import CATALOGUE\n"
        "def f():\n"
        "    from sepsistwin.model import get_model\n"
        "    import sepsistwin.solve.batch\n"
    )
    assert imports_of(source, "data") == {"model", "solve"}
