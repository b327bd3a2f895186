"""Example trial specifications shipped with the package (``sepsistwin/examples/trials``).

Examples
--------
>>> "provide-like" in list_examples()
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _folder() -> Path:
    return Path(str(resources.files("sepsistwin.examples"))) / "trials"


def list_examples() -> list[str]:
    """Names of the example trials (file names without ``.yaml``), sorted."""
    return sorted(p.stem for p in _folder().glob("*.yaml"))


def example_spec_path(name: str) -> Path:
    """Path of the example trial ``name``; ``KeyError`` listing the examples if unknown."""
    path = _folder() / f"{name}.yaml"
    if not path.exists():
        raise KeyError(f"no example trial {name!r}; examples: {', '.join(list_examples())}")
    return path
