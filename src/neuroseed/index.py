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
* the ``candidates`` best by that sketch are ranked by the model's exact manhattan distance.

``recall`` against brute force is measured in ``benchmarks/retrieval.py`` and tested.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, damaged

FORMAT = 2
MAX_COUNT = 255  # counts are stored as uint8
SKETCH_SAMPLE = 2000  # references the principal components are fitted on
OTHER_LEVELS = 32  # steps a non-count column's range is rounded to in the sketch
RERANK_BLOCK = 16  # queries whose candidates are ranked exactly at once


@dataclass
class Index:
    ids: list[str]
    sequences: list[str]
    counts: np.ndarray  # (n, c) uint8: count columns divided by ``step``
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

    def __post_init__(self) -> None:
        # row gathers per query: rows must be contiguous (a column slice is not, and is 50x slower)
        self.counts = np.ascontiguousarray(self.counts)
        self.other = np.ascontiguousarray(self.other)
        self.sketch = np.ascontiguousarray(self.sketch)
        self.sketch_norms = (self.sketch.astype(np.float64) ** 2).sum(1).astype(np.float32)
        self.count_sums = self.counts.sum(1, dtype=np.int64)
        # narrow sums are 5x faster; a row's counts sum to about its length
        small = not len(self.count_sums) or self.count_sums.max() < 2**16
        self.sum_dtype = np.uint16 if small else np.int64

    @property
    def dim(self) -> int:
        return len(self.count_cols) + len(self.other_cols)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_columns(emb: np.ndarray, distance: str) -> tuple[np.ndarray, float]:
    """Columns of a manhattan embedding that are counts: every value a non-negative multiple
    of one step, at most ``MAX_COUNT`` steps. The step is the smallest positive value most
    columns share (a k-mer profile's columns all hold one count somewhere)."""
    none = np.empty(0, np.int64), 1.0
    if distance != "manhattan" or emb.size == 0:
        return none
    positive = np.where(emb > 0, emb, np.inf).min(0)
    positive = positive[np.isfinite(positive)]
    if positive.size == 0:
        return none
    values, times = np.unique(positive, return_counts=True)
    step = float(values[np.argmax(times)])
    ratio = emb / step
    integral = (np.abs(ratio - np.rint(ratio)) <= 1e-3).all(0)
    cols = np.flatnonzero(integral & (emb >= 0).all(0) & (ratio.max(0) <= MAX_COUNT + 0.5))
    return cols, step


def _unary(counts: np.ndarray, levels: np.ndarray):
    """Sparse unary codes: column ``offset[j] + t`` is 1 where count j > t (t < levels[j]).
    Squared euclidean distances between codes equal manhattan distances between counts
    (clipped at ``levels``)."""
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


def _principal_axes(codes, dims: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``dims`` leading principal axes of a sample of unary codes (through the sample's
    Gram matrix: the sample is far narrower than the codes are wide)."""
    n = codes.shape[0]
    pick = np.sort(np.random.default_rng(seed).choice(n, min(n, SKETCH_SAMPLE), replace=False))
    x = codes[pick].toarray().astype(np.float64)
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
    """An index of the references' embeddings ``emb`` (rows in ``ids`` order)."""
    emb = np.asarray(emb, np.float32)
    count_cols, step = count_columns(emb, distance)
    if not (np.rint(emb[:, count_cols] / step) > 0).any():  # no counts to sketch: all exact
        count_cols = count_cols[:0]
    other_cols = np.setdiff1d(np.arange(emb.shape[1]), count_cols)
    counts = np.rint(emb[:, count_cols] / step).astype(np.uint8)
    levels = counts.max(0).astype(np.int64) if len(counts) else np.zeros(0, np.int64)
    other = np.ascontiguousarray(emb[:, other_cols])
    low = other.min(0) if len(other) else np.zeros(other.shape[1], np.float32)
    high = other.max(0) if len(other) else low
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
        sketch=np.zeros((len(emb), 0), np.float32),
    )
    if not count_cols.size:  # no k-mer counts: searched exactly
        return index
    codes = _codes(index, counts, other)  # wide k-mer embeddings: sketched
    components, mean_projection = _principal_axes(codes, sketch_dims, seed)
    sketch = np.asarray(codes @ components) - mean_projection
    return replace(index, components=components, mean_projection=mean_projection, sketch=sketch)


def _codes(index: Index, counts: np.ndarray, other: np.ndarray):
    """Sparse unary codes of counts and rounded other columns, weighted so that squared
    euclidean distances between codes are manhattan distances between embeddings (other
    columns rounded to their step; counts clipped at the references' largest)."""
    from scipy import sparse

    varying = index.other_step > 0
    rounded = (other[:, varying] - index.other_low[varying]) / index.other_step[varying]
    rounded = np.clip(np.rint(rounded), 0, OTHER_LEVELS).astype(np.int64)
    n_other = int(varying.sum())
    codes = sparse.hstack(
        [
            _unary(np.asarray(counts, np.int64), index.levels),
            _unary(rounded, np.full(n_other, OTHER_LEVELS, np.int64)),
        ],
        format="csr",
    )
    weights = np.concatenate(
        [
            np.full(int(index.levels.sum()), np.sqrt(index.step)),
            np.repeat(np.sqrt(index.other_step[varying]), OTHER_LEVELS),
        ]
    ).astype(np.float32)
    return codes.multiply(weights[None, :]).tocsr()


