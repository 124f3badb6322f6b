"""Use a trained model: embed new sequences and search a reference set by edit distance.

The search is exact by default: the embedding orders each query's candidates by estimated edit
distance and :mod:`neuroseed.verify` decides by exact Levenshtein, verifying candidates in that
order until a stop calibrated on the references themselves (leave-one-out, :func:`calibrate`)
says the true nearest has been met with the asked probability; ``approx`` keeps the embedding's
own answer.

A model file is the workflow's ``model.keras`` (Siamese encoder + distance head) with its
identity inside (:mod:`neuroseed.model_file`), whose normaliser L (targets were ED/L) turns an
embedding distance ``d`` into an estimated edit distance ``d * L``. Models written before
identities read L from the ``metrics.json`` beside them, or from ``--length``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError, paths
from neuroseed import index as ref_index
from neuroseed.console import Progress
from neuroseed.encoding import encode
from neuroseed.io import loads_json, read_fasta
from neuroseed.model_file import IDENTITY, load_siamese, read_identity
from neuroseed.runtime import distances, head_scale
from neuroseed.runtime import embed as embed_codes
from neuroseed.sequences import Record, clean_records
from neuroseed.verify import (
    Answer,
    Bounds,
    Stop,
    Trial,
    fit_stop,
    parallel_map,
    trials,
    verify_one,
)

log = logging.getLogger(__name__)


@dataclass
class Trained:
    encoder: object
    head: object
    width: int  # input positions the encoder takes
    length: int  # the normaliser L
    distance: str
    model: str

    @property
    def scale(self) -> float:
        """The distance head's scale: an embedding distance ``d`` is ``d * scale * length``
        edits."""
        return head_scale(self.head)


def load_model(path: str | Path, length: int | None = None) -> Trained:
    """The encoder, distance head and normaliser of a trained ``model.keras``, for new
    (unaligned) sequences."""
    path = Path(path)
    encoder, head = load_siamese(path)
    identity = read_identity(path)
    if identity is not None:
        aligned = identity.alphabet != "ACGT"
    else:  # a model from before identities: its one-hot depth tells
        aligned = any(layer.name == "one_hot" and layer.depth != 4 for layer in encoder.layers)
    if aligned:
        raise NeuroseedError(
            f"{path}: the model reads MAFFT-aligned input; embedding new sequences would need "
            "them aligned to the same alignment, which this tool does not do"
        )
    if length is not None and identity is not None and length != identity.padded_length:
        raise NeuroseedError(
            f"--length {length}: {path} was trained with L = {identity.padded_length} (stored "
            "in it); leave --length out (it is for models without a stored L)"
        )
    if length is not None:
        source = "--length"
    elif identity is not None:
        length, source = identity.padded_length, f"{path} ({IDENTITY})"
    else:
        metrics = path.with_name(paths.METRICS)
        if not metrics.is_file():
            raise NeuroseedError(
                f"{path}: no {paths.METRICS} beside the model to read the normaliser L from; "
                "give it with --length"
            )
        length, source = _padded_length(metrics), str(metrics)
    if length < 1:  # estimates would all be 0 or negative
        raise NeuroseedError(f"{source}: the normaliser L must be a positive length, not {length}")
    return Trained(
        encoder=encoder,
        head=head,
        width=int(encoder.input_shape[1]),
        length=int(length),
        distance=head.distance,
        model=identity.encoder if identity else encoder.name.removesuffix("_encoder"),
    )


def _padded_length(metrics: Path) -> int:
    """The normaliser L recorded in a run's ``metrics.json``."""
    try:
        value = loads_json(metrics.read_text())
    except ValueError as exc:  # JSONDecodeError, or bytes that are not text
        raise NeuroseedError(
            f"{metrics}: not valid JSON ({exc}); give the normaliser L with --length"
        ) from None
    try:
        return int(value["padded_length"])
    except (TypeError, KeyError, ValueError):
        raise NeuroseedError(
            f"{metrics}: no integer padded_length (the normaliser L) in it; give L with --length"
        ) from None


