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
