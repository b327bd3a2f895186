"""Preset models registered by name (``get_model("reynolds2006")``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sepsistwin.model.model import Model

_FACTORIES: dict[str, Callable[[], Model]] = {}


def register_model(name: str) -> Callable[[Callable[[], Model]], Callable[[], Model]]:
    """Decorator registering a zero-argument model factory under ``name``.

    Examples
    --------
    >>> from sepsistwin.model import ModelBuilder
    >>> @register_model("doc_decay")
    ... def _decay():
    ...     return ModelBuilder("doc_decay").add_state("x", "1", 1.0).add_term("x", "-x").build()
    >>> get_model("doc_decay").state_names
    ('x',)
    """

    def deco(factory: Callable[[], Model]) -> Callable[[], Model]:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise ValueError(f"a model named {name!r} is already registered")
        _FACTORIES[name] = factory
        _build.cache_clear()
        return factory

    return deco


def _load_presets() -> None:
    # Importing the presets package registers the built-in models.
    import sepsistwin.model.presets  # noqa: F401


@cache
def _build(name: str) -> Model:
    return _FACTORIES[name]()


def get_model(name: str) -> Model:
    """Return the registered model ``name`` (built once, then shared: models are immutable).

    Raises ``ValueError`` listing the registered names if ``name`` is unknown.

    Examples
    --------
    >>> get_model("reynolds2006").name
    'reynolds2006'
    """
    _load_presets()
    if name not in _FACTORIES:
        raise ValueError(f"unknown model {name!r}; available models: {list_models()}")
    return _build(name)


def list_models() -> list[str]:
    """Names of all registered models, sorted."""
    _load_presets()
    return sorted(_FACTORIES)
