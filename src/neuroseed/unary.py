"""Unary (thermometer) codes of counts: column ``offset[j] + t`` is 1 where count ``j``
exceeds ``t``. The dot product of two codes is the sum of ``min(a, b)``, so squared euclidean
distances between codes are manhattan distances between the counts: manhattan k-mer profiles
become matrix products (the search index's sketches, the samplers' near relatives)."""

from __future__ import annotations

import numpy as np


def unary_codes(counts: np.ndarray, levels: np.ndarray):
    """Sparse (CSR, float32) unary codes of non-negative integer ``counts`` ``(n, c)``, count
    ``j`` clipped at ``levels[j]`` (its ``levels[j]`` columns)."""
    from scipy import sparse

    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]])
    clipped = np.minimum(counts, levels[None, :]).astype(np.int64)
    rows, cols = np.nonzero(clipped)
    reps = clipped[rows, cols]
    row_idx = np.repeat(rows, reps)
    starts = np.repeat(offsets[cols], reps)
    within = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    data = np.ones(len(row_idx), np.float32)
    shape = (len(counts), int(levels.sum()))
    return sparse.csr_matrix((data, (row_idx, starts + within)), shape=shape)
