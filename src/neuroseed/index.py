"""A reference index: references embedded once, then searched fast, query after query.

Distances with a matrix-product form (euclidean, square, cosine, hyperbolic) are searched
exactly by matrix products. Manhattan has none, and the k-mer models' embeddings are thousands
of columns wide, so there a sketch picks candidates and the exact distance orders them:

* columns holding counts (non-negative multiples of one step: a k-mer profile) are written as
  unary (thermometer) codes, whose squared euclidean distance *equals* their manhattan
  distance; the other columns (a learned embedding, a length channel) likewise after rounding
  to ``OTHER_LEVELS`` steps of their range (manhattan up to half a step per column);
* those codes are projected on their ``sketch_dims`` principal components (fitted on a seeded
  sample of the references): one matrix product per query instead of thousands of columns;
* the references are grouped into lists by k-means on their sketches (an inverted file), and
  a query scores only the references of the ``probe`` lists whose centroids are nearest;
* the ``candidates`` best by that sketch are ranked by the model's exact manhattan distance,
  the counts' share as popcounts of bit planes (see :func:`_exact`).

A query's sketch is a sum of table rows (one per non-zero value: the projection of its whole
unary code), so queries never build codes.

``recall`` against brute force is measured in ``benchmarks/retrieval.py`` and tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, loads_json
from neuroseed.unary import unary_codes
from neuroseed.verify import Bounds, trials_from_arrays

FORMAT = 4  # 4: calibration trials of the exact search and the certificate's k-mer sets
PROBE = 32  # k-means lists whose references a query scores, by default
MAX_COUNT = 255  # counts are stored as uint8
SKETCH_SAMPLE = 2000  # references the principal components are fitted on
OTHER_LEVELS = 32  # steps a non-count column's range is rounded to in the sketch
RERANK_BLOCK = 32  # queries whose candidates are ranked exactly at once (at most)
RERANK_WORDS = 2**23  # bit-plane words gathered at once (64 MB): fewer queries at once when
# each has thousands of candidates (a million references need that many)
PLANES = 3  # bit planes "count > t" (t < PLANES) kept per reference; higher counts are rare
SKETCH_BLOCK = 4096  # references sketched at once while building (bounds the temporaries)
LISTED = 5000  # from this many references on, sketches are grouped into 2·sqrt(n) lists
KMEANS_ROUNDS = 10
KMEANS_SAMPLE = 64  # references per list the centroids are fitted on
# set bits of every byte: popcount where numpy (< 2.0) has no bitwise_count
_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(1)


@dataclass
class Index:
    ids: list[str]
    sequences: list[str]
    # (n, c) uint8, the count columns divided by ``step``: only to build from; the index keeps
    # them as bit planes, their row sums and the few counts above the planes (``heavy_*``)
    counts: np.ndarray | None
    other: np.ndarray  # (n, o) float32: every other column
    count_cols: np.ndarray  # where the count columns sit in the embedding
    other_cols: np.ndarray
    step: float
    distance: str
    scale: float  # the distance head's scale: estimated ED = distance * scale * length
    length: int
    model_sha256: str
    levels: np.ndarray  # (c,) the largest count of each count column among the references
    other_low: np.ndarray  # (o,) each other column's smallest value among the references
    other_step: np.ndarray  # (o,) its rounding step in the sketch (0: a constant column)
    components: np.ndarray  # (sum(levels), d) float32 principal axes of the unary codes
    mean_projection: np.ndarray  # (d,) the sample mean's projection
    sketch: np.ndarray  # (n, d) float32 the references' projections
    # rows (of counts, other, sketch) are stored list by list: row i is reference order[i]
    order: np.ndarray  # (n,) int64
    list_starts: np.ndarray  # (lists + 1,) int64: list j holds rows list_starts[j:j + 2]
    centroids: np.ndarray  # (lists, d) float32
    # exact search (neuroseed.verify): the stop's calibration trials, leave-one-out over the
    # references (see neuroseed.embedding_search.calibrate), and k-mer sets for certificates
    # (rows in reference order); empty when not built
    trial_estimates: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    trial_exact: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int32))
    trial_truth: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bound_sets: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint64))
    bound_k: int = 0
    limit: int = 0  # the candidates per query the trials saw: the most a search may verify
    calibrated_on: str = "references"  # the trials' queries: references left out, or a file
    probe: int = PROBE  # lists probed by the calibration: the search's default
    planes: np.ndarray | None = None  # (n, PLANES * words) uint64: bit j of plane t: count j > t
    count_sums: np.ndarray | None = None  # (n,) int64
    # counts above PLANES, by column: column j's rows heavy_rows[heavy_start[j]:heavy_start[j+1]]
    # (ascending) hold counts PLANES + heavy_excess there
    heavy_start: np.ndarray | None = None
    heavy_rows: np.ndarray | None = None
    heavy_excess: np.ndarray | None = None

    def __post_init__(self) -> None:
        # row gathers per query: rows must be contiguous (a column slice is not, and is 50x slower)
        self.other = np.ascontiguousarray(self.other)
        self.sketch = np.ascontiguousarray(self.sketch)
        self.sketch_norms = _squared_norms(self.sketch)
        if self.counts is not None:  # from counts; kept without them (4 kB a 6-mer reference)
            counts = np.ascontiguousarray(self.counts)
            self.count_sums = counts.sum(1, dtype=np.int64)
            self.planes = _bit_planes(counts)
            self.heavy_start, self.heavy_rows, self.heavy_excess = _heavy(counts)
            self.counts = None
        # narrow sums are several times faster
        self.plane_sum_dtype = np.uint16 if self.planes.shape[1] * 64 < 2**16 else np.int64
        tables = _sketch_table(self)
        self.value_levels, self.value_offsets, self.sketch_first, self.sketch_more = tables
        self.centroid_norms = _squared_norms(self.centroids)

    @property
    def dim(self) -> int:
        return len(self.count_cols) + len(self.other_cols)

    def trials(self):
        """The exact search's calibration trials (none if the index was built without)."""
        return trials_from_arrays(self.trial_estimates, self.trial_exact, self.trial_truth)

    def profile_k(self) -> int:
        """k where the count columns are a whole k-mer profile (column j: k-mer j), else 0:
        then the bit planes of the counts are the certificates' k-mer counts too."""
        c = len(self.count_cols)
        k = round(math.log(c, 4)) if c else 0
        whole = c and 4**k == c and np.array_equal(self.count_cols, np.arange(c))
        return k if whole else 0

    def bounds(self):
        """Lower bounds of the edit distance to every reference, for certificates: from the
        counts' bit planes (a k-mer model's index), or from k-mer sets kept for them (None if
        neither)."""
        lengths = np.array([len(s) for s in self.sequences], np.int64)
        if self.profile_k():
            rows_of = np.empty(len(self.order), np.int64)
            rows_of[self.order] = np.arange(len(self.order))
            return Bounds(self.profile_k(), lengths, self.planes, PLANES, rows_of)
        if not self.bound_k:
            return None
        return Bounds(self.bound_k, lengths, self.bound_sets)


