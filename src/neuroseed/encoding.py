"""Fixed-length integer encoding: A,C,G,T -> 0..3, ambiguity codes -> 4, padding -> -1.

One-hot happens inside the models, where codes 4 and -1 both become all-zero rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuroseed import NeuroseedError

PAD = -1
AMBIGUOUS = 4
_TABLE = np.full(256, AMBIGUOUS, dtype=np.int8)
for _code, _base in enumerate("ACGT"):
    _TABLE[ord(_base)] = _code


def padded_length(sequences: Sequence[str], length: int | None = None) -> int:
    """The normaliser L: ``length`` if given (it must fit every sequence), else the longest."""
    longest = max(len(s) for s in sequences)
    if length is None:
        return longest
    if length < longest:
        raise NeuroseedError(
            f"encoding.length: {length} is shorter than the longest sequence ({longest} nt)"
        )
    return int(length)


def encode(sequences: Sequence[str], length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Encode sequences into an ``(n, L)`` int8 array padded with -1, and their lengths."""
    L = padded_length(sequences, length)
    codes = np.full((len(sequences), L), PAD, dtype=np.int8)
    lengths = np.empty(len(sequences), dtype=np.int32)
    for i, s in enumerate(sequences):
        raw = np.frombuffer(s.encode("ascii"), dtype=np.uint8)
        codes[i, : raw.size] = _TABLE[raw]
        lengths[i] = raw.size
    return codes, lengths


def decode(codes: np.ndarray) -> list[str]:
    """Inverse of :func:`encode` (ambiguity codes come back as N)."""
    alphabet = np.array(list("ACGTN"))
    return ["".join(alphabet[row[row != PAD]]) for row in codes]


def one_hot(codes: np.ndarray) -> np.ndarray:
    """Reference one-hot in numpy: ``(..., L) -> (..., L, 4)``; codes outside 0..3 give zeros."""
    return (codes[..., None] == np.arange(4)).astype(np.float32)


def encode_fasta(fasta: str, out_npz: str, length: int | None = None) -> None:
    """The ``encoding`` stage: FASTA -> ``.npz`` (codes, lengths, ids, padded_length)."""
    import logging

    from neuroseed.io import read_fasta, save_npz

    records = read_fasta(fasta)
    seqs = [s for _, _, s in records]
    codes, lengths = encode(seqs, length)
    logging.getLogger(__name__).info(
        "%d sequences encoded to length %d (%.1f%% padding, %d ambiguous positions)",
        len(seqs),
        codes.shape[1],
        100 * (codes == PAD).mean(),
        int((codes == AMBIGUOUS).sum()),
    )
    save_npz(
        out_npz,
        codes=codes,
        lengths=lengths,
        ids=np.array([r for r, _, _ in records]),
        padded_length=np.int64(codes.shape[1]),
    )
