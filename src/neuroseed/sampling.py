"""Training pairs: which pairs of sequences each epoch trains on, with their targets ED/L.

From the all-pairs matrix over the split's train part (:class:`PairBatches`), or over the train
part plus a training pool with exact edit distances computed as pairs are drawn
(:class:`PoolPairs`); or groups of sequences with all pairs among them (:class:`GroupBatches`).
Near relatives by k-mer profile (:func:`near_relatives`) make a share of the partners close
ones. Every epoch's draw is seeded by the run's seed and the epoch's number.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import keras
import numpy as np

from neuroseed.models import build_encoder
from neuroseed.runtime import embed
from neuroseed.unary import unary_codes

log = logging.getLogger(__name__)


def sample_pairs(
    train_idx: np.ndarray, distances: np.ndarray, partners: int, rng: np.random.Generator
) -> np.ndarray:
    """``partners`` random partners per training sequence (never itself), resampling pairs at
    edit distance 0; returns an ``(n_pairs, 2)`` array of row indices into the full matrix."""
    n = len(train_idx)
    anchors = np.repeat(np.arange(n), partners)
    other = rng.integers(0, n - 1, size=anchors.size)
    other += other >= anchors  # skip the anchor itself
    for _ in range(10):
        zero = distances[train_idx[anchors], train_idx[other]] == 0
        if not zero.any():
            break
        redraw = rng.integers(0, n - 1, size=int(zero.sum()))
        other[zero] = redraw + (redraw >= anchors[zero])
    keep = distances[train_idx[anchors], train_idx[other]] > 0
    pairs = np.stack([train_idx[anchors[keep]], train_idx[other[keep]]], axis=1)
    return pairs[rng.permutation(len(pairs))]


class EpochPairs(keras.utils.PyDataset):
    """Fresh random training pairs each epoch (drawn with the seed and the epoch number), in
    batches of codes with their targets ED/L; subclasses say how pairs and targets are drawn."""

    def __init__(self, codes, length, partners, batch_size, seed):
        super().__init__()
        self.codes, self.length, self.partners = codes, length, partners
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        self.resample()

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(pairs (n, 2) of rows of codes, targets (n,) float32)`` in training order."""
        raise NotImplementedError

    @property
    def pair_count(self) -> int:
        return len(self.pairs)

    def resample(self):
        self.pairs, self.targets = self.draw(np.random.default_rng([self.seed, self.epoch]))

    def __len__(self):
        return math.ceil(len(self.pairs) / self.batch_size)

    def __getitem__(self, k):
        rows = slice(k * self.batch_size, (k + 1) * self.batch_size)
        p = self.pairs[rows]
        return (self.codes[p[:, 0]], self.codes[p[:, 1]]), self.targets[rows]

    def on_epoch_end(self):
        self.epoch += 1
        self.resample()


class PairBatches(EpochPairs):
    """Pairs of the split's train part, their edit distances from the all-pairs matrix."""

    def __init__(self, codes, distances, train_idx, length, partners, batch_size, seed):
        self.distances, self.train_idx = distances, train_idx
        super().__init__(codes, length, partners, batch_size, seed)

    def draw(self, rng):
        pairs = sample_pairs(self.train_idx, self.distances, self.partners, rng)
        targets = self.distances[pairs[:, 0], pairs[:, 1]].astype(np.float32) / self.length
        return pairs, targets


NEAR_NEIGHBOURS = 16  # the near relatives a sequence's near partners are drawn from
NEAR_K = 5  # k of the profile that finds them
PROFILE_BLOCK = 512  # rows whose distances to every row are computed at once


def kmer_neighbours(codes: np.ndarray, n_neighbours: int) -> np.ndarray:
    """Each row's ``n_neighbours`` nearest other rows by k-mer profile (manhattan: the closed-
    form ``kmer`` encoder), exactly (:func:`nearest_rows`)."""
    profile = build_encoder(
        "kmer", codes.shape[1], 1, "manhattan", {"k": NEAR_K, "length_weight": 0}
    )
    counts = np.rint(embed(profile, codes)).astype(np.int64)
    n = len(counts)
    want = min(n_neighbours + 1, n)
    found = nearest_rows(counts, want)
    out = np.empty((n, want - 1), np.int64)
    for i, row in enumerate(found):
        others = row[row != i]  # itself, or a duplicate of it where identical rows tie
        out[i] = others[: want - 1]
    return out


