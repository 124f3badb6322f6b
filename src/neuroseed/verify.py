"""Exact nearest neighbours by edit distance: candidates in the embedding's order, verified.

An embedding proposes candidates (nearest first by estimated edit distance); exact Levenshtein
decides. Each query's candidates are verified in order with rapidfuzz's bit-parallel
Levenshtein and a ``score_cutoff`` of the k-th best exact distance found so far, so only
candidates that can still enter the answer cost a full computation (a banded one: ~7 µs for a
16S pair at cutoff 150 against ~110 µs unbounded). Verification stops where the next
candidate's estimate exceeds ``slack + factor * d_k`` (a :class:`Stop` calibrated so that the
true nearest is verified with a stated probability, :func:`fit_stop`), or at ``limit``
candidates.

The answer is exact among the verified candidates, ties included: every verified reference at
the k-th best distance is returned. Whether it is exact among *all* references is what the
stop's calibration states in probability; :meth:`Bounds.certify` proves it where a lower bound
of the edit distance (length difference and the q-gram lemma) rules out every reference left.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

FIRST_BATCH = 8  # candidates verified before the first check of the stop (at least k)
MAX_BATCH = 64  # candidates verified at once later (between two checks of the stop)
UNSTOPPED_BATCH = 4096  # at once where no stop is checked (exhaustive scans)


@dataclass(frozen=True)
class Stop:
    """Verify candidates while their estimate is at most ``slack + factor * d_k`` (``d_k``:
    the k-th best exact distance verified so far), and at most ``limit`` of them."""

    slack: float = math.inf
    factor: float = 1.0
    limit: int = 2**62

    def bound(self, dk: float) -> float:
        return self.slack + self.factor * dk


@dataclass
class Answer:
    """One query's answer: references (indices) nearest first by exact distance, ties
    included; their exact and estimated distances; every reference verified."""

    refs: np.ndarray
    exact: np.ndarray
    estimated: np.ndarray
    seen: np.ndarray

    @property
    def verified(self) -> int:
        return len(self.seen)


def scan(
    query: str,
    refs: Sequence[str],
    candidates: np.ndarray,
    estimates: np.ndarray | None,
    k: int,
    stop: Stop = Stop(),
    prior: np.ndarray | None = None,
) -> np.ndarray:
    """Exact distances from ``query`` to ``candidates`` (indices into ``refs``, in order of
    ascending ``estimates``), as far as ``stop`` lets verification go: a distance above the
    k-th best found before it may come back as that bound + 1 (it is not in the top k).
    ``prior``: the best distances verified before (an earlier round), which count towards the
    k-th best and ``stop.limit``."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    prior = np.zeros(0, np.int64) if prior is None else np.asarray(prior, np.int64)
    n = max(0, min(len(candidates), stop.limit - len(prior)))
    exact = np.empty(n, np.int64)
    best = np.sort(prior)[:k]  # the k best so far: the bound and cutoff come from these
    dk = float(best[k - 1]) if len(best) >= k else math.inf
    pos, size = 0, max(k - len(prior), FIRST_BATCH)
    # without a stop to check, batches only cost Python's overhead: take them large
    largest = MAX_BATCH if estimates is not None and stop.slack < math.inf else UNSTOPPED_BATCH
    while pos < n:
        end = min(n, pos + size)
        if dk < math.inf and estimates is not None:
            bound = stop.bound(dk)
            end = min(end, pos + int(np.searchsorted(estimates[pos:end], bound, side="right")))
            if end == pos:  # the next candidate's estimate is beyond the bound
                break
        cut = None if dk == math.inf else int(dk)
        batch = [refs[j] for j in candidates[pos:end]]
        exact[pos:end] = cdist(
            [query], batch, scorer=Levenshtein.distance, score_cutoff=cut, workers=1
        )[0]
        best = np.sort(np.concatenate([best, exact[pos:end]]))[:k]
        pos = end
        if len(best) >= k:  # above the cutoff comes back as cutoff + 1: never in the top k
            dk = float(best[k - 1])
        size = min(largest, 2 * size)
    return exact[:pos]


