"""What a heavy job asks a cluster for: memory (``mem_mb``) and wall time (``runtime``, minutes)
from the size of its input, for the first attempt (the rules scale both by ``attempt``, so a job
killed for either is retried with twice as much, three times on the third try, ...).

Estimates are upper envelopes of measurements on 2 CPU cores (``results/*/benchmarks/``,
docs/benchmarks.md "Cluster resources"), with room to spare: too little gets a job killed, too
much only queues it longer. Pure Python (no numpy): Snakemake evaluates them while it schedules.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

from neuroseed.io import read_fasta

# Memory of a Python job with numpy and the library loaded, and with TensorFlow/Keras too (MB).
BASE_MB = 500
KERAS_MB = 2000
# Per-thread time of one exact edit distance at length L: C_PAIR_US * (L / 2000)^1.5 + C_FIXED_US
# microseconds. Measured (2 threads, 2,000 sequences): 53 us at L = 2,033 (gg2000), 114 us at
# 2,332 (otus88), 2.7 us at 152 (V4 reads); the envelope gives 126, 154 and 5.5.
C_PAIR_US = 120.0
C_FIXED_US = 3.0
# Disk throughput assumed for writing the merged matrix (and reading its tiles), MB/s.
MERGE_MB_S = 50
# Training: memory per sequence of the training pool (codes, sequences, pair lists): measured
# 1.20 GB with 20,000 and 1.73 GB with 97,000 (kmer_net), i.e. ~7 KB each.
POOL_KB = 10
TRAIN_MINUTES = 720  # gradient training (the CNN on gg2000: 25 min on 2 cores); kmer: 30
MIN_MINUTES = 10


@lru_cache(maxsize=64)
def _fasta_shape(path: str, mtime: float) -> tuple[int, int]:
    records = read_fasta(path)
    return len(records), max(len(seq) for _, _, seq in records)


def fasta_shape(path: str) -> tuple[int, int]:
    """Records and the longest sequence of a FASTA file (read once per version of the file)."""
    return _fasta_shape(str(path), os.path.getmtime(path))


def _minutes(seconds: float) -> int:
    return max(MIN_MINUTES, math.ceil(seconds / 60))


def _pair_seconds(length: int, threads: int) -> float:
    return (C_PAIR_US * (length / 2000) ** 1.5 + C_FIXED_US) / 1e6 / max(threads, 1)


def edit_distance(fasta: str, threads: int) -> dict[str, int]:
    """The all-pairs matrix as one job: N^2 uint16 (memory-mapped while written), N(N-1)/2
    pairs."""
    n, length = fasta_shape(fasta)
    matrix_mb = 2 * n * n / 1e6
    seconds = n * (n - 1) / 2 * _pair_seconds(length, threads)
    return {"mem_mb": math.ceil(BASE_MB + 1.5 * matrix_mb), "runtime": _minutes(2 * seconds)}


def edit_distance_tile(fasta: str, threads: int, blocks: int) -> dict[str, int]:
    """One tile job of the matrix cut into ``blocks`` row blocks: (N/blocks)^2 pairs, held in
    memory as up to two uint16 tiles (``tiles.tile_jobs``)."""
    n, length = fasta_shape(fasta)
    rows = math.ceil(n / blocks)
    tiles_mb = 2 * 2 * rows * rows / 1e6
    seconds = rows * rows * _pair_seconds(length, threads)
    return {"mem_mb": math.ceil(BASE_MB + 1.5 * tiles_mb), "runtime": _minutes(2 * seconds)}


def merge_edit_distance(fasta: str, blocks: int) -> dict[str, int]:
    """Assembling the tiles: the matrix memory-mapped while written, one tile file read at a
    time; time to write N^2 uint16 at a slow disk's MERGE_MB_S."""
    n, _ = fasta_shape(fasta)
    matrix_mb = 2 * n * n / 1e6
    tiles_mb = 2 * 2 * math.ceil(n / blocks) ** 2 / 1e6
    mem = BASE_MB + 1.5 * matrix_mb + tiles_mb
    return {"mem_mb": math.ceil(mem), "runtime": _minutes(2 * 2 * matrix_mb / MERGE_MB_S)}


def alignment(fasta: str) -> dict[str, int]:
    """MAFFT (FFT-NS-2 for large inputs): memory and time grow with N x L."""
    n, length = fasta_shape(fasta)
    cells = n * length
    return {"mem_mb": math.ceil(BASE_MB + cells * 400 / 1e6), "runtime": _minutes(cells / 1e4)}


def training(distances_npy: str, pool_size: int, trained: bool) -> dict[str, int]:
    """One training run: Keras, the dataset's matrix (all of it is read for evaluation) and the
    training pool."""
    matrix_mb = os.path.getsize(distances_npy) / 1e6
    mem = KERAS_MB + matrix_mb + pool_size * POOL_KB / 1e3
    return {"mem_mb": math.ceil(mem), "runtime": TRAIN_MINUTES if trained else 30}


def per_attempt(estimate):
    """A rule's ``mem_mb`` and ``runtime`` resources from ``estimate(wildcards, input,
    threads)`` (one of the above, for the first attempt), times Snakemake's ``attempt``."""

    def field(name):
        return lambda wildcards, input, threads, attempt: (
            attempt * estimate(wildcards, input, threads)[name]
        )

    return {"mem_mb": field("mem_mb"), "runtime": field("runtime")}
