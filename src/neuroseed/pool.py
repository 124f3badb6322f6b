"""The training pool: sequences beyond the all-pairs matrix, for training only.

The matrix holds every edit distance of the dataset, which the split's validation and test
parts need. Training needs far fewer distances per sequence (``training.partners`` per epoch),
so it can use many more sequences: the pool adds records that are not in the dataset, and the
edit distances of the pairs drawn each epoch are computed exactly, on the fly
(:class:`PoolPairs` in :mod:`neuroseed.sampling`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.artifacts import load_encoded, load_npz
from neuroseed.encoding import encode
from neuroseed.io import atomic_path, damaged, read_fasta, write_json
from neuroseed.regions import cut
from neuroseed.sequences import Record, clean_records

log = logging.getLogger(__name__)


def select(
    candidates: list[Record],
    dataset: list[tuple[str, str, str]],
    size: int,
    seed: int,
    length: int,
    options: dict,
) -> tuple[list[Record], dict]:
    """``size`` records drawn with ``seed`` from ``candidates`` that are not in the dataset
    (neither its ids nor its sequences), cleaned as the dataset was and at most ``length``
    long; returns them with counts of what was left out."""
    ids = {rid for rid, _, _ in dataset}
    seqs = {seq.upper() for _, _, seq in dataset}
    outside = [r for r in candidates if r.id not in ids]
    cleaned, report = clean_records(
        outside, options["ambiguous"], options["min_length"], "pool", length
    )
    fresh = [r for r in cleaned if r.sequence not in seqs]
    if len(fresh) < size:
        raise NeuroseedError(
            f"training.pool.size: {size} records asked for, but only {len(fresh)} of the pool "
            f"source are outside the dataset and pass the sequence filters (at most {length} "
            "long, the dataset's padded length); lower training.pool.size"
        )
    idx = np.sort(np.random.default_rng(seed).choice(len(fresh), size, replace=False))
    counts = {
        "records_in_source": len(candidates),
        "in_dataset_by_id": len(candidates) - len(outside),
        "dropped_by_filters": len(outside) - len(cleaned),
        "in_dataset_by_sequence": len(cleaned) - len(fresh),
        "eligible": len(fresh),
        "drawn": size,
    }
    return [fresh[i] for i in idx], counts


def build(
    source_fasta: str,
    dataset_fasta: str,
    encoded: str,
    out_npz: str,
    report_json: str,
    size: int,
    seed: int,
    options: dict,
    region: str = "full",
) -> None:
    """The ``prepare_pool`` stage: draw the pool (cut to the dataset's ``region``), encode it to
    the dataset's padded length and write codes, ids and sequences (``out_npz``) with a report
    of what was left out."""
    data = load_encoded(encoded)
    length = int(data["padded_length"])
    if "alphabet_size" in data and int(data["alphabet_size"]) != 4:
        raise NeuroseedError(
            "training.pool: the dataset is aligned (encoding.alignment), and pool sequences "
            "cannot join that alignment; set training.pool.size: 0 or encoding.alignment: none"
        )
    reads, _ = cut(read_fasta(source_fasta), region)
    candidates = [Record(*r) for r in reads]
    records, counts = select(candidates, read_fasta(dataset_fasta), size, seed, length, options)
    seqs = [r.sequence for r in records]
    codes, lengths = encode(seqs, length)
    with atomic_path(out_npz) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                codes=codes,
                lengths=lengths,
                ids=np.array([r.id for r in records]),
                sequences=np.array(seqs, dtype=bytes),
                padded_length=length,
            )
    report = {"source": str(source_fasta), "region": region, "seed": seed, "padded_length": length}
    report.update(counts)
    log.info("training pool: %s", report)
    write_json(report_json, report)


def load(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """A pool's codes and sequences (as ``str``, for the edit distances)."""
    arrays = load_npz(path, ("codes", "sequences"))
    codes, sequences = arrays["codes"], [s.decode() for s in arrays["sequences"]]
    if codes.ndim != 2 or len(codes) != len(sequences):
        raise damaged(path, f"codes {codes.shape} for {len(sequences)} sequences")
    return codes, sequences