def verify_one(
    query: str,
    refs: Sequence[str],
    candidates: np.ndarray,
    estimates: np.ndarray,
    k: int,
    stop: Stop = Stop(),
    before: Answer | None = None,
) -> Answer:
    """The ``k`` nearest of ``candidates`` (indices into ``refs``, ascending ``estimates``) by
    exact edit distance to ``query``, and every verified candidate tied with the k-th.
    ``before``: the answer of an earlier round, whose references are not verified again."""
    if before is not None:
        fresh = ~np.isin(candidates, before.seen)
        candidates, estimates = candidates[fresh], estimates[fresh]
    exact = scan(
        query, refs, candidates, estimates, k, stop, None if before is None else before.exact
    )
    seen = candidates[: len(exact)]
    ids, est = seen, estimates[: len(exact)]
    if before is not None:
        ids = np.concatenate([before.refs, ids])
        exact = np.concatenate([before.exact, exact])
        est = np.concatenate([before.estimated, est])
        seen = np.concatenate([before.seen, seen])
    if len(exact) > k:
        keep = np.flatnonzero(exact <= np.partition(exact, k - 1)[k - 1])
    else:
        keep = np.arange(len(exact))
    order = keep[np.lexsort((ids[keep], exact[keep]))]
    return Answer(ids[order], exact[order], est[order], seen)


def verify(
    queries: Sequence[str],
    refs: Sequence[str],
    candidates: Sequence[np.ndarray],
    estimates: Sequence[np.ndarray],
    k: int,
    stop: Stop = Stop(),
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Answer]:
    """:func:`verify_one` for every query, on ``workers`` threads (rapidfuzz releases the GIL
    while it computes); ``progress(done, total)`` is called as queries finish."""

    def one(q: int) -> Answer:
        return verify_one(queries[q], refs, candidates[q], estimates[q], k, stop)

    return parallel_map(one, len(queries), workers, progress)


def competition_ranks(exact: np.ndarray) -> np.ndarray:
    """1 + the number of strictly nearer hits: tied hits share a rank (1, 2, 2, 4)."""
    return np.searchsorted(exact, exact, side="left") + 1


FACTORS = (1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 2.0)  # the stop's factors tried by fit_stop


@dataclass(frozen=True)
class Trial:
    """One calibration query: its candidates' estimates (ascending) and exact distances
    (exact up to the best found before them: what verification computes), and where its true
    nearest sits among them (``-1``: not among the candidates at all)."""

    estimates: np.ndarray
    exact: np.ndarray
    truth: int


def _verified(trial: Trial, slack: float, factor: float, first: int) -> int:
    """Candidates :func:`verify_one` verifies for ``k = 1`` under ``Stop(slack, factor)``
    (checking the stop at every candidate: the batches only ever verify more)."""
    best = np.minimum.accumulate(trial.exact)
    beyond = trial.estimates[1:] > slack + factor * best[:-1]
    beyond[: first - 1] = False
    hit = np.flatnonzero(beyond)
    return int(hit[0]) + 1 if hit.size else len(trial.estimates)


def _scale(trials: Sequence[Trial]) -> float:
    """Estimated over exact distance, typically, near the top of the candidates: the factor's
    unit (an untrained profile counts about 2k per edit, a trained model about 1)."""
    ratios = [t.estimates[:FIRST_BATCH] / np.maximum(t.exact[:FIRST_BATCH], 1) for t in trials]
    ratios = np.concatenate(ratios) if ratios else np.ones(1)
    return float(np.median(ratios[np.isfinite(ratios)])) or 1.0


