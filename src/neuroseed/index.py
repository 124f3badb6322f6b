"""A reference index: references embedded once, then searched fast, query after query.

Distances with a matrix-product form (euclidean, square, cosine, hyperbolic) are searched
exactly by matrix products. Manhattan has none, and the k-mer models' embeddings are thousands
of columns wide, so there a sketch picks candidates and the exact distance orders them:

* columns holding counts (non-negative multiples of one step: a k-mer profile) are written as
  unary (thermometer) codes, whose squared euclidean distance *equals* their manhattan
  distance, and projected on their ``sketch_dims`` principal components (fitted on a seeded
  sample of the references): a matrix product per query instead of thousands of columns;
* the other columns (a learned embedding, a length channel) enter with their exact distance;
* the ``candidates`` best by that sketch are ranked by the model's exact manhattan distance.

``recall`` against brute force is measured in ``benchmarks/retrieval.py`` and tested.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, damaged

FORMAT = 1
MAX_COUNT = 255  # counts are stored as uint8
SKETCH_SAMPLE = 2000  # references the principal components are fitted on


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
    components: np.ndarray  # (sum(levels), d) float32 principal axes of the unary codes
    mean_projection: np.ndarray  # (d,) the sample mean's projection
    sketch: np.ndarray  # (n, d) float32 the references' projections

    def __post_init__(self) -> None:
        # row gathers per query: rows must be contiguous (a column slice is not, and is 50x slower)
        self.counts = np.ascontiguousarray(self.counts)
        self.other = np.ascontiguousarray(self.other)
        self.sketch = np.ascontiguousarray(self.sketch)
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
    sketch_dims: int = 128,
    seed: int = 0,
) -> Index:
    """An index of the references' embeddings ``emb`` (rows in ``ids`` order)."""
    emb = np.asarray(emb, np.float32)
    count_cols, step = count_columns(emb, distance)
    other_cols = np.setdiff1d(np.arange(emb.shape[1]), count_cols)
    counts = np.rint(emb[:, count_cols] / step).astype(np.uint8)
    levels = counts.max(0).astype(np.int64) if len(counts) else np.zeros(0, np.int64)
    if count_cols.size and levels.sum():
        codes = _unary(counts, levels)
        components, mean_projection = _principal_axes(codes, sketch_dims, seed)
        sketch = np.asarray(codes @ components) - mean_projection
    else:
        components = np.zeros((int(levels.sum()), 0), np.float32)
        mean_projection = np.zeros(0, np.float32)
        sketch = np.zeros((len(emb), 0), np.float32)
    return Index(
        ids=list(ids),
        sequences=list(sequences),
        counts=counts,
        other=np.ascontiguousarray(emb[:, other_cols]),
        count_cols=count_cols,
        other_cols=other_cols,
        step=step,
        distance=distance,
        scale=float(scale),
        length=int(length),
        model_sha256=model_sha256,
        levels=levels,
        components=components,
        mean_projection=mean_projection,
        sketch=sketch.astype(np.float32),
    )


def _split(index: Index, query_emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    query_emb = np.asarray(query_emb, np.float32)
    counts = np.rint(query_emb[:, index.count_cols] / index.step).astype(np.int64)
    return counts, query_emb[:, index.other_cols]


def _exact(index: Index, q_counts, q_other, refs: np.ndarray) -> np.ndarray:
    """The model's manhattan distance from one query to the references ``refs`` (indices).
    On counts, |a - b| summed is |a| + |b| - 2 min(a, b) summed: min runs on uint8 (exact:
    references hold at most ``MAX_COUNT``, so clipping the query there changes no minimum)."""
    q_small = np.minimum(q_counts, MAX_COUNT).astype(np.uint8)
    shared = np.minimum(index.counts[refs], q_small).sum(1, dtype=index.sum_dtype)
    d = (index.count_sums[refs] + int(q_counts.sum()) - 2 * shared) * index.step
    return d + np.abs(index.other[refs] - q_other).sum(1, dtype=np.float64)


def search(
    index: Index, query_emb: np.ndarray, k: int, candidates: int = 200, block: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest references of each query: indices ``(q, k)`` and estimated edit
    distances (distance × scale × L), nearest first. Exact for every distance but manhattan
    with count columns, where the ``candidates`` best by the sketch are ranked exactly."""
    from scipy.spatial.distance import cdist

    from neuroseed.geometry import pairwise

    if query_emb.shape[1] != index.dim:
        raise NeuroseedError(
            f"the queries' embeddings are {query_emb.shape[1]} wide, the index's {index.dim}: "
            "the index was built with another model; rebuild it with neuroseed index"
        )
    n = len(index.ids)
    k = min(k, n)
    approximate = index.sketch.shape[1] > 0
    shortlist = min(max(k, candidates), n) if approximate else k
    q_counts, q_other = _split(index, query_emb)
    out_idx = np.empty((len(query_emb), k), np.int64)
    out_dist = np.empty((len(query_emb), k), np.float64)
    block = max(1, min(block, 2**24 // max(n, 1)))
    for start in range(0, len(query_emb), block):
        rows = slice(start, start + block)
        if index.distance != "manhattan":
            scores = pairwise(index.distance, q_other[rows], index.other)
        else:
            scores = cdist(q_other[rows], index.other, "cityblock") if index.other.size else 0.0
            if approximate:
                q_sketch = _unary(q_counts[rows], index.levels) @ index.components
                q_sketch = np.asarray(q_sketch) - index.mean_projection
                sq = (index.sketch**2).sum(1)[None, :] - 2.0 * (q_sketch @ index.sketch.T)
                scores = scores + index.step * sq
            elif index.counts.size:  # counts without a sketch: exact, directly
                scores = scores + index.step * cdist(
                    q_counts[rows].astype(np.float64), index.counts.astype(np.float64), "cityblock"
                )
            scores = np.broadcast_to(scores, (len(q_other[rows]), n))
        part = np.argpartition(scores, shortlist - 1, axis=1)[:, :shortlist]
        for r, cand in enumerate(part):
            q = start + r
            exact = (
                _exact(index, q_counts[q], q_other[q], cand)
                if approximate
                else np.asarray(scores[r, cand], np.float64)
            )
            order = np.lexsort((cand, exact))[:k]  # ties: the earlier reference first
            out_idx[q] = cand[order]
            out_dist[q] = exact[order]
    return out_idx, out_dist * index.scale * index.length


_ARRAYS = ("counts", "other", "count_cols", "other_cols", "levels", "components")
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
