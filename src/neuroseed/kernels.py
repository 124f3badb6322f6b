"""Compiled CPU kernels (Numba) for the CNN's first block, where TensorFlow's own ops are
memory-bound passes over the largest activations of the model.

The first block's output at a position depends only on the few codes its convolution window
sees, so it takes at most ``rows`` distinct values per channel (a table, see
:class:`neuroseed.models.fast_cnn.FirstBlock`). Forward is then a gather of table rows averaged
over each pooling window (and, with the next convolution folded into per-tap tables, summed
over its window), and the gradient a sum of the incoming gradient per table row: one pass over
the pooled activations each way.

Both kernels give the same result on any number of threads: the gradient is summed in a fixed
number of chunks (float64), whatever ``numba.get_num_threads()`` is. They hold the GIL while
they run, so TensorFlow's inter-op threads never enter Numba's thread pool at the same time.
"""

from __future__ import annotations

import os

# Numba's OpenMP threads spin while they wait for work (libgomp's default): beside another job
# on the same cores they burn the time that job needs. Two CNN training jobs of one thread side
# by side on 2 cores took 65 ms a step each with spinning and 19 ms without, alone 14 ms either
# way (benchmarks/side_by_side.py). libgomp reads this when Numba first starts its threads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba
import numpy as np
from numba import prange

# fixed, so the gradient's summation order does not depend on the thread count
CHUNKS = 8
# the gradient's float64 partial tables (CHUNKS x taps x rows x channels): at most 64 MB, and
# kept in a core's cache (tens of kB) where the next convolution is folded in
MAX_TABLE = 2**20
MAX_FOLDED = 2**16


def set_threads(threads: int) -> None:
    """Run the kernels on at most ``threads`` threads (Numba's pool starts with one per CPU)."""
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def window_gather(tables: np.ndarray, index: np.ndarray, pool: int, left: int) -> np.ndarray:
    """Rows of ``tables`` ``(taps, rows, C)`` at ``index`` ``(B, L)``, averaged over pooling
    windows of ``pool`` and summed over a same-padded window of ``taps`` pooled positions
    starting ``left`` before each: ``(B, L // pool, C)``. With one tap and ``left`` 0, the
    pooled rows themselves; with ``tables[t] = table @ kernel[t]``, their convolution."""
    out = np.empty((index.shape[0], index.shape[1] // pool, tables.shape[2]), np.float32)
    _window_gather(tables, index, pool, left, out)
    return out


def window_scatter(
    grad: np.ndarray, index: np.ndarray, pool: int, left: int, taps: int, rows: int
) -> np.ndarray:
    """Gradient of :func:`window_gather` with respect to its tables: ``(taps, rows, C)``."""
    partial = np.empty((min(grad.shape[0], CHUNKS), taps, rows, grad.shape[2]), np.float64)
    return _window_scatter(grad, index, pool, left, partial)


@numba.njit(parallel=True, cache=True)
def _window_gather(tables, index, pool, left, out):
    taps, channels = tables.shape[0], tables.shape[2]
    batch, pooled = out.shape[0], out.shape[1]
    weight = np.float32(1.0 / pool)
    for b in prange(batch):
        for j in range(pooled):
            for c in range(channels):
                out[b, j, c] = 0.0
            for t in range(taps):
                q = j + t - left
                if 0 <= q < pooled:
                    for s in range(pool):
                        row = tables[t, index[b, pool * q + s]]
                        for c in range(channels):
                            out[b, j, c] += row[c]
            for c in range(channels):
                out[b, j, c] *= weight


@numba.njit(parallel=True, cache=True)
def _window_scatter(grad, index, pool, left, partial):
    batch, pooled, channels = grad.shape
    chunks, taps, rows = partial.shape[0], partial.shape[1], partial.shape[2]
    for chunk in prange(chunks):
        partial[chunk] = 0.0
        for b in range(chunk * batch // chunks, (chunk + 1) * batch // chunks):
            for j in range(pooled):
                for t in range(taps):
                    q = j + t - left
                    if 0 <= q < pooled:
                        for s in range(pool):
                            r = index[b, pool * q + s]
                            for c in range(channels):
                                partial[chunk, t, r, c] += grad[b, j, c]
    total = np.zeros((taps, rows, channels), np.float64)
    for chunk in range(chunks):
        total += partial[chunk]
    return (total / pool).astype(np.float32)