def fit_stop(trials: Sequence[Trial], recall: float, limit: int) -> tuple[Stop, dict]:
    """The :class:`Stop` that verifies the true nearest of at least a ``recall`` share of the
    calibration ``trials`` with the fewest verifications on average (over ``FACTORS``), and a
    summary: the share reached, mean and 99th percentile of verifications, and the share the
    candidates alone allow (their recall: no stop can do better)."""
    n = len(trials)
    if n == 0:
        raise ValueError("no calibration queries")
    allowed = int(math.floor((1.0 - recall) * n + 1e-9))  # misses the target tolerates
    listed = [t for t in trials if 0 <= t.truth < limit]
    scale = _scale(trials)
    best = None
    for factor in (scale * f for f in FACTORS):
        # the largest slack any listed trial needs for its truth to be verified
        need = []
        for t in listed:
            if t.truth < FIRST_BATCH:
                need.append(-math.inf)
            else:
                before = float(t.exact[: t.truth].min())
                need.append(float(t.estimates[t.truth]) - factor * before)
        need.sort()
        missing = n - len(listed)  # no slack verifies what is not a candidate
        keep = len(need) - max(0, allowed - missing)
        # never below 0: verification goes on while a candidate's estimate is within the
        # factor (at least the estimate's scale) of d_k, even where every calibration query
        # found its nearest in the first batch (pseudo-queries with near-copies among the
        # references would otherwise stop every query there)
        slack = max(need[keep - 1], 0.0) if keep > 0 else 0.0
        counts = np.array([min(_verified(t, slack, factor, FIRST_BATCH), limit) for t in trials])
        hits = sum(0 <= t.truth < c for t, c in zip(trials, counts, strict=True))
        cand = (float(counts.mean()), factor, slack, counts, hits)
        if best is None or cand[0] < best[0]:
            best = cand
    mean, factor, slack, counts, hits = best
    summary = {
        "calibration_queries": n,
        "recall_target": recall,
        "recall_calibrated": hits / n,
        "recall_of_candidates": len(listed) / n,
        "verified_mean": mean,
        "verified_p99": float(np.quantile(counts, 0.99)),
        "slack": slack,
        "factor": factor,
        "limit": limit,
    }
    return Stop(slack=slack, factor=factor, limit=limit), summary


def trials(
    refs: Sequence[str],
    pseudo: np.ndarray,
    candidates: Sequence[np.ndarray],
    estimates: Sequence[np.ndarray],
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    queries: Sequence[str] | None = None,
) -> list[Trial]:
    """Calibration by leave-one-out: each reference ``pseudo[i]`` as a query with its
    candidate list (itself left out) and its true nearest among all the other references, by
    exhaustive exact search (banded: about 4 µs a 16S pair). With ``queries``, ``pseudo``
    indexes those instead and no reference is left out."""
    n = len(refs)

    def one(i: int) -> Trial:
        p = int(pseudo[i])
        own = -1 if queries is not None else p
        keep = candidates[i] != own
        cand, est = candidates[i][keep], estimates[i][keep]
        listed = np.zeros(n, bool)
        listed[cand] = True
        if own >= 0:
            listed[own] = True
        order = np.concatenate([cand, np.flatnonzero(~listed)])
        exact = scan(refs[p] if queries is None else queries[p], refs, order, None, 1)
        hit = np.flatnonzero(exact[: len(cand)] == exact.min())
        return Trial(est, exact[: len(cand)], int(hit[0]) if hit.size else -1)

    return parallel_map(one, len(pseudo), workers, progress)


def parallel_map(fn, total: int, workers: int, progress):
    """``[fn(i) for i in range(total)]`` on ``workers`` threads, calling ``progress``."""
    out = [None] * total

    def one(i: int) -> None:
        out[i] = fn(i)

    if workers > 1 and total > 1:
        with ThreadPoolExecutor(workers) as pool:
            for done, _ in enumerate(pool.map(one, range(total)), 1):
                if progress:
                    progress(done, total)
    else:
        for i in range(total):
            one(i)
            if progress:
                progress(i + 1, total)
    return out


BOUND_K = 7  # k-mers of the certificate's lower bound (2 kB of presence bits per reference)
_BASES = np.full(256, -1, np.int64)
for _code, _base in enumerate(b"ACGT"):
    _BASES[_base] = _code


