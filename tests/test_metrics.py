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
