"""Gene identifiers: symbols, previous symbols, Ensembl ids."""

from __future__ import annotations

import pandas as pd

from sepsistwin.omics import load_gene_map, load_signatures
from sepsistwin.omics.examples import srs_test_data


def test_previous_symbols_resolve_to_the_current_symbol() -> None:
    m = load_gene_map()
    assert m.resolve("EMR3") == "ADGRE3"
    assert m.resolve("GLTSCR2") == "NOP53"
    assert m.resolve("TWISTNB") == "POLR1F"
    assert m.resolve("C11orf46") == "ARL14EP"


def test_ensembl_ids_resolve_with_or_without_version_and_case() -> None:
    m = load_gene_map()
    assert m.resolve("ENSG00000115085") == "ZAP70"
    assert m.resolve("ENSG00000115085.14") == "ZAP70"
    assert m.resolve("ensg00000131355") == "ADGRE3"
    assert m.resolve(" zap70 ") == "ZAP70"


def test_unknown_identifiers_resolve_to_none() -> None:
    m = load_gene_map()
    assert m.resolve("NOT_A_GENE") is None
    assert m.resolve("ENSG99999999999") is None


def test_every_signature_gene_is_in_the_map() -> None:
    m = load_gene_map()
    for sig in load_signatures().values():
        for g in sig.genes:
            assert g in m.ensembl_of, f"{sig.id}: {g} not in gene_map.csv"


def test_map_agrees_with_sepstratifier_ensembl_ids() -> None:
    # SepstratifieR names its 19 predictors by Ensembl id; the HGNC-derived map must agree.
    m = load_gene_map()
    symbols = {m.resolve(c) for c in srs_test_data().columns}
    assert symbols == set(load_signatures()["srs_extended"].genes)


def test_gene_map_file_has_one_row_per_symbol() -> None:
    from importlib import resources

    path = resources.files("sepsistwin.omics").joinpath("data/gene_map.csv")
    frame = pd.read_csv(str(path))
    assert frame["symbol"].is_unique
    assert frame["ensembl_gene_id"].str.match(r"^ENSG\d{11}$").all()