def kmer_sets(sequences: Sequence[str], k: int = BOUND_K, planes: int = 1) -> np.ndarray:
    """``(n, planes * 4**k / 64)`` uint64: bit j of plane t is set where the sequence holds
    k-mer j (of A, C, G, T; windows with any other character left out, which keeps the bound
    below valid) more than t times. One plane: which k-mers it holds."""
    words = max(1, 4**k // 64)
    out = np.zeros((len(sequences), planes * words), np.uint64)
    for i, s in enumerate(sequences):
        x = _BASES[np.frombuffer(s.encode(), np.uint8)]
        m = len(x) - k + 1
        if m <= 0:
            continue
        index = np.zeros(m, np.int64)
        valid = np.ones(m, bool)
        for j in range(k):
            index = index * 4 + np.maximum(x[j : j + m], 0)
            valid &= x[j : j + m] >= 0
        counts = np.bincount(index[valid], minlength=words * 64)
        bits = np.concatenate([counts > t for t in range(planes)])
        out[i] = np.packbits(bits, bitorder="little").view(np.uint64)
    return out


@dataclass
class Bounds:
    """Lower bounds of the edit distance from a query to every reference: the length
    difference, and the q-gram lemma on k-mer counts (one edit removes at most k k-mers of a
    string and adds at most k, so the counts' L1 distance is at most 2k per edit; counts
    clipped at ``planes``, kept as bit planes, only lower it: ``ED >= popcount(xor) / 2k``)."""

    k: int
    lengths: np.ndarray  # (n,) int64, by reference
    sets: np.ndarray  # (rows, planes * words) uint64, kmer_sets
    planes: int = 1
    rows_of: np.ndarray | None = None  # each reference's row of ``sets`` (None: the same)

    def __post_init__(self) -> None:
        self.by_length = np.argsort(self.lengths, kind="stable")
        self.sorted_lengths = self.lengths[self.by_length]

    @classmethod
    def of(cls, sequences: Sequence[str], k: int = BOUND_K) -> Bounds:
        lengths = np.array([len(s) for s in sequences], np.int64)
        return cls(k, lengths, kmer_sets(sequences, k))

    def lower(self, length: int, kmers: np.ndarray, refs: np.ndarray) -> np.ndarray:
        """The bound from a query (its length and :func:`kmer_sets`) to references ``refs``."""
        rows = refs if self.rows_of is None else self.rows_of[refs]
        differ = np.bitwise_count(self.sets[rows] ^ kmers).sum(1, dtype=np.int64)
        q_gram = -(-differ // (2 * self.k))
        return np.maximum(np.abs(self.lengths[refs] - length), q_gram)

    def certify(
        self, query: str, dk: float, verified: np.ndarray, first: np.ndarray, block: int = 4096
    ) -> bool:
        """Whether no reference outside ``verified`` can be at ``dk`` or nearer: the answer
        whose k-th distance is ``dk`` is then exact among all references. ``first``: the
        references most likely to fail the check (the next candidates), tried first."""
        if dk == math.inf:
            return False
        kmers = kmer_sets([query], self.k, self.planes)[0]
        length = len(query)
        lo = np.searchsorted(self.sorted_lengths, length - dk, side="left")
        hi = np.searchsorted(self.sorted_lengths, length + dk, side="right")
        refs = self.by_length[lo:hi]  # only these pass the length bound
        for part in [first] + [refs[i : i + block] for i in range(0, len(refs), block)]:
            near = part[self.lower(length, kmers, part) <= dk]
            if near.size and not np.isin(near, verified).all():
                return False
        return True


def trials_to_arrays(items: Sequence[Trial]) -> dict[str, np.ndarray]:
    """Calibration trials as three arrays (padding: infinite estimates), for an index file."""
    width = max((len(t.estimates) for t in items), default=0)
    est = np.full((len(items), width), np.inf, np.float32)
    exact = np.full((len(items), width), -1, np.int32)
    for i, t in enumerate(items):
        est[i, : len(t.estimates)] = t.estimates
        exact[i, : len(t.exact)] = t.exact
    truth = np.array([t.truth for t in items], np.int64)
    return {"trial_estimates": est, "trial_exact": exact, "trial_truth": truth}


def trials_from_arrays(est: np.ndarray, exact: np.ndarray, truth: np.ndarray) -> list[Trial]:
    out = []
    for e, x, t in zip(est, exact, truth, strict=True):
        m = int(np.isfinite(e).sum())
        out.append(Trial(e[:m].astype(np.float64), x[:m].astype(np.int64), int(t)))
    return out
