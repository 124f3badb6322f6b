import numpy as np
import pytest

from neuroseed.metrics import rmse_percent, upper_triangle


def test_rmse_percent_hand_computed():
    # errors 0.1 and 0.3 -> mean square 0.05 -> rmse 0.2236 -> 22.36 %
    assert rmse_percent([0.1, 0.5], [0.2, 0.2]) == pytest.approx(100 * np.sqrt(0.05))
    assert rmse_percent([0.3], [0.3]) == 0.0


def test_rmse_percent_rejects_mismatch():
    with pytest.raises(ValueError):
        rmse_percent([0.1, 0.2], [0.1])


def test_upper_triangle_order():
    m = np.arange(9).reshape(3, 3)
    assert upper_triangle(m).tolist() == [1, 2, 5]


def test_worst_sequence_is_the_read_whose_pairs_err_most():
    from neuroseed.metrics import worst_sequence

    rng = np.random.default_rng(0)
    n = 30
    truth = rng.random((n, n))
    truth = truth + truth.T
    pred = truth + rng.normal(0, 0.01, (n, n))
    pred = (pred + pred.T) / 2
    pred[7, :] += 3.0  # one read far off, as a read through a dead batch-norm channel
    pred[:, 7] += 3.0
    t, p = upper_triangle(truth), upper_triangle(pred)
    row, share, without = worst_sequence(t, p, n)
    assert row == 7 and share > 0.99
    keep = np.delete(np.arange(n), 7)
    expected = rmse_percent(
        upper_triangle(truth[np.ix_(keep, keep)]), upper_triangle(pred[np.ix_(keep, keep)])
    )
    assert without == pytest.approx(expected)
    with pytest.raises(ValueError, match="not all pairs"):
        worst_sequence(t[:-1], p[:-1], n)
