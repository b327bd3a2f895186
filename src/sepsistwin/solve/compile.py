"""Compile a model's generated hooks together with the integration kernel, cached on disk.

The module for a model fills :data:`MODULE_TEMPLATE`: the model's generated
``rhs``/``jac``/``observables_series`` source, then the sources of ``_vmath.py`` (vector powers),
``_tableau.py`` (the methods' coefficients) and ``_kernel.py`` (up to its model-hooks section,
which imports the test problem's hooks and the coefficients' names instead). It is
written once to the cache directory (``$SEPSISTWIN_CACHE`` or ``~/.cache/sepsistwin``) under a
name keyed by a hash of that source, the Numba version and the model fingerprint; Numba's
``cache=True`` then stores the machine code beside it, so later processes load it in well under
a second instead of compiling.

A kernel is compiled in a child process, and every process, the one that asked for it
included, loads its machine code from the cache (see :func:`load_compiled`): with fused
multiply-add contraction allowed, a function compiled into different modules can round
differently, and which copy runs depends on what a process compiled or loaded first, so a
process that had compiled the kernel itself integrated differently from one that loaded it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import string
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numba

from sepsistwin.solve import _kernel, _tableau, _vmath

_LOCK = threading.Lock()
_LOADED: dict[str, ModuleType] = {}


class CompilableModel(Protocol):
    """What the compiler needs from a model (``sepsistwin.model.Model`` satisfies it)."""

    name: str

    @property
    def fingerprint(self) -> str: ...

    @property
    def state_names(self) -> tuple[str, ...]: ...


def cache_dir() -> Path:
    """Directory holding generated modules and Numba's compiled code.

    ``$SEPSISTWIN_CACHE`` if set, else ``~/.cache/sepsistwin``; a temporary directory if neither
    is writable.
    """
    env = os.environ.get("SEPSISTWIN_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "sepsistwin"
    try:
        (base / "kernels").mkdir(parents=True, exist_ok=True)
        probe = base / "kernels" / f".probe{os.getpid()}"
        probe.write_text("")
        probe.unlink()
        return base / "kernels"
    except OSError:
        fallback = Path(tempfile.gettempdir()) / "sepsistwin-cache" / "kernels"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


#: The module compiled for a model: its generated hooks (constants, ``derive``, ``rhs``,
#: ``rhs_lanes``, ``jac``, ``observables_series``), then the vector powers of ``_vmath.py``, the
#: methods' coefficients of ``_tableau.py`` and the kernel of ``_kernel.py``, each from after its
#: ``__future__`` import (the kernel up to its model-hooks section, whose names the generated
#: hooks and the tableau section define instead).
MODULE_TEMPLATE = string.Template(
    "$hooks\n\n"
    "# ---- vector powers (sepsistwin/solve/_vmath.py) ----\n"
    "$vmath\n\n"
    "# ---- method coefficients (sepsistwin/solve/_tableau.py) ----\n"
    "$tableau\n\n"
    "# ---- integration kernel (sepsistwin/solve/_kernel.py) ----\n"
    "$kernel"
)
_FUTURE = "from __future__ import annotations\n"
_KERNEL_HOOKS = "# ---- model hooks ---"


def _section(module: ModuleType, end: str | None = None) -> str:
    """The source of ``module`` after its ``__future__`` import, up to the line starting ``end``."""
    text = Path(str(module.__file__)).read_text()
    _, found, body = text.partition(_FUTURE)
    if not found:  # pragma: no cover - guarded by the kernel tests
        raise RuntimeError(f"{module.__name__}: no '{_FUTURE.strip()}' line to start from")
    if end is not None:
        body, found, _ = body.partition("\n" + end)
        if not found:  # pragma: no cover - guarded by the kernel tests
            raise RuntimeError(f"{module.__name__}: no line starting {end!r}")
    return body.strip("\n") + "\n"


def kernel_source() -> str:
    """The model-independent part of a compiled module: vector powers, coefficients, kernel.

    Examples
    --------
    >>> src = kernel_source()
    >>> "def integrate_chunk(" in src and "sepsistwin.solve._hooks" not in src
    True
    """
    return "\n\n".join((_section(_vmath), _section(_tableau), _section(_kernel, _KERNEL_HOOKS)))


def module_source(hooks: str) -> str:
    """The module compiled for a model with generated hooks ``hooks`` (:data:`MODULE_TEMPLATE`).

    Examples
    --------
    >>> module_source("N_STATES = 2").startswith("N_STATES = 2")
    True
    """
    return MODULE_TEMPLATE.substitute(
        hooks=hooks.strip("\n"),
        vmath=_section(_vmath),
        tableau=_section(_tableau),
        kernel=_section(_kernel, _KERNEL_HOOKS),
    )


def default_lanes(n_states: int) -> int:
    """Patients integrated side by side per thread for a model with ``n_states`` states.

    Interleaving hides the latency of a small model's right-hand side (a chain of divisions)
    (docs/architecture.md: Reynolds, 4 states, integrates ~1.5x faster with 8 lanes than with
    one). A large model's right-hand side has instruction-level parallelism of its own: the
    full sepsistwin model gained nothing from 2 or 4 lanes, so it keeps one.
    """
    return 8 if n_states <= LANES_MAX_STATES else 1


#: Models up to this many states get 8 lanes (see ``default_lanes``).
LANES_MAX_STATES = 8


def _module_key(model: Any, lanes: int) -> str:
    from sepsistwin.model.codegen import CODEGEN_VERSION

    h = hashlib.sha256()
    for part in (
        f"lanes={lanes}",
        model.fingerprint,
        kernel_source(),
        numba.__version__,
        CODEGEN_VERSION,
        sys.version,
    ):
        h.update(part.encode())
    return h.hexdigest()[:20]


def is_compiled(model: Any, lanes: int | None = None) -> bool:
    """True when ``model``'s kernel is loaded in this process or its machine code is in the
    disk cache (Numba's index files beside the generated module), so using it costs well under
    a second; False when the first use will compile it. Lets a caller say that it waits.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> is_compiled(get_model("reynolds2006")) in (True, False)
    True
    """
    if lanes is None:
        lanes = default_lanes(len(model.state_names))
    key = _module_key(model, lanes)
    if key in _LOADED and any(getattr(f, "signatures", None) for f in vars(_LOADED[key]).values()):
        return True
    return _in_disk_cache(_module_name(model, lanes))


#: Set in the environment of the child process that compiles a kernel (``_compile_in_child``).
_CHILD_ENV = "SEPSISTWIN_KERNEL_CHILD"


def _compile_in_child(model: Any, lanes: int) -> bool:
    """Compile ``model``'s kernel into the disk cache in a child process; True if it is there.

    Why: Numba compiles every function of the module into its own library and links copies of
    the callees into each caller; the JIT binds a call to the first definition of a symbol it
    has loaded. A process that compiles ``integrate_chunk`` has loaded each callee's own library
    first and runs those; a process that loads ``integrate_chunk`` from the cache runs the
    copies inside it. With fused multiply-add contraction (``FASTMATH``) copies optimised in
    different modules can round differently (full model, trial patients: trajectories up to
    ~6e-3 relative apart, step counts ~6-17 % apart; Reynolds agreed bit for bit). Compiling in
    a child makes every process run ``integrate_chunk`` as loaded from the cache.

    Only for a registered model (``get_model(model.name)`` has the same fingerprint): the child
    builds it by name. Returns False without trying for other models, inside the child itself,
    or when the child fails (the caller then compiles in this process).
    """
    if os.environ.get(_CHILD_ENV):
        return False
    from sepsistwin.model import get_model

    try:
        if get_model(model.name).fingerprint != model.fingerprint:
            return False
    except ValueError:  # not a registered model
        return False
    code = (
        "import numpy as np\n"
        "from sepsistwin.solve import SolverOptions, simulate\n"
        f"simulate({model.name!r}, t_eval=np.array([0.0, 1.0]), "
        f"options=SolverOptions(lanes={int(lanes)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, _CHILD_ENV: "1"},
        capture_output=True,
        check=False,
    )
    return done.returncode == 0 and _in_disk_cache(_module_name(model, lanes))


def _module_name(model: Any, lanes: int) -> str:
    safe_name = "".join(c if c.isalnum() else "_" for c in model.name)
    return f"sepsistwin_kernel_{safe_name}_l{lanes}_{_module_key(model, lanes)}"


def _in_disk_cache(mod_name: str) -> bool:
    return any((cache_dir() / "__pycache__").glob(f"{mod_name}.integrate_chunk-*.nbi"))


def load_compiled(model: Any, lanes: int | None = None) -> ModuleType:
    """Return the compiled module (``integrate_chunk``, ``observables_series``, ...) for ``model``.

    ``lanes``: patients integrated side by side per thread (default ``default_lanes``); results
    do not depend on it.

    A kernel not yet in the disk cache is compiled in a child process first
    (``_compile_in_child``), so this process runs the cached machine code like every later one.

    Examples
    --------
    >>> from sepsistwin.model import get_model
    >>> mod = load_compiled(get_model("reynolds2006"))
    >>> mod.N_STATES
    4
    """
    if lanes is None:
        lanes = default_lanes(len(model.state_names))
    if lanes < 1:
        raise ValueError(f"lanes must be >= 1, got {lanes}")
    key = _module_key(model, lanes)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        directory = cache_dir()
        mod_name = _module_name(model, lanes)
        path = directory / f"{mod_name}.py"
        if not path.exists():
            from sepsistwin.model.codegen import numba_hooks_source

            source = module_source(numba_hooks_source(model, lanes))
            tmp = directory / f".{mod_name}.{os.getpid()}.tmp"
            tmp.write_text(source)
            os.replace(tmp, path)  # atomic: concurrent processes see a whole file
        if not _in_disk_cache(mod_name):
            _compile_in_child(model, lanes)
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - importlib contract
            raise ImportError(f"cannot load generated kernel {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        _LOADED[key] = module
        return module
