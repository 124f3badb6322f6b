"""Use a trained model: embed new sequences and search a reference set by estimated edit distance.

A model file is the workflow's ``model.keras`` (Siamese encoder + distance head) with its
identity inside (:mod:`neuroseed.model_file`), whose normaliser L (targets were ED/L) turns an
embedding distance ``d`` into an estimated edit distance ``d * L``. Models written before
identities read L from the ``metrics.json`` beside them, or from ``--length``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.encoding import encode
from neuroseed.io import read_fasta
from neuroseed.model_file import IDENTITY, load_siamese, read_identity
from neuroseed.runtime import distances, head_scale
from neuroseed.runtime import embed as embed_codes
from neuroseed.sequences import Record, clean_records

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
    if length is not None:
        source = "--length"
    elif identity is not None:
        length, source = identity.padded_length, f"{path} ({IDENTITY})"
    else:
        metrics = path.with_name("metrics.json")
        if not metrics.is_file():
            raise NeuroseedError(
                f"{path}: no metrics.json beside the model to read the normaliser L from; "
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
        value = json.loads(metrics.read_text())
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


def embed(trained: Trained, sequences: list[str], batch_size: int = 256) -> np.ndarray:
    """Embeddings ``(n, dim)`` of sequences padded to the model's input width."""
    codes, _ = encode(sequences, trained.width)
    return embed_codes(trained.encoder, codes, batch_size)


def nearest(
    trained: Trained,
    query_emb: np.ndarray,
    ref_emb: np.ndarray,
    k: int,
    queries: list[str] | None = None,
    refs: list[str] | None = None,
    rerank: int = 0,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The ``k`` references nearest each query by estimated edit distance.

    Returns reference indices ``(q, k)``, estimated edit distances (embedding distance × L) and,
    when ``rerank`` > 0, exact edit distances: the ``max(k, rerank)`` nearest by embedding are
    re-ordered by their exact distance (needs the sequences).
    """
    k = min(k, len(ref_emb))
    shortlist = min(max(k, rerank), len(ref_emb))
    est = distances(trained.head, query_emb, ref_emb) * trained.length
    idx = np.argpartition(est, shortlist - 1, axis=1)[:, :shortlist]
    order = np.argsort(np.take_along_axis(est, idx, 1), axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, 1)
    return rerank_exact(idx, np.take_along_axis(est, idx, 1), k, queries, refs, rerank, workers)


def rerank_exact(
    idx: np.ndarray,
    est: np.ndarray,
    k: int,
    queries: list[str] | None,
    refs: list[str] | None,
    rerank: int,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The first ``k`` of each shortlist ``idx`` (nearest first, estimates ``est``), re-ordered
    by exact edit distance when ``rerank`` > 0 (then returned too)."""
    exact = None
    if rerank:
        if queries is None or refs is None:
            raise ValueError("re-ranking needs the query and reference sequences")
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import cdist

        exact = np.empty(idx.shape, dtype=np.int64)
        for q in range(len(idx)):
            cand = [refs[j] for j in idx[q]]
            exact[q] = cdist([queries[q]], cand, scorer=Levenshtein.distance, workers=workers)[0]
        order = np.argsort(exact, axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, 1)
        est = np.take_along_axis(est, order, 1)
        exact = np.take_along_axis(exact, order, 1)[:, :k]
    return idx[:, :k], est[:, :k], exact