def _squared_norms(x: np.ndarray) -> np.ndarray:
    """Rows' squared norms, summed in float64 a block of rows at a time (no float64 copy)."""
    out = np.empty(len(x), np.float32)
    for i in range(0, len(x), SKETCH_BLOCK):
        out[i : i + SKETCH_BLOCK] = (x[i : i + SKETCH_BLOCK].astype(np.float64) ** 2).sum(1)
    return out


def count_columns(emb, distance: str) -> tuple[np.ndarray, float]:
    """Columns of a manhattan embedding that are counts: every value a non-negative multiple
    of one step, at most ``MAX_COUNT`` steps. The step is the smallest positive value most
    columns share (a k-mer profile's columns all hold one count somewhere). ``emb`` is read in
    blocks of rows (see :func:`build`)."""
    none = np.empty(0, np.int64), 1.0
    if distance != "manhattan" or len(emb) == 0 or emb.shape[1] == 0:
        return none
    positive = np.full(emb.shape[1], np.inf, np.float32)
    for block in _blocks(emb):
        np.minimum(positive, np.where(block > 0, block, np.inf).min(0), out=positive)
    positive = positive[np.isfinite(positive)]
    if positive.size == 0:
        return none
    values, times = np.unique(positive, return_counts=True)
    step = float(values[np.argmax(times)])
    counted = np.ones(emb.shape[1], bool)
    for block in _blocks(emb):
        ratio = block / step
        counted &= (np.abs(ratio - np.rint(ratio)) <= 1e-3).all(0)
        counted &= (block >= 0).all(0) & (ratio.max(0) <= MAX_COUNT + 0.5)
    return np.flatnonzero(counted), step


