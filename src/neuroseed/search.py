"""Use a trained model: embed new sequences and search a reference set by estimated edit distance.

A model file is the workflow's ``model.keras`` (Siamese encoder + distance head). Its normaliser
L (targets were ED/L) comes from the ``metrics.json`` beside it unless given, so an embedding
distance ``d`` estimates the edit distance as ``d * L``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import read_fasta
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


def load_siamese(path: str | Path):
    """The shared encoder and the distance head of a trained ``model.keras``."""
    import keras

    from neuroseed.models import split_siamese

    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: model file not found")
    try:
        return split_siamese(keras.models.load_model(path))
    except (ValueError, OSError, StopIteration) as exc:
        raise NeuroseedError(f"{path}: not a NeuroSEED model ({exc})") from None


def load_model(path: str | Path, length: int | None = None) -> Trained:
    """The encoder, distance head and normaliser of a trained ``model.keras``, for new
    (unaligned) sequences."""
    path = Path(path)
    encoder, head = load_siamese(path)
    one_hot = [layer for layer in encoder.layers if layer.name == "one_hot"]
    if one_hot and one_hot[0].depth != 4:
        raise NeuroseedError(
            f"{path}: the model reads MAFFT-aligned input; embedding new sequences would need "
            "them aligned to the same alignment, which this tool does not do"
        )
    if length is None:
        metrics = path.with_name("metrics.json")
        if not metrics.is_file():
            raise NeuroseedError(
                f"{path}: no metrics.json beside the model to read the normaliser L from; "
                "give it with --length"
            )
        length = int(json.loads(metrics.read_text())["padded_length"])
    return Trained(
        encoder=encoder,
        head=head,
        width=int(encoder.input_shape[1]),
        length=int(length),
        distance=head.distance,
        model=encoder.name.removesuffix("_encoder"),
    )


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
    from neuroseed.encoding import encode
    from neuroseed.training import embed as embed_codes

    codes, _ = encode(sequences, trained.width)
    return embed_codes(trained.encoder, codes, batch_size)


def distances(head, queries: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Distances ``(n_queries, n_refs)`` by a model's distance head (its scale included), in
    float64 through matrix products (:func:`neuroseed.geometry.pairwise`)."""
    import keras

    from neuroseed.geometry import pairwise

    scale = float(keras.ops.convert_to_numpy(head.scale)) if head.learn_scale else 1.0
    return pairwise(head.distance, queries, refs) * scale


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
        exact = np.take_along_axis(exact, order, 1)[:, :k]
    idx = idx[:, :k]
    return idx, np.take_along_axis(est, idx, 1), exact


@dataclass
class Run:
    """A trained run with the workflow artifacts it was trained on."""

    encoder: object
    head: object
    codes: np.ndarray
    distances: np.ndarray
    parts: dict[str, np.ndarray]
    length: int


def load_run(model: str, encoded: str, distances_npy: str, split_json: str) -> Run:
    from neuroseed.io import read_json
    from neuroseed.splits import split_indices

    encoder, head = load_siamese(model)
    data = np.load(encoded)
    ids = [str(i) for i in data["ids"]]
    parts = split_indices(read_json(split_json), ids)
    return Run(
        encoder,
        head,
        data["codes"],
        np.load(distances_npy, mmap_mode="r"),
        parts,
        int(data["padded_length"]),
    )
