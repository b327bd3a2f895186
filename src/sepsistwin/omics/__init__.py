"""Transcriptomic endotypes of sepsis from whole-blood gene expression.

- SRS1/SRS2/SRS3 and the quantitative SRSq (Davenport 2016 7-gene and Cano-Gamez 2022 19-gene
  signatures, with SepstratifieR's labelled reference sets);
- Sweeney 2018 Inflammopathic / Adaptive / Coagulopathic module scores;
- MARS1-4 (Scicluna 2017) ratio pairs.

Signatures, gene maps and reference sets are data (``omics/data``) with their sources and
licences; docs/endotypes.md describes what each endotype means and what sepsistwin does with it.
"""

from __future__ import annotations

from sepsistwin.omics.endotype import DEFAULT_METHODS, EndotypeResult, endotype
from sepsistwin.omics.expression import (
    Expression,
    check_scale,
    expression_from_frame,
    read_expression,
    read_samples,
)
from sepsistwin.omics.genes import GENE_MAP_VERSION, GeneMap, load_gene_map
from sepsistwin.omics.integration import add_endotypes, twin_prior
from sepsistwin.omics.signatures import Signature, load_signatures

__all__ = [
    "DEFAULT_METHODS",
    "GENE_MAP_VERSION",
    "EndotypeResult",
    "Expression",
    "GeneMap",
    "Signature",
    "add_endotypes",
    "check_scale",
    "endotype",
    "expression_from_frame",
    "load_gene_map",
    "load_signatures",
    "read_expression",
    "read_samples",
    "twin_prior",
]
