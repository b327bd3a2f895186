"""Endotype signatures as data (``data/signatures.yaml``): genes, sources, licences, status."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

#: Platforms an expression matrix can come from.
PLATFORMS = ("rnaseq", "microarray", "qpcr")


@dataclass(frozen=True)
class Signature:
    """One endotype method: its genes, classes and where they come from.

    Attributes
    ----------
    id : str
        Key in ``signatures.yaml`` (``srs_davenport``, ``srs_extended``, ``sweeney``, ``mars``).
    kind : str
        ``reference_projection`` (SRS), ``module_scores`` (Sweeney) or ``ratio_pairs`` (MARS).
    gene_sets : dict of str to tuple of str
        Named gene sets (``predictors``; ``<class>_up`` / ``<class>_down``), HGNC symbols.
    """

    id: str
    label: str
    kind: str
    classes: tuple[str, ...]
    gene_sets: dict[str, tuple[str, ...]]
    platforms: tuple[str, ...]
    expected_scale: str
    sources: tuple[str, ...]
    transcribed_from: str
    licence: str
    status: str
    max_missing: int | None = None
    max_missing_fraction: float | None = None
    min_samples: int = 1
    reference: str | None = None
    class_rule: str | None = None
    class_rule_status: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)
    note: str | None = None

    @property
    def genes(self) -> tuple[str, ...]:
        """Every distinct gene of the signature, in file order."""
        seen: dict[str, None] = {}
        for genes in self.gene_sets.values():
            for g in genes:
                seen.setdefault(g, None)
        return tuple(seen)

    def allowed_missing(self) -> int:
        """How many of :attr:`genes` may be absent before the signature is refused."""
        if self.max_missing is not None:
            return self.max_missing
        frac = self.max_missing_fraction or 0.0
        return int(frac * len(self.genes))


def _signature(key: str, raw: dict[str, Any]) -> Signature:
    return Signature(
        id=key,
        label=raw["label"],
        kind=raw["kind"],
        classes=tuple(raw["classes"]),
        gene_sets={k: tuple(v) for k, v in raw["gene_sets"].items()},
        platforms=tuple(raw["platforms"]),
        expected_scale=raw["expected_scale"],
        sources=tuple(raw["sources"]),
        transcribed_from=raw["transcribed_from"],
        licence=raw["licence"],
        status=raw["status"],
        max_missing=raw.get("max_missing"),
        max_missing_fraction=raw.get("max_missing_fraction"),
        min_samples=int(raw.get("min_samples", 1)),
        reference=raw.get("reference"),
        class_rule=raw.get("class_rule"),
        class_rule_status=raw.get("class_rule_status"),
        renamed=dict(raw.get("renamed", {})),
        note=raw.get("note"),
    )


@lru_cache(maxsize=1)
def load_signatures() -> dict[str, Signature]:
    """The packaged signatures, by id.

    Examples
    --------
    >>> sigs = load_signatures()
    >>> sigs["srs_davenport"].genes
    ('ARL14EP', 'CCNB1IP1', 'DYRK2', 'ADGRE3', 'MDC1', 'TDRD9', 'ZAP70')
    >>> sorted(sigs)
    ['mars', 'srs_davenport', 'srs_extended', 'sweeney']
    """
    text = resources.files("sepsistwin.omics").joinpath("data/signatures.yaml").read_text()
    raw = yaml.safe_load(text)["signatures"]
    return {key: _signature(key, value) for key, value in raw.items()}
