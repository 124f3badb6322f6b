"""Fixed-length integer encoding: A,C,G,T -> 0..3, alignment gap -> 4, ambiguity codes -> 5,
padding -> -1.

One-hot happens inside the models: of depth 4 for padded raw sequences and of depth 5 (the gap as
a fifth symbol) for aligned ones; ambiguity codes and padding are all-zero rows either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.alignment import check_alignment
from neuroseed.io import read_fasta, save_npz

PAD = -1
GAP = 4
AMBIGUOUS = 5
_TABLE = np.full(256, AMBIGUOUS, dtype=np.int8)
for _code, _base in enumerate("ACGT"):
    _TABLE[ord(_base)] = _code
_TABLE[ord("-")] = GAP


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
    alphabet = np.array(list("ACGT-N"))
    return ["".join(alphabet[row[row != PAD]]) for row in codes]


def one_hot(codes: np.ndarray, depth: int = 4) -> np.ndarray:
    """Reference one-hot in numpy: ``(..., L) -> (..., L, depth)``; other codes give zeros."""
    return (codes[..., None] == np.arange(depth)).astype(np.float32)


def encode_fasta(
    fasta: str, out_npz: str, length: int | None = None, aligned: str | None = None
) -> None:
    """The ``encoding`` stage: FASTA -> ``.npz`` with ``codes``, ``lengths``, ``ids``,
    ``padded_length`` (the ED normaliser L) and ``alphabet_size``.

    With ``aligned`` (an alignment of the same records) the codes are the alignment's columns,
    gaps a fifth symbol; L is still computed from the raw sequences, so targets do not change.
    """
    import logging

    records = read_fasta(fasta)
    seqs = [s for _, _, s in records]
    L = padded_length(seqs, length)
    if aligned is None:
        codes, lengths = encode(seqs, L)
        alphabet = 4
    else:
        rows = read_fasta(aligned)
        check_alignment(records, rows, str(aligned))
        codes, _ = encode([s for _, _, s in rows])
        lengths = np.array([len(s) for s in seqs], dtype=np.int32)
        alphabet = 5
    logging.getLogger(__name__).info(
        "%d sequences encoded to %d positions (alphabet %d, normaliser L=%d, %.1f%% padding, "
        "%.1f%% gaps, %d ambiguous positions)",
        len(seqs),
        codes.shape[1],
        alphabet,
        L,
        100 * (codes == PAD).mean(),
        100 * (codes == GAP).mean(),
        int((codes == AMBIGUOUS).sum()),
    )
    save_npz(
        out_npz,
        codes=codes,
        lengths=lengths,
        ids=np.array([r for r, _, _ in records]),
        padded_length=np.int64(L),
        alphabet_size=np.int64(alphabet),
    )