def read_sequences(path: str | Path, width: int) -> list[Record]:
    """Records of a FASTA file, validated (ACGT, U, gaps and IUPAC codes; ambiguity codes are
    kept, as in training) and no longer than the model's input."""
    records = [Record(rid, header, seq) for rid, header, seq in read_fasta(path)]
    records, _ = clean_records(records, "keep", 1, str(path))
    too_long = [r for r in records if len(r.sequence) > width]
    if too_long:
        r = too_long[0]
        raise NeuroseedError(
            f"{path}: {len(too_long)} sequence(s) longer than the model's input of {width} nt, "
            f"e.g. '{r.id}' ({len(r.sequence)} nt)"
        )
    return records


EMBED_BATCHES = 16  # batches per progress step: the same batches as at once, so the same rows


def embed(
    trained: Trained, sequences: list[str], batch_size: int = 256, progress=None
) -> np.ndarray:
    """Embeddings ``(n, dim)`` of sequences padded to the model's input width;
    ``progress(done, total)`` is called after every few batches."""
    codes, _ = encode(sequences, trained.width)
    if progress is None or len(codes) <= batch_size * EMBED_BATCHES:
        emb = embed_codes(trained.encoder, codes, batch_size)
        if progress is not None:
            progress(len(codes), len(codes))
        return emb
    step, parts = batch_size * EMBED_BATCHES, []
    for start in range(0, len(codes), step):
        parts.append(embed_codes(trained.encoder, codes[start : start + step], batch_size))
        progress(min(start + step, len(codes)), len(codes))
    return np.concatenate(parts)


DEFAULT_RECALL = 0.995  # share of queries whose true nearest the calibrated stop verifies
# references searched leave-one-out, exhaustively, to calibrate the stop: as many as some
# millions of exact pairs allow (about 4 µs each for full-length 16S on 2 cores), between 200
# and 1,000: an index's once (20 M pairs: 1,000 queries up to 20,000 references), a search
# without an index's each time (6 M: ~20 s)
CALIBRATION_QUERIES = 1000
CALIBRATION_PAIRS = 6_000_000
INDEX_CALIBRATION_PAIRS = 20_000_000
DEFAULT_LIMIT = 500  # candidates verified at most per query
EXHAUSTIVE_UP_TO = 256  # references: so few that every one is verified (and certified)


