import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.encoding import AMBIGUOUS, GAP, PAD, decode, encode, encode_fasta, one_hot


def test_encode_codes_and_padding():
    codes, lengths = encode(["ACGT", "GN"])
    assert codes.dtype == np.int8
    assert codes.tolist() == [[0, 1, 2, 3], [2, AMBIGUOUS, PAD, PAD]]
    assert lengths.tolist() == [4, 2]
    assert decode(codes) == ["ACGT", "GN"]


def test_one_hot_every_base_distinct_and_padding_zero():
    oh = one_hot(encode(["ACGTN"], length=7)[0])[0]
    assert oh[:4].tolist() == np.eye(4).tolist()  # G is not all zeros (the student-port bug)
    assert not oh[4:].any()  # ambiguity code and padding are all-zero rows


def test_explicit_length_must_fit():
    assert encode(["ACG"], length=5)[0].shape == (1, 5)
    with pytest.raises(
        NeuroseedError, match="encoding.length: 2 is shorter than the longest sequence"
    ):
        encode(["ACG"], length=2)


def test_gap_is_a_fifth_symbol_only_for_aligned_input():
    codes, _ = encode(["AC-GN"])
    assert codes.tolist() == [[0, 1, GAP, 2, AMBIGUOUS]]
    assert one_hot(codes, depth=5)[0, 2].tolist() == [0, 0, 0, 0, 1]
    assert not one_hot(codes, depth=4)[0, 2].any()


def test_encode_fasta_aligned_keeps_the_raw_normaliser(fasta, tmp_path):
    raw = fasta([("a", "ACGTAC"), ("b", "ACTAC")], "raw.fasta")
    aln = fasta([("a", "ACGTAC"), ("b", "AC-TAC")], "aln.fasta")
    encode_fasta(str(raw), str(tmp_path / "p.npz"))
    encode_fasta(str(raw), str(tmp_path / "a.npz"), aligned=str(aln))
    padded, aligned = np.load(tmp_path / "p.npz"), np.load(tmp_path / "a.npz")
    assert int(padded["padded_length"]) == int(aligned["padded_length"]) == 6
    assert int(padded["alphabet_size"]) == 4 and int(aligned["alphabet_size"]) == 5
    assert aligned["codes"][1].tolist() == [0, 1, GAP, 3, 0, 1]
    assert aligned["lengths"].tolist() == [6, 5]


def test_encode_fasta_rejects_an_alignment_of_other_sequences(fasta, tmp_path):
    raw = fasta([("a", "ACGTAC"), ("b", "ACTAC")], "raw.fasta")
    aln = fasta([("b", "AC-TAC"), ("a", "ACGTAC")], "aln.fasta")
    with pytest.raises(NeuroseedError, match="alignment's ids differ"):
        encode_fasta(str(raw), str(tmp_path / "a.npz"), aligned=str(aln))
