"""Gene-set scores: Sweeney 2018 module scores and the MARS (Scicluna 2017) ratio pairs.

Both follow the SUBSPACE consortium's reference code (Khatri-Lab/SUBSPACE,
``Code/gene_score_calc_template.R``): if any value is negative, the whole matrix is shifted so
its minimum is zero; a module score is the geometric mean of the up-genes minus the geometric mean
of the down-genes (zeros left out of a geometric mean, as there), standardised across the samples
scored together; a MARS score is up-gene / down-gene.
"""

from __future__ import annotations

import numpy as np

from sepsistwin.omics.signatures import Signature


def _nonnegative(values: np.ndarray) -> np.ndarray:
    lo = np.nanmin(values) if values.size else 0.0
    return values - lo if lo < 0 else values


def geometric_mean(values: np.ndarray) -> np.ndarray:
    """Row-wise geometric mean of non-negative values, ignoring NaN and zeros.

    A row whose values are all zero gives 0; a row with no values gives NaN.

    Examples
    --------
    >>> geometric_mean(np.array([[1.0, 4.0], [0.0, 9.0], [0.0, 0.0]])).round(6).tolist()
    [2.0, 9.0, 0.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(values > 0, values, np.nan)
        n_pos = np.sum(np.isfinite(pos), axis=1)
        n_any = np.sum(np.isfinite(values), axis=1)
        out = np.exp(np.nansum(np.log(pos), axis=1) / np.where(n_pos > 0, n_pos, 1))
    out = np.where(n_pos > 0, out, np.where(n_any > 0, 0.0, np.nan))
    return out


def standardise(x: np.ndarray) -> np.ndarray:
    """Centre and scale across samples (R's ``scale``: sample standard deviation)."""
    sd = np.nanstd(x, ddof=1) if np.sum(np.isfinite(x)) > 1 else np.nan
    if not np.isfinite(sd) or sd == 0:
        return np.full_like(x, np.nan)
    return (x - np.nanmean(x)) / sd


def module_scores(
    values: np.ndarray, genes: list[str], signature: Signature
) -> dict[str, np.ndarray]:
    """Raw (unstandardised) up-minus-down scores per class of a ``module_scores`` signature.

    ``values`` is samples x ``genes``; absent genes are simply not in ``genes``.
    """
    col = {g: i for i, g in enumerate(genes)}
    shifted = _nonnegative(values)
    out: dict[str, np.ndarray] = {}
    for cls in signature.classes:
        key = cls.lower()
        up = [col[g] for g in signature.gene_sets.get(f"{key}_up", ()) if g in col]
        down = [col[g] for g in signature.gene_sets.get(f"{key}_down", ()) if g in col]
        score = np.zeros(values.shape[0])
        if up:
            score = score + geometric_mean(shifted[:, up])
        if down:
            score = score - geometric_mean(shifted[:, down])
        if not up and not down:
            score = np.full(values.shape[0], np.nan)
        out[cls] = score
    return out


def ratio_scores(
    values: np.ndarray, genes: list[str], signature: Signature
) -> dict[str, np.ndarray]:
    """Up-gene / down-gene per class of a ``ratio_pairs`` signature (NaN if a gene is absent)."""
    col = {g: i for i, g in enumerate(genes)}
    shifted = _nonnegative(values)
    out: dict[str, np.ndarray] = {}
    for cls in signature.classes:
        key = cls.lower()
        up = [col[g] for g in signature.gene_sets[f"{key}_up"] if g in col]
        down = [col[g] for g in signature.gene_sets[f"{key}_down"] if g in col]
        if not up or not down:
            out[cls] = np.full(values.shape[0], np.nan)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = shifted[:, up[0]] / shifted[:, down[0]]
        out[cls] = np.where(np.isfinite(ratio), ratio, np.nan)
    return out