def nearest_rows(counts: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` nearest rows ``(n, k)`` (itself among them) by manhattan distance
    between rows of ``counts`` (non-negative integers), nearest first, of rows at the same
    distance the first. Exact, a block of rows at a time: the sum of ``|a - b|`` is
    ``sum(a) + sum(b) - 2 sum(min(a, b))``, and ``sum(min(a, b))`` is the dot product of
    their unary codes (:mod:`neuroseed.unary`), one matrix product."""
    n = len(counts)
    levels = counts.max(0) if n else np.zeros(counts.shape[1], np.int64)
    unary = unary_codes(counts, levels).toarray()  # dense: one BLAS product per block
    sums = counts.sum(1)
    rows = np.arange(n)
    out = np.empty((n, k), np.int64)
    for start in range(0, n, PROFILE_BLOCK):
        block = slice(start, start + PROFILE_BLOCK)
        shared = np.rint(unary[block] @ unary.T).astype(np.int64)  # whole numbers < 2**24
        # distance first, then the row: of rows at the same distance, the first
        key = (sums[block, None] + sums[None, :] - 2 * shared) * n + rows
        part = np.argpartition(key, k - 1, axis=1)[:, :k]
        order = np.argsort(np.take_along_axis(key, part, 1), axis=1)
        out[block] = np.take_along_axis(part, order, 1)
    return out


def near_relatives(codes: np.ndarray, near: float) -> np.ndarray | None:
    """Each row's :data:`NEAR_NEIGHBOURS` nearest rows by k-mer profile when ``near`` > 0
    (None otherwise, or with no other row to choose)."""
    if not near:
        return None
    start = time.perf_counter()
    neighbours = kmer_neighbours(codes, NEAR_NEIGHBOURS)
    log.info(
        "near relatives: %d nearest of each sequence by %d-mer profile (found in %.0f s)",
        neighbours.shape[1],
        NEAR_K,
        time.perf_counter() - start,
    )
    return neighbours if neighbours.shape[1] else None


def exact_distances(sequences: list[str], workers: int):
    """``f(rows_a, rows_b)``: the edit distances of those pairs of ``sequences``, exact, on
    ``workers`` threads (rapidfuzz)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    def pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cpdist(
            [sequences[i] for i in a],
            [sequences[j] for j in b],
            scorer=Levenshtein.distance,
            workers=workers,
        )

    return pairs


class PoolPairs(EpochPairs):
    """Pairs over sequences without a distance matrix (the split's train part plus the
    training pool): each epoch's edit distances are computed exactly, on ``workers`` threads,
    when its pairs are drawn. A share ``near`` of each sequence's partners is drawn among its
    nearest neighbours by k-mer profile (:func:`kmer_neighbours`), the rest at random."""

    def __init__(self, codes, sequences, length, partners, batch_size, seed, workers, near=0.0):
        if len(codes) != len(sequences) or len(codes) < 2:
            raise ValueError(f"{len(codes)} codes for {len(sequences)} sequences")
        self.distance_of = exact_distances(sequences, workers)
        self.neighbours = near_relatives(codes, near)
        self.near_count = int(round(near * partners)) if self.neighbours is not None else 0
        if self.near_count:
            log.info("near partners: %d of %d per sequence", self.near_count, partners)
        super().__init__(codes, length, partners, batch_size, seed)

    def draw(self, rng):
        n = len(self.codes)
        anchors = np.repeat(np.arange(n), self.partners)
        other = rng.integers(0, n - 1, size=anchors.size)
        other += other >= anchors  # never the anchor itself
        if self.near_count:  # each anchor's first near_count partners: near relatives
            near = np.tile(np.arange(self.partners) < self.near_count, n)
            pick = rng.integers(0, self.neighbours.shape[1], size=int(near.sum()))
            other[near] = self.neighbours[anchors[near], pick]
        ed = self.distance_of(anchors, other)
        keep = ed > 0  # identical sequences teach nothing (as with the matrix)
        order = rng.permutation(int(keep.sum()))
        pairs = np.stack([anchors[keep], other[keep]], axis=1)[order]
        return pairs, (ed[keep][order] / self.length).astype(np.float32)


class GroupBatches(keras.utils.PyDataset):
    """Steps over groups of ``size`` sequences with all pairs among them (each sequence is
    embedded once per step, not once per pair): codes ``(size, W)`` and targets ED/L
    ``(size, size)``, ``-1`` where a pair is not scored (a sequence with itself or an identical
    one). Each epoch (seeded by ``seed`` and its number) puts every one of ``members`` (rows of
    ``codes``) in one random group (the last is filled up with others); with ``neighbours``
    (rows' near relatives, rows of ``codes``), a share ``near`` of each group are near
    relatives of its other members.
    ``distance_of(rows_a, rows_b)`` gives the edit distances of pairs of rows."""

    def __init__(self, codes, members, length, size, seed, distance_of, neighbours=None, near=0.0):
        super().__init__()
        if size < 2:
            raise ValueError(f"groups of {size} sequences have no pairs")
        self.codes, self.members, self.length = codes, np.asarray(members), length
        self.distance_of, self.neighbours, self.seed, self.epoch = distance_of, neighbours, seed, 0
        extra = int(round(near * size)) if neighbours is not None else 0
        self.size, self.extra = size, min(extra, size - 1)
        self.resample()

    @property
    def pair_count(self) -> int:
        return sum(int((t >= 0).sum()) // 2 for t in self.targets)

    def resample(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = self.members[rng.permutation(len(self.members))]
        first = self.size - self.extra  # the group's drawn members; the rest: their relatives
        groups = []
        for start in range(0, len(order), first):
            g = order[start : start + first]
            if len(g) < first:  # the last: filled up from the first (steps of one shape)
                g = np.concatenate([g, order[: min(first, len(order)) - len(g)]])
            if self.extra:
                anchors = g[np.arange(self.extra) % len(g)]
                pick = rng.integers(0, self.neighbours.shape[1], size=self.extra)
                g = np.concatenate([g, self.neighbours[anchors, pick]])
            if len(g) > 1:
                groups.append(g)
        upper = [np.triu_indices(len(g), 1) for g in groups]
        ed = self.distance_of(
            np.concatenate([g[i] for g, (i, _) in zip(groups, upper, strict=True)]),
            np.concatenate([g[j] for g, (_, j) in zip(groups, upper, strict=True)]),
        )
        self.groups, self.targets, at = groups, [], 0
        for g, (i, j) in zip(groups, upper, strict=True):
            t = np.full((len(g), len(g)), -1.0, np.float32)
            d = ed[at : at + len(i)] / self.length
            at += len(i)
            t[i, j] = t[j, i] = np.where(d > 0, d, -1.0)  # identical sequences: not scored
            self.targets.append(t)

    def __len__(self):
        return len(self.groups)

    def __getitem__(self, k):
        return self.codes[self.groups[k]], self.targets[k]

    def on_epoch_end(self):
        self.epoch += 1
        self.resample()


@dataclass
class TrainingPool:
    """Sequences for training beyond the matrix: the pool's codes and sequences, the train
    part's sequences (same order as its rows) and the threads for the edit distances."""

    codes: np.ndarray
    sequences: list[str]
    train_sequences: list[str]
    workers: int = 1


def training_data(settings, codes, distances, train_idx, length, pool):
    """Each epoch's training pairs (``training.groups``, ``training.pool``): from the matrix
    over the train part, or over the train part plus the pool with exact distances on the fly."""
    if pool is None:
        if settings.groups:
            return GroupBatches(
                codes,
                train_idx,
                length,
                settings.groups,
                settings.seed,
                lambda a, b: distances[a, b],
            )
        return PairBatches(
            codes,
            distances,
            train_idx,
            length,
            settings.partners,
            settings.batch_size,
            settings.seed,
        )
    codes = np.concatenate([codes[train_idx], pool.codes])
    sequences = pool.train_sequences + pool.sequences
    if settings.groups:
        return GroupBatches(
            codes,
            np.arange(len(codes)),
            length,
            settings.groups,
            settings.seed,
            exact_distances(sequences, pool.workers),
            near_relatives(codes, settings.near_partners),
            settings.near_partners,
        )
    return PoolPairs(
        codes,
        sequences,
        length,
        settings.partners,
        settings.batch_size,
        settings.seed,
        pool.workers,
        settings.near_partners,
    )