def _split(index: Index, query_emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    query_emb = np.asarray(query_emb, np.float32)
    counts = np.rint(query_emb[:, index.count_cols] / index.step).astype(np.int64)
    return counts, query_emb[:, index.other_cols]


def _exact(index: Index, q_counts, q_other, refs: np.ndarray) -> np.ndarray:
    """The model's manhattan distances ``(b, C)`` from queries ``(b, ...)`` to their
    candidate references ``refs`` ``(b, C)``. On counts, |a - b| summed is |a| + |b| -
    2 min(a, b) summed: min runs on uint8 (exact: references hold at most ``MAX_COUNT``, so
    clipping the queries there changes no minimum)."""
    q_small = np.minimum(q_counts, MAX_COUNT).astype(np.uint8)[:, None, :]
    shared = np.minimum(index.counts[refs], q_small).sum(2, dtype=index.sum_dtype)
    d = index.count_sums[refs] + q_counts.sum(1)[:, None] - 2 * shared.astype(np.int64)
    d = d * index.step
    return d + np.abs(index.other[refs] - q_other[:, None, :]).sum(2, dtype=np.float64)


def search(
    index: Index,
    query_emb: np.ndarray,
    k: int,
    candidates: int = 200,
    workers: int = 1,
    block: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest references of each query: indices ``(q, k)`` and estimated edit
    distances (distance × scale × L), nearest first. Exact for every distance but manhattan
    with count columns, where the ``candidates`` best by the sketch are ranked exactly.
    Blocks of ``block`` queries run on ``workers`` threads (numpy releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

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
        idx, dist = _search_block(index, q_counts[rows], q_other[rows], k, shortlist)
        out_idx[rows], out_dist[rows] = idx, dist

    starts = range(0, len(query_emb), block)
    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one_block, starts))
    else:
        for start in starts:
            one_block(start)
    return out_idx, out_dist * index.scale * index.length


def _search_block(index: Index, q_counts, q_other, k: int, shortlist: int):
    """:func:`search` for one block of queries (unscaled distances)."""
    from scipy.spatial.distance import cdist

    # here, not above: geometry loads Keras (and TensorFlow), which a caller configures first
    from neuroseed.geometry import pairwise

    n = len(index.ids)
    approximate = index.sketch.shape[1] > 0
    if index.distance != "manhattan":
        scores = pairwise(index.distance, q_other, index.other)
    elif approximate:  # squared distances of sketches, less the query's own norm
        q_sketch = np.asarray(_codes(index, q_counts, q_other) @ index.components)
        scores = index.sketch_norms[None, :] - 2.0 * (
            (q_sketch - index.mean_projection) @ index.sketch.T
        )
    elif index.other.size:  # no count columns: exact, directly
        scores = cdist(q_other, index.other, "cityblock")
    else:  # no columns at all
        scores = np.zeros((len(q_other), n))
    part = np.argpartition(scores, shortlist - 1, axis=1)[:, :shortlist]
    out_idx = np.empty((len(part), k), np.int64)
    out_dist = np.empty((len(part), k), np.float64)
    for sub in range(0, len(part), RERANK_BLOCK):  # bounds the (b, C, columns) temporaries
        rows = slice(sub, sub + RERANK_BLOCK)
        cand = part[rows]
        if approximate:
            exact = _exact(index, q_counts[rows], q_other[rows], cand)
        else:
            exact = np.take_along_axis(scores[rows], cand, 1)
        for r in range(len(cand)):  # ties: the earlier reference first
            order = np.lexsort((cand[r], exact[r]))[:k]
            out_idx[sub + r] = cand[r][order]
            out_dist[sub + r] = exact[r][order]
    return out_idx, out_dist


_ARRAYS = ("counts", "other", "count_cols", "other_cols", "levels", "other_low", "other_step")
_ARRAYS += ("components",)
_ARRAYS += ("mean_projection", "sketch")


def save(index: Index, path: str | Path) -> None:
    """Write the index as one ``.npz``, atomically."""
    meta = {
        "format": FORMAT,
        "distance": index.distance,
        "step": index.step,
        "scale": index.scale,
        "length": index.length,
        "model_sha256": index.model_sha256,
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
    import json
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != FORMAT:
                raise damaged(path, f"index format {meta.get('format')}, not {FORMAT}")
            arrays = {name: data[name] for name in _ARRAYS}
            ids = [str(i) for i in data["ids"]]
            sequences = [s.decode() for s in data["sequences"]]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise NeuroseedError(f"{path}: no such index; build it with neuroseed index") from None
        raise damaged(path, f"not a neuroseed index ({type(exc).__name__})") from None
    return Index(
        ids=ids,
        sequences=sequences,
        step=float(meta["step"]),
        distance=meta["distance"],
        scale=float(meta["scale"]),
        length=int(meta["length"]),
        model_sha256=meta["model_sha256"],
        **arrays,
    )