def shortlist(
    trained: Trained, query_emb: np.ndarray, ref_emb: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` references of smallest estimated edit distance to each query, nearest first
    (ties: the earlier reference), and those estimates; by brute force."""
    m = min(m, len(ref_emb))
    est = distances(trained.head, query_emb, ref_emb) * trained.length
    idx = np.argpartition(est, m - 1, axis=1)[:, :m] if m < est.shape[1] else None
    if idx is None:
        idx = np.broadcast_to(np.arange(est.shape[1]), est.shape)
    part = np.take_along_axis(est, idx, 1)
    order = np.lexsort((idx, part), axis=1)
    idx = np.take_along_axis(idx, order, 1)
    return idx, np.take_along_axis(est, idx, 1)


SKETCH_PER_CANDIDATE = 4  # sketch candidates an index ranks exactly per candidate listed
MIN_SKETCH = 2048  # and at least so many: fewer lose true nearest neighbours already


def index_lists(
    index,
    query_emb: np.ndarray,
    m: int,
    workers: int = 1,
    candidates: int = 200,
    probe: int = ref_index.PROBE,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` nearest references by embedding through a reference index, nearest first:
    for k-mer models the sketch passes ``SKETCH_PER_CANDIDATE * m`` (at least
    ``candidates``) to the exact embedding distance, so the list holds what brute force would
    (measured on 20,000 Greengenes references: the true nearest by edit distance in the first
    1,000 for every query, as by brute force, against 99.5 % with 1,000 sketch candidates)."""
    shortlist = max(candidates, SKETCH_PER_CANDIDATE * m, MIN_SKETCH)
    return ref_index.search(index, query_emb, m, shortlist, workers, probe=probe)


def calibrate(
    refs: list[str],
    lists_of,
    n_queries: int = CALIBRATION_QUERIES,
    seed: int = 0,
    workers: int = 1,
    progress=None,
    queries: list[str] | None = None,
) -> list[Trial]:
    """Calibration trials: ``n_queries`` references drawn with ``seed``, each searched as a
    query among the others (``lists_of(rows)`` gives their candidate lists, themselves
    included or not) and exhaustively, for its true nearest. With ``queries`` (sequences like
    the ones to be searched), those are drawn and searched among all references instead."""
    rng = np.random.default_rng(seed)
    pool = len(refs) if queries is None else len(queries)
    pseudo = np.sort(rng.choice(pool, min(n_queries, pool), replace=False))
    idx, est = lists_of(pseudo)
    return trials(refs, pseudo, list(idx), list(est), workers, progress, queries)


def calibration_queries(n_refs: int, pairs: int = CALIBRATION_PAIRS) -> int:
    """Calibration queries: as many as ``pairs`` exact pairs allow, between 200 and
    ``CALIBRATION_QUERIES``."""
    return int(np.clip(pairs // max(n_refs, 1), 200, CALIBRATION_QUERIES))


FARTHER = 1.2  # queries' median nearest distance over the calibration's that is warned about


def farther_than_calibrated(found: list[Trial], hits: list[Hits]) -> tuple[float, float] | None:
    """The queries' and the calibration queries' median nearest exact distance when the
    queries' is more than ``FARTHER`` times the other's, else ``None``. A stop calibrated on
    queries nearer their references than the ones searched verifies too few for them (10,000
    to 1,000,000 references: ratios 1.04, 1.21 and 2.05 gave the true nearest to 99.5, 97.9
    and 89.0 % of held-out queries instead of the 99.5 % calibrated; docs/experiments.md)."""
    calibrated = [t.exact[t.truth] for t in found if t.truth >= 0]
    searched = [h.answer.exact[0] for h in hits if len(h.answer.exact)]
    if not calibrated or not searched:
        return None
    ours, theirs = float(np.median(searched)), float(np.median(calibrated))
    return (ours, theirs) if ours > FARTHER * max(theirs, 1.0) else None


@dataclass
class Hits:
    """One query's exact answer and whether a lower bound proves it exact among all
    references (``certified``)."""

    answer: Answer
    certified: bool


FIRST_ROUND = 512  # candidates listed per query at first; 4x more for those that need them


class Searcher:
    """A model and its references, searched by brute force over their embeddings or through
    an index (``neuroseed.index``): candidate lists, the calibrated stop, exact answers."""

    def __init__(
        self,
        trained: Trained,
        ids: list[str],
        sequences: list[str],
        index=None,
        threads: int = 1,
        batch_size: int = 256,
        candidates: int = 200,
        probe: int = ref_index.PROBE,
        log=None,
    ):
        self.trained, self.ids, self.sequences, self.index = trained, ids, sequences, index
        self.threads, self.candidates, self.probe, self.log = threads, candidates, probe, log
        self.batch_size = batch_size
        if index is None:
            self.ref_emb = embed(
                trained, sequences, batch_size, self._progress("embedding references")
            )
        # (``trained`` may be None with an index, when queries come embedded: ``exact``)
        self._bounds = index.bounds() if index is not None else None
        self._trials = index.trials() if index is not None else None

    def __len__(self) -> int:
        return len(self.sequences)

    def _progress(self, what: str) -> Progress | None:
        return Progress(self.log, what) if self.log else None

    def lists(self, query_emb: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``m`` nearest references of each query by estimate, nearest first."""
        if self.index is None:
            return shortlist(self.trained, query_emb, self.ref_emb, m)
        return index_lists(self.index, query_emb, m, self.threads, self.candidates, self.probe)

    @property
    def bounds(self) -> Bounds:
        if self._bounds is None:
            self._bounds = Bounds.of(self.sequences)
        return self._bounds

    def limit(self, limit: int) -> int:
        """At most ``limit`` candidates, and no more than an index's calibration saw."""
        cap = self.index.limit if self.index is not None and self.index.limit else limit
        return max(1, min(limit, cap, len(self)))

    def trials(self, limit: int) -> list[Trial]:
        """The stop's calibration trials: the index's, or run now (leave-one-out)."""
        if self._trials is None:
            start = time.perf_counter()
            self._trials = calibrate(
                self.sequences,
                lambda rows: shortlist(self.trained, self.ref_emb[rows], self.ref_emb, limit + 1),
                calibration_queries(len(self)),
                workers=self.threads,
                progress=self._progress("calibration"),
            )
            if self.log:
                self.log(f"calibration: {time.perf_counter() - start:.1f} s")
        return self._trials

    def stop(self, recall: float, limit: int) -> tuple[Stop, dict]:
        """The stop verifying each query's true nearest with probability ``recall``, as
        calibrated (every one of ``limit`` candidates when there is no calibration)."""
        limit = self.limit(limit)
        found = self.trials(limit)
        if not found:
            return Stop(limit=limit), {}
        return fit_stop(found, recall, limit)

    def approx(self, queries: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest references by estimated edit distance only (through an index: the
        best ``candidates`` by its sketch ranked exactly, nothing more)."""
        query_emb = embed(
            self.trained, queries, self.batch_size, self._progress("embedding queries")
        )
        k = min(k, len(self))
        if self.index is None:
            return self.lists(query_emb, k)
        shortlist = max(k, self.candidates)
        return ref_index.search(self.index, query_emb, k, shortlist, self.threads, probe=self.probe)

    def exact(
        self, queries: list[str], k: int, stop: Stop, query_emb: np.ndarray | None = None
    ) -> list[Hits]:
        """The ``k`` nearest references of each query by exact edit distance among its
        candidates, verified under ``stop``, each answer certified where the lower bounds rule
        out every reference left. Candidates are listed in rounds, ``FIRST_ROUND`` at first,
        then four times as many for the queries whose stop has not come, up to
        ``stop.limit``: listing costs, and most queries stop early."""
        if query_emb is None:  # (given: embedded before, e.g. by a benchmark)
            query_emb = embed(
                self.trained, queries, self.batch_size, self._progress("embedding queries")
            )
        refs, n, bounds = self.sequences, len(self), self.bounds
        k, limit = min(k, n), min(stop.limit, n)
        out: list[Hits | None] = [None] * len(queries)
        before: list[Answer | None] = [None] * len(queries)
        rows = np.arange(len(queries))
        # without a bound (exhaustive, or a fixed number) every listed candidate is verified
        m = min(limit, max(FIRST_ROUND, k)) if stop.slack < math.inf else limit
        while rows.size:
            idx, est = self.lists(query_emb[rows], m)

            def one(i: int, idx=idx, est=est, rows=rows) -> Hits | None:
                q = rows[i]
                answer = verify_one(queries[q], refs, idx[i], est[i], k, stop, before[q])
                left = idx[i][~np.isin(idx[i], answer.seen)]
                if not left.size and len(idx[i]) < limit:  # the stop has not come: list more
                    before[q] = answer
                    return None
                if answer.verified >= n:
                    certified = True
                elif len(answer.exact) < k:
                    certified = False
                else:
                    dk = answer.exact[k - 1]
                    certified = bounds.certify(queries[q], dk, answer.seen, left[:64])
                return Hits(answer, certified)

            what = f"exact verification, {m} candidates listed"
            progress = self._progress(what)
            results = parallel_map(one, len(rows), self.threads, progress)
            for i, hit in enumerate(results):
                if hit is not None:
                    out[rows[i]] = hit
            rows = np.array([rows[i] for i, hit in enumerate(results) if hit is None], np.int64)
            m = min(limit, 4 * m)
        return out  # type: ignore[return-value]
