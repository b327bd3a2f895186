"""Example expression data made by sepsistwin, for the demo, docs and tests.

``data/example_expression.csv`` is written by :func:`write_example` (``python -m
sepsistwin.omics.examples``): the 19 SRS genes of 40 samples of SepstratifieR's ``test_data``
(COMBAT study whole-blood RNA-seq, log counts; MIT licence) with Ensembl ids, plus every Sweeney and
MARS gene drawn from a seeded normal distribution on the log2 scale with HGNC symbols. The sample
sheet assigns them to 20 patients on days 0 and 2.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sepsistwin.omics.genes import load_gene_map
from sepsistwin.omics.signatures import load_signatures

_DATA = resources.files("sepsistwin.omics").joinpath("data")


def example_expression_path() -> Path:
    """Path of the packaged example gene x sample matrix (CSV)."""
    return Path(str(_DATA.joinpath("example_expression.csv")))


def example_samples_path() -> Path:
    """Path of the packaged example sample sheet (``sample_id, patient_id, day``)."""
    return Path(str(_DATA.joinpath("example_samples.csv")))


def srs_test_data() -> pd.DataFrame:
    """SepstratifieR's ``test_data``: 143 samples x 19 Ensembl ids (log counts, COMBAT study)."""
    with resources.as_file(_DATA.joinpath("srs_test_data.parquet")) as p:
        return pd.read_parquet(p).set_index("sample_id")


def synthetic_expression(
    n_samples: int, *, seed: int = 0, genes: list[str] | None = None, mean: float = 8.0
) -> pd.DataFrame:
    """A gene x sample log2 matrix (first column ``gene``) of random values for tests.

    Examples
    --------
    >>> synthetic_expression(3, genes=["ZAP70"]).columns.tolist()
    ['gene', 's1', 's2', 's3']
    """
    rng = np.random.default_rng(seed)
    names = genes or sorted({g for s in load_signatures().values() for g in s.genes})
    values = rng.normal(mean, 1.0, size=(len(names), n_samples))
    frame = pd.DataFrame(values, columns=[f"s{i + 1}" for i in range(n_samples)])
    frame.insert(0, "gene", names)
    return frame


def write_example(out_dir: Path | None = None, n_samples: int = 40) -> tuple[Path, Path]:
    """Write the example matrix and sample sheet (deterministic)."""
    out = out_dir or Path(str(_DATA))
    test = srs_test_data().iloc[:n_samples]
    srs_part = test.T
    srs_part.index.name = "gene"
    gmap = load_gene_map()
    srs_symbols = {gmap.resolve(e) for e in srs_part.index}
    others = sorted({g for s in load_signatures().values() for g in s.genes} - srs_symbols - {None})
    synth = synthetic_expression(n_samples, seed=2026, genes=[str(g) for g in others])
    synth.columns = ["gene", *test.index]
    matrix = pd.concat([srs_part.reset_index(), synth], ignore_index=True)
    expr_path = out / "example_expression.csv"
    matrix.round(5).to_csv(expr_path, index=False)
    sheet = pd.DataFrame(
        {
            "sample_id": test.index,
            "patient_id": [f"P{(i // 2) + 1:02d}" for i in range(n_samples)],
            "day": [0 if i % 2 == 0 else 2 for i in range(n_samples)],
        }
    )
    samples_path = out / "example_samples.csv"
    sheet.to_csv(samples_path, index=False)
    return expr_path, samples_path


if __name__ == "__main__":  # pragma: no cover
    for p in write_example():
        print(p)
