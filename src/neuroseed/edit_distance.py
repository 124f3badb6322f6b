"""Exact Levenshtein distance matrices (rapidfuzz, multithreaded) and a reference DP."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)


def distance_dtype(max_distance: int) -> np.dtype:
    """Smallest unsigned integer dtype that holds ``max_distance``."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if max_distance <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.uint64)


def score_hint(sequences: Sequence[str], sample: int = 200, seed: int = 0) -> int:
    """A typical pair distance from a small random sample; rapidfuzz uses it to pick a band."""
    from rapidfuzz.distance import Levenshtein

    n = len(sequences)
    if n < 2:
        return 1
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=sample)
    j = rng.integers(0, n, size=sample)
    d = [Levenshtein.distance(sequences[a], sequences[b]) for a, b in zip(i, j, strict=True)]
    return max(1, int(np.quantile(d, 0.9)))


def edit_distance_matrix(sequences: Sequence[str], workers: int = 1) -> np.ndarray:
    """Exact all-pairs Levenshtein matrix (symmetric, zero diagonal) in the smallest dtype."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    seqs = list(sequences)
    dtype = distance_dtype(max(len(s) for s in seqs))
    hint = score_hint(seqs)
    start = time.perf_counter()
    # The same list object on both sides lets rapidfuzz compute one triangle only.
    matrix = cdist(
        seqs, seqs, scorer=Levenshtein.distance, dtype=dtype, workers=workers, score_hint=hint
    )
    elapsed = time.perf_counter() - start
    pairs = len(seqs) * (len(seqs) - 1) // 2
    log.info(
        "edit distances: %d sequences, %d pairs in %.1f s (%.0f pairs/s, %d workers, "
        "score_hint %d)",
        len(seqs),
        pairs,
        elapsed,
        pairs / max(elapsed, 1e-9),
        workers,
        hint,
    )
    return matrix


def levenshtein_reference(a: str, b: str) -> int:
    """Plain O(len(a)*len(b)) dynamic programme, the ground truth for tests."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def compute(fasta: str, out_npy: str, workers: int = 1) -> None:
    """The ``edit_distance`` stage: FASTA -> exact matrix ``.npy`` in FASTA order."""
    from neuroseed.io import read_fasta, save_npy

    matrix = edit_distance_matrix([s for _, _, s in read_fasta(fasta)], workers=workers)
    log.info("distance range %d..%d, dtype %s", matrix.min(), matrix.max(), matrix.dtype)
    save_npy(out_npy, matrix)
