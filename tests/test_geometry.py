import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from neuroseed import geometry


@pytest.fixture
def points():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(6, 5))
    v = rng.normal(size=(6, 5))
    # inside the unit ball, some close to the edge, for the hyperbolic distance
    u = (
        u
        / np.linalg.norm(u, axis=1, keepdims=True)
        * np.array([0.01, 0.1, 0.5, 0.9, 0.99, 0.3])[:, None]
    )
    v = (
        v
        / np.linalg.norm(v, axis=1, keepdims=True)
        * np.array([0.02, 0.2, 0.4, 0.95, 0.5, 0.3])[:, None]
    )
    return u, v


def test_hand_computed_values():
    u, v = np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]])
    assert geometry.reference("euclidean", u, v) == pytest.approx(5.0)  # true, not squared
    assert geometry.reference("square", u, v) == pytest.approx(25.0)
    assert geometry.reference("manhattan", u, v) == pytest.approx(7.0)
    assert geometry.reference("cosine", u, v) == pytest.approx(1.0)
    # origin to (0.5, 0): arccosh(1 + 2*0.25/0.75) = ln 3
    h = geometry.reference("hyperbolic", np.zeros((1, 2)), np.array([[0.5, 0.0]]))
    assert h == pytest.approx(np.log(3.0))


@pytest.mark.parametrize("name", geometry.DISTANCES)
def test_keras_ops_match_float64_reference(name, points):
    u, v = points
    got = ops.convert_to_numpy(
        geometry.get(name)(ops.convert_to_tensor(u, "float32"), ops.convert_to_tensor(v, "float32"))
    )
    want = geometry.reference(name, u, v)
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-5)


def test_distances_broadcast_to_all_pairs(points):
    u, v = points
    got = ops.convert_to_numpy(geometry.euclidean(u[:, None, :], v[None, :, :]))
    assert got.shape == (6, 6)
    np.testing.assert_allclose(got[2, 4], np.linalg.norm(u[2] - v[4]), rtol=1e-5)


def test_hyperbolic_small_distances_are_accurate_in_float32():
    u = np.array([[0.3, 0.0]])
    v = u + np.array([[1e-4, 0.0]])
    got = ops.convert_to_numpy(
        geometry.hyperbolic(
            ops.convert_to_tensor(u, "float32"), ops.convert_to_tensor(v, "float32")
        )
    )
    np.testing.assert_allclose(got, geometry.reference("hyperbolic", u, v), rtol=1e-2)


@pytest.mark.parametrize("name", geometry.DISTANCES)
@pytest.mark.parametrize(
    "where",
    ["equal", "origin", "boundary"],
)
def test_gradients_are_finite(name, where):
    base = {"equal": [0.3, -0.2, 0.1], "origin": [0.0, 0.0, 0.0], "boundary": [0.999, 0.0, 0.0]}[
        where
    ]
    u = tf.Variable([base], dtype=tf.float32)
    v = tf.Variable([base if where != "boundary" else [0.0, 0.9999, 0.0]], dtype=tf.float32)
    with tf.GradientTape() as tape:
        d = tf.reduce_sum(geometry.get(name)(u, v))
    gu, gv = tape.gradient(d, [u, v])
    assert np.isfinite(d.numpy())
    assert np.isfinite(gu.numpy()).all() and np.isfinite(gv.numpy()).all()


def test_unknown_distance():
    with pytest.raises(ValueError, match="unknown distance"):
        geometry.get("chebyshev")


@pytest.mark.parametrize("name", geometry.DISTANCES)
def test_pairwise_fast_path_matches_the_reference(name, points):
    u, v = points
    got = geometry.pairwise(name, u, v)
    want = geometry.reference(name, u[:, None, :], v[None, :, :])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.allclose(np.diag(geometry.pairwise(name, u, u)), 0, atol=1e-6)