def _blocks(emb):
    """``emb`` as float32 blocks of ``SKETCH_BLOCK`` rows: an array, or anything that slices
    like one (a memory map, rows decoded on demand) is never held whole as float32."""
    for start in range(0, len(emb), SKETCH_BLOCK):
        yield np.asarray(emb[start : start + SKETCH_BLOCK], np.float32)


def _bit_planes(counts: np.ndarray) -> np.ndarray:
    """``(n, PLANES * words)`` uint64: bit j of plane t is set where count j exceeds t."""
    n, c = counts.shape
    planes = np.zeros((n, PLANES, -(-c // 64) * 8), np.uint8)
    for i in range(0, n, SKETCH_BLOCK):  # blocks of rows: no (n, c) boolean temporaries
        rows = counts[i : i + SKETCH_BLOCK]
        for t in range(PLANES):
            planes[i : i + SKETCH_BLOCK, t, : -(-c // 8)] = np.packbits(
                rows > t, axis=1, bitorder="little"
            )
    return planes.reshape(n, PLANES * planes.shape[2]).view(np.uint64)


def _heavy(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The counts above ``PLANES`` by column (compressed sparse columns): starts ``(c + 1,)``,
    rows (ascending within a column) and the excess over ``PLANES``. A 6-mer profile of a 16S
    sequence has a handful: the bit planes hold the rest."""
    rows, cols, excess = [], [], []
    for i in range(0, len(counts), SKETCH_BLOCK):  # blocks of rows: no (n, c) temporaries
        block = counts[i : i + SKETCH_BLOCK]
        r, c = np.nonzero(block > PLANES)
        rows.append(r + i)
        cols.append(c)
        excess.append(block[r, c] - PLANES)
    rows, cols = np.concatenate(rows or [[]]).astype(np.int64), np.concatenate(cols or [[]])
    excess = np.concatenate(excess or [[]]).astype(np.uint8)
    by = np.lexsort((rows, cols))
    starts = np.searchsorted(cols[by], np.arange(counts.shape[1] + 1)).astype(np.int64)
    return starts, rows[by], excess[by]


def _popcount(words: np.ndarray, dtype) -> np.ndarray:
    """Set bits of ``words`` summed over the last axis."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words).sum(-1, dtype=dtype)
    return _BYTE_BITS[words.view(np.uint8)].sum(-1, dtype=dtype)


def _principal_axes(index: Index, counts, other, dims: int, seed: int):
    """The ``dims`` leading principal axes of a sample of the references' unary codes
    (through the sample's Gram matrix: the sample is far narrower than the codes are wide),
    and the sample mean's projection."""
    n = len(counts)
    pick = np.sort(np.random.default_rng(seed).choice(n, min(n, SKETCH_SAMPLE), replace=False))
    x = _codes(index, _values(index, counts[pick], other[pick])).toarray().astype(np.float64)
    mean = x.mean(0)
    x -= mean
    values, vectors = np.linalg.eigh(x @ x.T)
    keep = np.argsort(values)[::-1][:dims]
    keep = keep[values[keep] > 1e-9 * max(values.max(), 1e-300)]
    axes = x.T @ (vectors[:, keep] / np.sqrt(values[keep]))
    return axes.astype(np.float32), (mean @ axes).astype(np.float32)


def build(
    emb: np.ndarray,
    ids: list[str],
    sequences: list[str],
    distance: str,
    scale: float,
    length: int,
    model_sha256: str,
    sketch_dims: int = 256,
    seed: int = 0,
) -> Index:
    """An index of the references' embeddings ``emb`` (rows in ``ids`` order): an ``(n, dim)``
    array, or anything with ``len``, ``shape`` and row slices, read in blocks, so that a million
    references need no float32 copy of their embeddings (about 17 GB for the k-mer models)."""
    n, dim = len(emb), emb.shape[1]
    count_cols, step = count_columns(emb, distance)
    other_cols = np.setdiff1d(np.arange(dim), count_cols)
    counts = np.empty((n, len(count_cols)), np.uint8)
    other = np.empty((n, len(other_cols)), np.float32)
    for i, block in zip(range(0, n, SKETCH_BLOCK), _blocks(emb), strict=True):
        counts[i : i + len(block)] = np.rint(block[:, count_cols] / step)
        other[i : i + len(block)] = block[:, other_cols]
    if count_cols.size and not counts.any():  # no counts to sketch: all exact
        count_cols, other_cols, counts = count_cols[:0], np.arange(dim), counts[:, :0]
        other = np.vstack([block for block in _blocks(emb)] or [np.zeros((0, dim), np.float32)])
    levels = counts.max(0).astype(np.int64) if n else np.zeros(counts.shape[1], np.int64)
    low = other.min(0) if n else np.zeros(other.shape[1], np.float32)
    high = other.max(0) if n else low
    other_step = ((high - low) / OTHER_LEVELS).astype(np.float32)
    index = Index(
        ids=list(ids),
        sequences=list(sequences),
        counts=counts,
        other=other,
        count_cols=count_cols,
        other_cols=other_cols,
        step=step,
        distance=distance,
        scale=float(scale),
        length=int(length),
        model_sha256=model_sha256,
        levels=levels,
        other_low=low.astype(np.float32),
        other_step=other_step,
        components=np.zeros((0, 0), np.float32),
        mean_projection=np.zeros(0, np.float32),
        sketch=np.zeros((n, 0), np.float32),
        order=np.arange(n),
        list_starts=np.array([0, n]),
        centroids=np.zeros((1, 0), np.float32),
    )
    if not count_cols.size:  # no k-mer counts: searched exactly
        return index
    # wide k-mer embeddings: sketched. The layout alone (no rows) until the rows are in list
    # order: each Index derives bit planes from its counts, and two sets at once cost memory
    index = replace(index, counts=counts[:0], other=other[:0], sketch=index.sketch[:0])
    components, mean_projection = _principal_axes(index, counts, other, sketch_dims, seed)
    index = replace(index, components=components, mean_projection=mean_projection)
    sketch = np.empty((n, len(mean_projection)), np.float32)
    for i in range(0, n, SKETCH_BLOCK):
        rows = slice(i, i + SKETCH_BLOCK)
        sketch[rows] = _sketch(index, counts[rows], other[rows])
    lists = round(2 * np.sqrt(n)) if n >= LISTED else 1
    centroids, assigned = _kmeans(sketch, lists, seed)
    order = np.argsort(assigned, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(assigned, minlength=lists))])
    for rows in (counts, other, sketch):  # in place, a slice of columns at a time: less memory
        for j in range(0, rows.shape[1], 512):
            rows[:, j : j + 512] = rows[order, j : j + 512]
    return replace(
        index,
        counts=counts,
        other=other,
        sketch=sketch,
        order=order,
        list_starts=starts,
        centroids=centroids,
    )


def _kmeans(x: np.ndarray, lists: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Centroids ``(lists, d)`` fitted by Lloyd's rounds on a seeded sample of ``x``, and
    every row's nearest centroid."""
    rng = np.random.default_rng(seed)
    sample = x[np.sort(rng.choice(len(x), min(len(x), KMEANS_SAMPLE * lists), replace=False))]
    centroids = sample[np.sort(rng.choice(len(sample), lists, replace=False))].copy()

    def nearest(rows: np.ndarray) -> np.ndarray:
        out = [
            np.argmin((centroids**2).sum(1) - 2 * rows[i : i + SKETCH_BLOCK] @ centroids.T, 1)
            for i in range(0, len(rows), SKETCH_BLOCK)
        ]
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    for _ in range(KMEANS_ROUNDS if lists > 1 else 0):
        assigned = nearest(sample)
        sums = np.zeros_like(centroids, dtype=np.float64)
        np.add.at(sums, assigned, sample)
        sizes = np.bincount(assigned, minlength=lists)
        filled = sizes > 0  # an empty list keeps its centroid
        centroids[filled] = (sums[filled] / sizes[filled, None]).astype(np.float32)
    return centroids, nearest(x)


def _values(index: Index, counts: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``(b, c + o')`` uint8: counts clipped at the references' largest, then the varying
    other columns rounded to ``OTHER_LEVELS`` steps of their range: the unary codes' values."""
    varying = index.other_step > 0
    rounded = (other[:, varying] - index.other_low[varying]) / index.other_step[varying]
    rounded = np.clip(np.rint(rounded), 0, OTHER_LEVELS)
    clipped = np.minimum(counts, index.levels[None, :])
    return np.hstack([clipped, rounded]).astype(np.uint8)


def _code_weights(index: Index) -> np.ndarray:
    """Per unary value column: the root of its step, so that squared euclidean distances
    between codes are manhattan distances between embeddings."""
    varying = index.other_step > 0
    weights = np.concatenate(
        [np.full(len(index.levels), np.sqrt(index.step)), np.sqrt(index.other_step[varying])]
    )
    return weights.astype(np.float32)


def _codes(index: Index, values: np.ndarray):
    """Sparse weighted unary codes of :func:`_values` (other columns rounded to their step;
    counts clipped at the references' largest)."""
    levels = index.value_levels
    codes = unary_codes(np.asarray(values, np.int64), levels)
    return codes.multiply(np.repeat(_code_weights(index), levels)[None, :]).tocsr()


def _sketch_table(index: Index):
    """The unary codes' layout (levels and offsets per value column) and, once the index has
    principal axes, the projections of whole codes: ``first`` ``(columns, d)``, value 1 in each
    column, and ``more`` ``(sum(levels), d)``, whose row ``offset[j] + v - 1`` is what value
    ``v`` adds to value 1 (cumulative sums of the weighted axes)."""
    n_other = int((index.other_step > 0).sum())
    levels = np.concatenate([index.levels, np.full(n_other, OTHER_LEVELS)]).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]]).astype(np.int64)
    if not index.components.size:
        return levels, offsets, np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    weighted = index.components * np.repeat(_code_weights(index), levels)[:, None]
    cumulative = np.cumsum(weighted, axis=0, dtype=np.float64)
    before = np.vstack([np.zeros((1, cumulative.shape[1])), cumulative])[offsets]
    whole = cumulative - np.repeat(before, levels, axis=0)
    first = np.where(levels[:, None] > 0, whole[np.minimum(offsets, len(whole) - 1)], 0.0)
    more = whole - np.repeat(first, levels, axis=0)
    return levels, offsets, first.astype(np.float32), more.astype(np.float32)


def _sketch(index: Index, counts: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``(b, d)`` sketches, less the mean's: which values are non-zero, by a dense product
    (most counts are 0 or 1), plus what the larger values add, by a sparse one."""
    from scipy import sparse

    values = _values(index, counts, other)
    sketch = (values > 0).astype(np.float32) @ index.sketch_first
    rows, cols = np.nonzero(values > 1)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(values)))])
    picks = index.value_offsets[cols] + values[rows, cols] - 1
    ones = np.ones(len(rows), np.float32)
    larger = sparse.csr_matrix((ones, picks, indptr), shape=(len(values), len(index.sketch_more)))
    return sketch + larger @ index.sketch_more - index.mean_projection


def _split(index: Index, query_emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    query_emb = np.asarray(query_emb, np.float32)
    counts = np.rint(query_emb[:, index.count_cols] / index.step).astype(np.int64)
    return counts, query_emb[:, index.other_cols]


def _exact(index: Index, q_counts, q_other, q_planes, refs: np.ndarray) -> np.ndarray:
    """The model's manhattan distances ``(b, C)`` from queries ``(b, ...)`` to their
    candidate references ``refs`` ``(b, C)``. On counts, |a - b| summed is |a| + |b| -
    2 min(a, b) summed, and min(a, b) is the number of t with a > t and b > t: popcounts of
    the bit planes t < ``PLANES`` ANDed, plus min(a, b) - PLANES where both go higher (a
    k-mer repeated that often: few columns per query, from the ``heavy_*`` columns)."""
    both = index.planes[refs]
    np.bitwise_and(both, q_planes[:, None, :], out=both)
    shared = _popcount(both, index.plane_sum_dtype).astype(np.int64)
    for row, col in zip(*np.nonzero(q_counts > PLANES), strict=True):
        lo, hi = index.heavy_start[col], index.heavy_start[col + 1]
        if lo == hi:  # no reference counts this k-mer more than PLANES times
            continue
        held = index.heavy_rows[lo:hi]
        at = np.minimum(np.searchsorted(held, refs[row]), hi - lo - 1)
        excess = np.where(held[at] == refs[row], index.heavy_excess[lo:hi][at], 0)
        shared[row] += np.minimum(excess.astype(np.int64), q_counts[row, col] - PLANES)
    d = index.count_sums[refs] + q_counts.sum(1)[:, None] - 2 * shared
    d = d * index.step
    return d + np.abs(index.other[refs] - q_other[:, None, :]).sum(2, dtype=np.float64)


def search(
    index: Index,
    query_emb: np.ndarray,
    k: int,
    candidates: int = 200,
    workers: int = 1,
    block: int = 128,
    probe: int = PROBE,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest references of each query: indices ``(q, k)`` and estimated edit
    distances (distance × scale × L), nearest first. Exact for every distance but manhattan
    with count columns, where the ``candidates`` best by the sketch among the references of
    the ``probe`` nearest lists are ranked exactly. Blocks of ``block`` queries run on
    ``workers`` threads (numpy releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    if query_emb.shape[1] != index.dim:
        raise NeuroseedError(
            f"the queries' embeddings are {query_emb.shape[1]} wide, the index's {index.dim}: "
            "the index was built with another model; rebuild it with neuroseed index"
        )
    n = len(index.ids)
    k = min(k, n)
    shortlist = min(max(k, candidates), n) if index.sketch.shape[1] else k
    q_counts, q_other = _split(index, query_emb)
    out_idx = np.empty((len(query_emb), k), np.int64)
    out_dist = np.empty((len(query_emb), k), np.float64)
    block = max(1, min(block, 2**24 // max(n, 1)))

    def one_block(start: int) -> None:
        rows = np.arange(start, min(start + block, len(query_emb)))
        idx, dist = _search_block(index, q_counts[rows], q_other[rows], k, shortlist, probe)
        out_idx[rows], out_dist[rows] = index.order[idx], dist

    starts = range(0, len(query_emb), block)
    if workers > 1 and len(starts) > 1:
        # one BLAS thread per worker: threads of both kinds on the same cores ran 2x slower
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
            list(pool.map(one_block, starts))
    else:
        for start in starts:
            one_block(start)
    return out_idx, out_dist * index.scale * index.length


def _search_block(index: Index, q_counts, q_other, k: int, shortlist: int, probe: int):
    """:func:`search` for one block of queries (rows, unscaled distances)."""
    from scipy.spatial.distance import cdist

    # here, not above: geometry loads Keras (and TensorFlow), which a caller configures first
    from neuroseed.geometry import pairwise

    n = len(index.ids)
    approximate = index.sketch.shape[1] > 0
    if index.distance != "manhattan":
        scores = pairwise(index.distance, q_other, index.other)
    elif approximate:
        scores, scored_rows = _probe(index, _sketch(index, q_counts, q_other), shortlist, probe)
    elif index.other.size:  # no count columns: exact, directly
        scores = cdist(q_other, index.other, "cityblock")
    else:  # no columns at all
        scores = np.zeros((len(q_other), n))
    part = np.argpartition(scores, shortlist - 1, axis=1)[:, :shortlist]
    if approximate:
        part = np.take_along_axis(scored_rows, part, 1)
    q_planes = (
        _bit_planes(np.minimum(q_counts, MAX_COUNT).astype(np.uint8)) if approximate else None
    )
    out_idx = np.empty((len(part), k), np.int64)
    out_dist = np.empty((len(part), k), np.float64)
    words = max(1, part.shape[1] * index.planes.shape[1])
    step = max(1, min(RERANK_BLOCK, RERANK_WORDS // words))
    for sub in range(0, len(part), step):  # bounds the (b, C, columns) temporaries
        rows = slice(sub, sub + step)
        cand = part[rows]
        if approximate:
            exact = _exact(index, q_counts[rows], q_other[rows], q_planes[rows], cand)
        else:
            exact = np.take_along_axis(scores[rows], cand, 1)
        for r in range(len(cand)):  # ties: the earlier reference first
            order = np.lexsort((index.order[cand[r]], exact[r]))[:k]
            out_idx[sub + r] = cand[r][order]
            out_dist[sub + r] = exact[r][order]
    return out_idx, out_dist


def _probe(index: Index, q_sketch: np.ndarray, shortlist: int, probe: int):
    """Squared sketch distances (less the query's own norm) ``(b, w)`` to the references in
    each query's ``probe`` nearest lists, and their rows ``(b, w)`` (padding: infinite
    distance). A list is scored against all queries probing it at once, in one product."""
    lists = len(index.centroids)
    if probe >= lists:  # every list: one product
        rows = np.broadcast_to(np.arange(len(index.order)), (len(q_sketch), len(index.order)))
        return index.sketch_norms[None, :] - 2.0 * (q_sketch @ index.sketch.T), rows
    near = index.centroid_norms[None, :] - 2.0 * (q_sketch @ index.centroids.T)
    probed = np.argpartition(near, probe - 1, axis=1)[:, :probe]
    sizes = np.diff(index.list_starts)[probed]
    if sizes.sum(1).min() < shortlist:  # too few references there: score them all
        return _probe(index, q_sketch, shortlist, lists)
    pairs = probed.ravel()  # (query, probed list) pairs, query-major
    sizes = sizes.ravel()
    by_list = np.argsort(pairs, kind="stable")
    # each pair's scores go to flat[at[p] : at[p] + sizes[p]], list by list
    at = np.empty(len(pairs), np.int64)
    at[by_list] = np.cumsum(sizes[by_list]) - sizes[by_list]
    flat = np.empty(int(sizes.sum()) + 1, np.float32)
    flat[-1] = np.inf  # padding
    query = np.repeat(np.arange(len(q_sketch)), probe)
    listed = pairs[by_list]
    for group in np.split(by_list, np.flatnonzero(np.diff(listed)) + 1):
        j = pairs[group[0]]
        start, stop = index.list_starts[j], index.list_starts[j + 1]
        scored = index.sketch_norms[start:stop] - 2.0 * (
            q_sketch[query[group]] @ index.sketch[start:stop].T
        )
        flat[at[group[0]] : at[group[0]] + scored.size] = scored.ravel()
    # each query's pairs side by side: (b, w) positions in flat and the rows they score
    own = np.cumsum(sizes) - sizes  # each pair's first element, query-major
    width = sizes.reshape(len(q_sketch), probe).sum(1)
    first_of_query = np.concatenate([[0], np.cumsum(width)[:-1]])
    element = np.arange(int(sizes.sum()))
    pair = np.repeat(np.arange(len(pairs)), sizes)
    within = element - np.repeat(own, sizes)
    column = element - np.repeat(first_of_query, width)
    positions = np.full((len(q_sketch), width.max()), len(flat) - 1, np.int64)
    rows = np.zeros(positions.shape, np.int64)
    positions[query[pair], column] = at[pair] + within
    rows[query[pair], column] = index.list_starts[pairs[pair]] + within
    scores = flat[positions]
    return scores, rows


_ARRAYS = ("planes", "count_sums", "heavy_start", "heavy_rows", "heavy_excess")
_ARRAYS += ("other", "count_cols", "other_cols", "levels", "other_low", "other_step")
_ARRAYS += ("components",)
_ARRAYS += ("mean_projection", "sketch", "order", "list_starts", "centroids")
_ARRAYS += ("trial_estimates", "trial_exact", "trial_truth", "bound_sets")


def save(index: Index, path: str | Path) -> None:
    """Write the index as one ``.npz``, atomically."""
    meta = {
        "format": FORMAT,
        "distance": index.distance,
        "step": index.step,
        "scale": index.scale,
        "length": index.length,
        "model_sha256": index.model_sha256,
        "bound_k": index.bound_k,
        "limit": index.limit,
        "calibrated_on": index.calibrated_on,
        "probe": index.probe,
    }
    import json

    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps(meta)),
                ids=np.array(index.ids, dtype=object).astype(str),
                sequences=np.array([s.encode() for s in index.sequences], dtype=bytes),
                **{name: getattr(index, name) for name in _ARRAYS},
            )


def load(path: str | Path) -> Index:
    """Read an index written by :func:`save`; a damaged or foreign file is one clear error."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = loads_json(str(data["meta"]))
            if meta.get("format") != FORMAT:
                raise NeuroseedError(
                    f"{path}: an index of format {meta.get('format')}, and this neuroseed reads "
                    f"format {FORMAT}; rebuild it with neuroseed index"
                )
            arrays = {name: data[name] for name in _ARRAYS}
            ids = [str(i) for i in data["ids"]]
            sequences = [s.decode() for s in data["sequences"]]
    except NeuroseedError:  # a ValueError too, already one clear line
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise NeuroseedError(f"{path}: no such index; build it with neuroseed index") from None
        why = str(exc.args[0] if isinstance(exc, KeyError) else exc) or type(exc).__name__
        raise NeuroseedError(
            f"{path}: damaged or not a neuroseed index ({why}); rebuild it with neuroseed index"
        ) from None
    rows = {"ids": len(ids), "sequences": len(sequences), "sketch": len(arrays["sketch"])}
    rows |= {"order": len(arrays["order"]), "other": len(arrays["other"])}
    if len(set(rows.values())) > 1 or (
        len(arrays["list_starts"]) and arrays["list_starts"][-1] != len(ids)
    ):
        raise NeuroseedError(
            f"{path}: damaged (its arrays disagree on the number of references: "
            f"{', '.join(f'{k} {v}' for k, v in rows.items())}); rebuild it with neuroseed index"
        )
    return Index(
        ids=ids,
        sequences=sequences,
        step=float(meta["step"]),
        distance=meta["distance"],
        scale=float(meta["scale"]),
        length=int(meta["length"]),
        model_sha256=meta["model_sha256"],
        counts=None,
        bound_k=int(meta["bound_k"]),
        limit=int(meta["limit"]),
        calibrated_on=str(meta.get("calibrated_on", "references")),
        probe=int(meta.get("probe", PROBE)),
        **arrays,
    )
