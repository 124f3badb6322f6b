"""Accuracy metrics."""

from __future__ import annotations

import numpy as np


def rmse_percent(target: np.ndarray, predicted: np.ndarray) -> float:
    """%RMSE = 100 * sqrt(mean((ED/L - d)^2)), with targets already divided by L."""
    target = np.asarray(target, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if target.shape != predicted.shape or target.size == 0:
        raise ValueError(f"shapes differ or are empty: {target.shape} vs {predicted.shape}")
    return float(100.0 * np.sqrt(np.mean((target - predicted) ** 2)))


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """The strictly upper triangle of a square matrix as a flat vector (all unordered pairs)."""
    i, j = np.triu_indices(matrix.shape[0], k=1)
    return matrix[i, j]


def worst_sequence(target: np.ndarray, predicted: np.ndarray, n: int) -> tuple[int, float, float]:
    """The sequence whose pairs carry the largest squared error among all unordered pairs of
    ``n`` sequences (upper-triangle vectors, row-major): its position, its share of the squared
    error and the %RMSE of the other sequences' pairs. One read can dominate a test %RMSE
    (e.g. a channel dead on every training read that it activates, ahead of batch norm)."""
    sq = (np.asarray(target, np.float64) - np.asarray(predicted, np.float64)) ** 2
    if n < 3 or sq.size != n * (n - 1) // 2:
        raise ValueError(f"{sq.size} pairs are not all pairs of {n} (>= 3) sequences")
    per = np.zeros(n)
    start = 0
    for r in range(n - 1):
        seg = sq[start : start + n - 1 - r]
        per[r] += seg.sum()
        per[r + 1 :] += seg
        start += len(seg)
    worst = int(np.argmax(per))
    total = float(sq.sum())
    rest = (total - per[worst]) / (sq.size - (n - 1))
    return worst, (per[worst] / total if total else 0.0), float(100.0 * np.sqrt(max(rest, 0.0)))
