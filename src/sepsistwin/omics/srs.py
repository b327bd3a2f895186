"""Sepsis response signatures (SRS1/2/3) and the quantitative SRSq.

Davenport et al. 2016 defined SRS1 (immunosuppressed, higher mortality) and SRS2 from whole-blood
transcriptomes; Cano-Gamez et al. 2022 added SRS3 (mostly healthy) and the continuous SRSq
(0 = healthy-like, 1 = most severe), and released SepstratifieR (R, MIT licence). SepstratifieR
aligns the input to a labelled reference set with mutual nearest neighbours (mNN, Haghverdi 2018)
and then applies random forests; the forests (``R/sysdata.rda``) are not shipped here, so after
alignment each sample takes the similarity-weighted vote of its ``k`` most cosine-similar reference
samples, which is SepstratifieR's own single-sample rule (``projectPatient``).

Two modes, as in SepstratifieR:

- ``align`` (>= :data:`MIN_ALIGN_SAMPLES` samples): cosine-normalise, find mNN pairs with the
  reference, subtract the batch vector smoothed with a Gaussian kernel, then project.
- ``project`` (any number): project the sample as given (cosine similarity ignores scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

#: SepstratifieR advises alignment only from this many samples (README: "over 25 samples").
MIN_ALIGN_SAMPLES = 25
#: Neighbours used for alignment (SepstratifieR default k=20) and for the vote (default k=20).
ALIGN_K = 20
VOTE_K = 20
#: Gaussian kernel width on cosine-normalised data (batchelor::mnnCorrect default sigma=0.1).
SIGMA = 0.1


@dataclass(frozen=True)
class Reference:
    """A labelled SepstratifieR reference set (cosine-scaled, mNN-aligned values)."""

    genes: tuple[str, ...]
    values: np.ndarray  # reference samples x genes, unit rows
    srs: np.ndarray  # labels "SRS1"/"SRS2"/"SRS3"
    srsq: np.ndarray


@lru_cache(maxsize=4)
def load_reference(filename: str, ensembl_to_symbol: tuple[tuple[str, str], ...]) -> Reference:
    """Load a packaged reference set; columns are renamed from Ensembl ids to symbols."""
    path = resources.files("sepsistwin.omics").joinpath(f"data/{filename}")
    with resources.as_file(path) as p:
        frame = pd.read_parquet(p)
    rename = dict(ensembl_to_symbol)
    gene_cols = [c for c in frame.columns if c.startswith("ENSG")]
    values = frame[gene_cols].to_numpy(dtype=np.float64)
    return Reference(
        genes=tuple(rename[c] for c in gene_cols),
        values=_cosine_normalise(values),
        srs=frame["SRS"].astype(str).to_numpy(),
        srsq=frame["SRSq"].to_numpy(dtype=np.float64),
    )


def _cosine_normalise(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return x / norm


def _mutual_pairs(x: np.ndarray, ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(sample index, reference index) of the mutual k-nearest-neighbour pairs.

    Rows of both inputs have unit norm, so the nearest neighbours by Euclidean distance are the
    most similar by dot product. Pair (s, r) is mutual when r is among the ``k`` most similar
    reference samples of s and s among the ``k`` most similar input samples of r. Input rows are
    processed in chunks, keeping each reference sample's running top-``k`` similarities, so
    memory stays bounded however many samples are scored.
    """
    n = x.shape[0]
    k_x = min(k, ref.shape[0])
    k_r = min(k, n)
    nn_x = np.empty((n, k_x), dtype=np.int64)
    sim_x = np.empty((n, k_x))
    best_r = np.full((ref.shape[0], k_r), -np.inf)
    for start in range(0, n, 4096):
        sim = x[start : start + 4096] @ ref.T
        top = np.argpartition(-sim, k_x - 1, axis=1)[:, :k_x]
        nn_x[start : start + len(sim)] = top
        sim_x[start : start + len(sim)] = np.take_along_axis(sim, top, axis=1)
        both = np.concatenate([best_r, sim.T], axis=1)
        best_r = -np.partition(-both, k_r - 1, axis=1)[:, :k_r]
    threshold = best_r.min(axis=1)  # each reference sample's k-th largest similarity
    s_idx = np.repeat(np.arange(n), k_x)
    r_idx = nn_x.ravel()
    mutual = sim_x.ravel() >= threshold[r_idx]
    return s_idx[mutual], r_idx[mutual]


