import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.encoding import AMBIGUOUS, PAD, decode, encode, one_hot


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
