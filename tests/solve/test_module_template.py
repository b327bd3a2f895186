"""The compiled module of a model is an explicit template: hooks, vector powers, kernel."""

from __future__ import annotations

import ast

from sepsistwin.solve import _kernel
from sepsistwin.solve.compile import MODULE_TEMPLATE, kernel_source, module_source

HOOK_NAMES = {
    "LANES",
    "N_DERIVED",
    "N_PARAMETERS",
    "N_STATES",
    "USES_TIME",
    "derive",
    "jac",
    "observables_series",
    "rhs",
    "rhs_lanes",
}


def test_the_template_names_its_four_parts_in_order() -> None:
    assert MODULE_TEMPLATE.get_identifiers() == ["hooks", "vmath", "tableau", "kernel"]


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {a.asname or a.name for a in node.names}
    return names


def test_the_kernel_part_leaves_the_hooks_to_the_model() -> None:
    assert not HOOK_NAMES & _top_level_names(ast.parse(kernel_source()))
    # ... while the kernel module itself, imported as is, runs on the test problem's hooks.
    assert all(hasattr(_kernel, name) for name in HOOK_NAMES)


def test_a_module_is_the_hooks_followed_by_valid_python_of_the_kernel() -> None:
    hooks = "N_STATES = 2\nLANES = 1\n"
    src = module_source(hooks)
    assert src.startswith(hooks)
    ast.parse(src)
    assert "def integrate_chunk(" in src and "def pow4(" in src
    assert "from __future__" not in src
