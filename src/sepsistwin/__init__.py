"""sepsistwin: immune rebalancing in septic shock.

Assess a patient's timeline (SOFA, Sepsis-3, septic shock, immune phenotype),
recommend phenotype-matched immunotherapy from a cited evidence base, simulate
a mechanistic immune model with every therapy's PK/PD, and run in-silico
trials on virtual populations.

Research software: every output is decision support, never a clinical order.
"""

from __future__ import annotations

__version__ = "0.1.0"

DISCLAIMER = (
    "Research decision support only: not a prescription or clinical order. "
    "Every option must be judged by the treating clinician."
)

# Public API, imported lazily so `import sepsistwin` stays fast: name -> module.
_LAZY = {
    "assess": "sepsistwin.api",
    "endotype": "sepsistwin.omics",
    "load_timeline": "sepsistwin.api",
    "simulate": "sepsistwin.solve",
    "simulate_batch": "sepsistwin.solve",
    "recommend": "sepsistwin.recommend",
    "sample_population": "sepsistwin.population",
    "run_trial": "sepsistwin.trial",
    "optimize": "sepsistwin.control",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sepsistwin' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["DISCLAIMER", "__version__", *_LAZY]