def mnn_align(
    samples: np.ndarray, reference: np.ndarray, k: int = ALIGN_K, sigma: float = SIGMA
) -> tuple[np.ndarray, np.ndarray]:
    """Align ``samples`` to ``reference`` by mutual nearest neighbours.

    Both inputs are cosine-normalised. A pair (reference r, sample s) is mutual when r is among
    the ``k`` nearest reference samples of s and s among the ``k`` nearest input samples of r.
    Each paired sample's batch vector is the mean of ``r - s`` over its pairs; every sample is then
    moved by the Gaussian-kernel average (width ``sigma``) of the paired samples' vectors.

    Returns
    -------
    aligned : numpy.ndarray
        Cosine-normalised, corrected samples.
    paired : numpy.ndarray of bool
        True where the sample had at least one mutual neighbour (SepstratifieR flags the others
        as potential outliers).
    """
    x = _cosine_normalise(samples)
    ref = _cosine_normalise(reference)
    ps, pr = _mutual_pairs(x, ref, k)
    paired = np.zeros(x.shape[0], dtype=bool)
    if ps.size == 0:
        return x, paired
    paired[ps] = True
    vectors = ref[pr] - x[ps]
    anchors = np.flatnonzero(paired)
    sums = np.zeros((x.shape[0], x.shape[1]))
    np.add.at(sums, ps, vectors)
    counts = np.bincount(ps, minlength=x.shape[0]).astype(np.float64)
    anchor_vec = sums[anchors] / counts[anchors, None]
    anchor_x = x[anchors]
    correction = np.empty_like(x)
    for start in range(0, x.shape[0], 2048):
        q = x[start : start + 2048]
        d2 = np.maximum(2.0 - 2.0 * (q @ anchor_x.T), 0.0)  # unit rows: |q - a|^2
        # Shift by the row minimum so far samples keep finite weights (nearest anchors dominate).
        w = np.exp(-(d2 - d2.min(axis=1, keepdims=True)) / sigma**2)
        correction[start : start + len(q)] = (w @ anchor_vec) / w.sum(axis=1, keepdims=True)
    return _cosine_normalise(x + correction), paired


def project(
    samples: np.ndarray, reference: Reference, k: int = VOTE_K
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Similarity-weighted vote of the ``k`` most cosine-similar reference samples.

    Returns
    -------
    classes : numpy.ndarray of str
        SRS1 / SRS2 / SRS3.
    probabilities : numpy.ndarray
        samples x 3 (SRS1, SRS2, SRS3): the summed weights of each class.
    srsq : numpy.ndarray
        Weighted mean SRSq of the neighbours.
    """
    x = _cosine_normalise(samples)
    k = min(k, reference.values.shape[0])
    labels = np.array(["SRS1", "SRS2", "SRS3"])
    onehot = (reference.srs[:, None] == labels[None, :]).astype(np.float64)
    probs = np.empty((x.shape[0], 3))
    srsq = np.empty(x.shape[0])
    for start in range(0, x.shape[0], 4096):
        sim = x[start : start + 4096] @ reference.values.T
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        w = np.take_along_axis(sim, top, axis=1)
        w = w / w.sum(axis=1, keepdims=True)
        probs[start : start + len(w)] = np.einsum("ik,ikc->ic", w, onehot[top])
        srsq[start : start + len(w)] = np.einsum("ik,ik->i", w, reference.srsq[top])
    return labels[np.argmax(probs, axis=1)], probs, srsq
