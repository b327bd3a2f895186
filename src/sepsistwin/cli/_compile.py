"""Say so, with a spinner, when a command waits for a model's kernel to compile.

The first use of a model compiles its integration kernel (Numba) and caches the machine code
on disk; later processes load it in under a second. :func:`ensure_compiled` compiles it up
front, under a spinner that says how long it usually takes, so no command sits silent; the
time it took is kept beside the cache and becomes the next estimate.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Console

#: First-compile estimates (seconds) when none was measured on this machine: the full model
#: took about 270 s on 2 cores, the four-state Reynolds model about 60 s.
_DEFAULT_SECONDS = {"small": 60.0, "large": 270.0}
_TIMES_FILE = "compile_seconds.json"


def _times_path() -> Any:
    from sepsistwin.solve.compile import cache_dir

    return cache_dir() / _TIMES_FILE


def _estimate(model: Any) -> float:
    try:
        measured = json.loads(_times_path().read_text()).get(model.name)
    except (OSError, ValueError):
        measured = None
    if isinstance(measured, int | float) and measured > 0:
        return float(measured)
    return _DEFAULT_SECONDS["small" if len(model.state_names) <= 8 else "large"]


def _remember(model: Any, seconds: float) -> None:
    path = _times_path()
    try:
        times = json.loads(path.read_text()) if path.exists() else {}
        times[model.name] = round(seconds, 1)
        path.write_text(json.dumps(times, indent=1) + "\n")
    except (OSError, ValueError):
        pass  # an estimate only


def ensure_compiled(model_name: str, console: Console) -> float:
    """Compile ``model_name``'s kernel now if it is not in the cache, showing a spinner (or,
    off a terminal, one line) that names the model and the expected wait. Returns the seconds
    spent compiling (0 when it was cached)."""
    import numpy as np

    from sepsistwin.model import get_model
    from sepsistwin.solve import simulate
    from sepsistwin.solve.compile import is_compiled

    model = get_model(model_name)
    if is_compiled(model):
        return 0.0
    estimate = _estimate(model)
    message = (
        f"compiling the model '{model.name}' ({len(model.state_names)} states), one time, "
        f"about {estimate:.0f} s; later runs load it from the cache"
    )
    started = time.perf_counter()
    if console.is_terminal:
        with console.status(message, spinner="dots"):
            simulate(model, t_eval=np.array([0.0, 1.0]))
    else:
        console.print(message, highlight=False, soft_wrap=True)
        simulate(model, t_eval=np.array([0.0, 1.0]))
    seconds = time.perf_counter() - started
    _remember(model, seconds)
    console.print(f"compiled '{model.name}' in {seconds:.0f} s", highlight=False)
    return seconds
