import numpy as np

from neuroseed.edit_distance import distance_dtype, edit_distance_matrix, levenshtein_reference


def test_reference_dp_hand_values():
    assert levenshtein_reference("kitten", "sitting") == 3
    assert levenshtein_reference("", "ACG") == 3
    assert levenshtein_reference("ACGT", "ACGT") == 0


def test_matrix_matches_naive_dp_on_random_strings():
    rng = np.random.default_rng(7)
    seqs = ["".join(rng.choice(list("ACGTN"), size=rng.integers(0, 60))) for _ in range(25)]
    seqs += [seqs[3]]  # a duplicate gives a zero off the diagonal
    m = edit_distance_matrix(seqs, workers=2)
    ref = np.array([[levenshtein_reference(a, b) for b in seqs] for a in seqs])
    assert np.array_equal(m, ref)
    assert np.array_equal(m, m.T) and not np.diag(m).any()
    assert m.dtype == np.uint8


def test_distance_dtype_is_smallest_that_fits():
    assert distance_dtype(255) == np.uint8
    assert distance_dtype(2033) == np.uint16
    assert distance_dtype(70000) == np.uint32
