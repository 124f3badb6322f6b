"""Use a trained model: embed new sequences and search a reference set by estimated edit distance.

A model file is the workflow's ``model.keras`` (Siamese encoder + distance head). Its normaliser
L (targets were ED/L) comes from the ``metrics.json`` beside it unless given, so an embedding
distance ``d`` estimates the edit distance as ``d * L``.
"""

from __future__ import annotations

import json
import logging
import zipfile
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

    from neuroseed.models import PairDistance, split_siamese

    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: model file not found")
    retrain = "give a model.keras trained by the NeuroSEED workflow"
    # Keras reports a damaged archive as "File not found"; say what is wrong before it does
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise NeuroseedError(
            f"{path}: not a readable .keras file (truncated or not a zip archive); {retrain}"
        )
    try:
        model = keras.models.load_model(path)  # safe_mode stays on: a model file runs no code
    except Exception as exc:  # a bad file fails anywhere in Keras, with any exception type
        raise NeuroseedError(
            f"{path}: not a loadable Keras model ({_load_failure(exc)}); {retrain}"
        ) from None
    try:
        encoder, head = split_siamese(model)
    except (StopIteration, ValueError, AttributeError):  # no nested encoder or "distance" layer
        encoder = head = None
    if not isinstance(encoder, keras.Model) or not isinstance(head, PairDistance):
        raise NeuroseedError(
            f"{path}: a Keras model but not a NeuroSEED one (no NeuroSEED encoder and distance "
            f"head); {retrain}"
        )
    return encoder, head


def _load_failure(exc: Exception) -> str:
    """What Keras could not load, in one short line: the innermost cause's first sentence,
    without the configuration dump Keras appends."""
    text = str(exc)
    if "safe_mode" in text:
        return "it holds Python code (a Lambda layer), which safe loading does not run"
    text = text.split("Exception encountered:")[-1]
    for dump in ("Full config", "Full object config", "config="):
        text = text.split(dump)[0]
    text = " ".join(text.split()).split(". ")[0].rstrip(" .,:")
    text = text or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


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
    from_user = length is not None
    if length is None:
        metrics = path.with_name("metrics.json")
        if not metrics.is_file():
            raise NeuroseedError(
                f"{path}: no metrics.json beside the model to read the normaliser L from; "
                "give it with --length"
            )
        length = _padded_length(metrics)
    if length < 1:  # estimates would all be 0 or negative
        source = "--length" if from_user else str(path.with_name("metrics.json"))
        raise NeuroseedError(f"{source}: the normaliser L must be a positive length, not {length}")
    return Trained(
        encoder=encoder,
        head=head,
        width=int(encoder.input_shape[1]),
        length=int(length),
        distance=head.distance,
        model=encoder.name.removesuffix("_encoder"),
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
    from neuroseed.artifacts import load_distances, load_encoded
    from neuroseed.io import read_json
    from neuroseed.splits import split_indices

    encoder, head = load_siamese(model)
    data = load_encoded(encoded)
    ids = [str(i) for i in data["ids"]]
    parts = split_indices(read_json(split_json), ids)
    return Run(
        encoder,
        head,
        data["codes"],
        load_distances(distances_npy, len(ids)),
        parts,
        int(data["padded_length"]),
    )
