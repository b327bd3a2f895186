"""Allocation of enrolled patients to arms: simple or stratified permuted blocks.

Randomisation happens within a chunk from the chunk's own random stream, so it does not depend
on which worker runs the chunk, on the order chunks finish, or on a resume.

Examples
--------
>>> arms = randomize([1, 1], 8, np.random.default_rng(0), strata=[np.array(list("aaaabbbb"))])
>>> sorted(np.bincount(arms[:4]).tolist()), sorted(np.bincount(arms[4:]).tolist())
([2, 2], [2, 2])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def randomize(
    allocation: Sequence[float],
    n: int,
    rng: np.random.Generator,
    *,
    strata: Sequence[NDArray[np.generic]] = (),
    block_size: int | None = None,
) -> NDArray[np.intp]:
    """Arm index (0-based, spec order) of each of ``n`` patients.

    Parameters
    ----------
    allocation
        Relative weights of the arms.
    n
        Number of patients, in enrollment order.
    rng
        The chunk's randomisation stream.
    strata
        Arrays of length ``n`` (e.g. phenotype); empty for simple randomisation, where each
        patient's arm is an independent draw with probabilities proportional to ``allocation``.
        Given strata, each stratum gets permuted blocks.
    block_size
        Block length (a multiple of the allocation total; default: the total).

    Returns
    -------
    ndarray of int, shape (n,)
    """
    w = np.asarray(allocation, dtype=float)
    if w.ndim != 1 or w.size == 0 or np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"allocation must be positive weights, one per arm; got {allocation!r}")
    if not strata:
        if n == 0:
            return np.zeros(0, dtype=np.intp)
        return rng.choice(w.size, size=n, p=w / w.sum()).astype(np.intp)
    if np.any(w != np.round(w)):
        raise ValueError(f"block randomisation needs whole-number allocations; got {allocation!r}")
    counts = w.astype(int)
    total = int(counts.sum())
    size = total if block_size is None else int(block_size)
    if size % total:
        raise ValueError(f"block_size {size} must be a multiple of the allocation total {total}")
    block = np.repeat(np.arange(w.size), counts * (size // total))
    for s in strata:
        if len(s) != n:
            raise ValueError(f"each stratum array needs length n={n}, got {len(s)}")
    key = np.array(["\x1f".join(map(str, t)) for t in zip(*strata, strict=True)], dtype=object)
    out = np.empty(n, dtype=np.intp)
    for level in sorted(set(key.tolist())):  # sorted: stream use independent of hash order
        members = np.flatnonzero(key == level)
        n_blocks = -(-members.size // block.size)
        seq = np.concatenate([rng.permutation(block) for _ in range(n_blocks)])
        out[members] = seq[: members.size]
    return out
