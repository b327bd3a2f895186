"""Benchmark: transcriptomic endotypes of 10,000 samples x 20,000 genes (issue #18: <= 30 s).

A generated log2 matrix (float32, genes as rows: the 59 signature genes, with Ensembl ids for
the SRS genes, among random gene ids) is scored with every method (SRS 7-gene and 19-gene with
mNN alignment, Sweeney, MARS):

  * ``endotype(frame)``: identifier mapping, scale check, all four methods, from memory;
  * ``endotype(path)``: the same from a Parquet file (read included);
  * baseline: the Sweeney scores computed sample by sample (a Python loop over samples, as the
    R reference code's ``apply(m, 2, geomMean)`` does), on the already-selected genes.

Usage: python benchmarks/bench_endotype.py [--samples N] [--genes G] [--no-doc]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _report import machine_description, today, write_section
from sepsistwin.omics import endotype, load_signatures
from sepsistwin.omics.examples import srs_test_data
from sepsistwin.omics.scores import geometric_mean


def make_matrix(n_samples: int, n_genes: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sig_genes = sorted({g for s in load_signatures().values() for g in s.genes})
    srs = srs_test_data()
    ens = list(srs.columns)
    from sepsistwin.omics import load_gene_map

    gmap = load_gene_map()
    srs_symbols = {gmap.resolve(e) for e in ens}
    others = [g for g in sig_genes if g not in srs_symbols]
    filler = [f"ENSG9{i:010d}" for i in range(n_genes - len(ens) - len(others))]
    ids = [*filler[: len(filler) // 2], *ens, *others, *filler[len(filler) // 2 :]]
    values = rng.normal(7.0, 1.5, size=(len(ids), n_samples)).astype(np.float32)
    # SRS genes drawn around SepstratifieR's test data so alignment has real structure.
    base = srs.to_numpy().T
    pick = rng.integers(0, base.shape[1], n_samples)
    start = len(filler) // 2
    values[start : start + len(ens)] = base[:, pick] + rng.normal(0, 0.2, (len(ens), n_samples))
    frame = pd.DataFrame(values, columns=[f"S{i:06d}" for i in range(n_samples)])
    frame.insert(0, "gene", ids)
    return frame


def sweeney_loop(frame: pd.DataFrame) -> np.ndarray:
    sig = load_signatures()["sweeney"]
    sub = frame[frame["gene"].isin(sig.genes)].set_index("gene")
    lo = float(sub.to_numpy().min())
    sub = sub - lo if lo < 0 else sub
    out = np.empty((sub.shape[1], 3))
    for j, col in enumerate(sub.columns):
        x = sub[col]
        for c, cls in enumerate(sig.classes):
            up = x[list(sig.gene_sets[f"{cls.lower()}_up"])].to_numpy()[None, :]
            down = x[list(sig.gene_sets[f"{cls.lower()}_down"])].to_numpy()[None, :]
            out[j, c] = geometric_mean(up)[0] - geometric_mean(down)[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    frame = make_matrix(args.samples, args.genes)
    t_make = time.perf_counter() - t0

    t0 = time.perf_counter()
    res = endotype(frame)
    t_mem = time.perf_counter() - t0
    counts = res.calls.groupby("method")["class"].value_counts().unstack(fill_value=0)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "expr.parquet"
        frame.to_parquet(path, index=False)
        t0 = time.perf_counter()
        endotype(path)
        t_file = time.perf_counter() - t0

    n_loop = min(args.samples, 2_000)
    t0 = time.perf_counter()
    sweeney_loop(frame.iloc[:, : n_loop + 1])
    t_loop = (time.perf_counter() - t0) * args.samples / n_loop

    lines = [
        "## Transcriptomic endotypes (`benchmarks/bench_endotype.py`)",
        "",
        f"{today()}; {machine_description()}.",
        f"Matrix: {args.samples:,} samples x {args.genes:,} genes, float32 log2 values "
        f"(generated in {t_make:.1f} s). All four methods: SRS 7-gene and 19-gene (mNN alignment "
        "to the 3,264 / 3,149-sample reference, then the 20-neighbour vote), Sweeney, MARS.",
        "",
        "| run | wall time |",
        "|---|---|",
        f"| `endotype(frame)` (in memory) | {t_mem:.2f} s |",
        f"| `endotype(path)` (Parquet read included) | {t_file:.2f} s |",
        f"| baseline: Sweeney scores sample by sample (Python loop; "
        f"{n_loop:,} samples timed, scaled) | {t_loop:.1f} s |",
        "",
        "Target (issue #18): <= 30 s on 2 cores. Classes called:",
        "",
        "| method | " + " | ".join(str(c) for c in counts.columns) + " |",
        "|---|" + "---|" * len(counts.columns),
        *[
            f"| {m} | " + " | ".join(str(int(v)) for v in row) + " |"
            for m, row in zip(counts.index, counts.to_numpy(), strict=True)
        ],
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_doc:
        write_section("endotype", text)


if __name__ == "__main__":
    main()
