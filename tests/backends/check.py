"""Checks run under one Keras backend (KERAS_BACKEND set by tests/test_backends.py):
distances against float64 references, finite gradients at u = v, the origin and the ball's
edge, and one short training run of every encoder with the hyperbolic distance. With a path
argument, the trained CNN is saved there (with its identity) for another backend to load."""

import math
import sys

import keras
import numpy as np
from keras import ops

from neuroseed import geometry
from neuroseed.encoding import encode
from neuroseed.registry import ENCODERS
from neuroseed.settings import defaults
from neuroseed.training import train


def gradients(fn, u, v):
    """d(sum fn(u, v))/du and /dv with the active backend's autodiff."""
    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        tu = torch.tensor(u, dtype=torch.float32, requires_grad=True)
        tv = torch.tensor(v, dtype=torch.float32, requires_grad=True)
        out = fn(tu, tv).sum()
        out.backward()
        return float(out.detach()), tu.grad.numpy(), tv.grad.numpy()
    if backend == "jax":
        import jax

        f = lambda a, b: fn(a, b).sum()  # noqa: E731
        gu, gv = jax.grad(f, argnums=(0, 1))(np.float32(u), np.float32(v))
        return float(f(np.float32(u), np.float32(v))), np.asarray(gu), np.asarray(gv)
    import tensorflow as tf

    tu, tv = tf.Variable(u, dtype=tf.float32), tf.Variable(v, dtype=tf.float32)
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(fn(tu, tv))
    gu, gv = tape.gradient(out, [tu, tv])
    return float(out), gu.numpy(), gv.numpy()


def check_geometry():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(5, 4))
    v = rng.normal(size=(5, 4))
    u *= np.array([0.01, 0.3, 0.6, 0.9, 0.99])[:, None] / np.linalg.norm(u, axis=1, keepdims=True)
    v *= np.array([0.02, 0.2, 0.5, 0.95, 0.4])[:, None] / np.linalg.norm(v, axis=1, keepdims=True)
    cases = {
        "equal": ([[0.3, -0.2, 0.1]], [[0.3, -0.2, 0.1]]),
        "origin": ([[0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]),
        "boundary": ([[0.999, 0.0, 0.0]], [[0.0, 0.9999, 0.0]]),
    }
    for name in geometry.DISTANCES:
        fn = geometry.get(name)
        got = ops.convert_to_numpy(
            fn(ops.convert_to_tensor(u, "float32"), ops.convert_to_tensor(v, "float32"))
        )
        np.testing.assert_allclose(got, geometry.reference(name, u, v), rtol=2e-3, atol=2e-5)
        for where, (a, b) in cases.items():
            value, gu, gv = gradients(fn, np.array(a), np.array(b))
            assert math.isfinite(value), (name, where, value)
            assert np.isfinite(gu).all() and np.isfinite(gv).all(), (name, where, gu, gv)


def check_training():
    rng = np.random.default_rng(0)
    root = "".join(rng.choice(list("ACGT"), size=32))
    seqs = []
    for _ in range(20):
        s = list(root)
        for _ in range(rng.integers(1, 6)):
            s[rng.integers(0, len(s))] = rng.choice(list("ACGT"))
        seqs.append("".join(s[: 32 - rng.integers(0, 4)]))
    from neuroseed.edit_distance import edit_distance_matrix

    codes, _ = encode(seqs)
    d = edit_distance_matrix(seqs)
    parts = {"train": np.arange(12), "val": np.arange(12, 16), "test": np.arange(16, 20)}
    small = {
        "cnn": {"channels": 4, "layers": 2},
        "mlp": {"hidden_units": 8},
        "kmer": {"k": 2},
        "gru": {"hidden_units": 8},
        "transformer": {"hidden_units": 8, "layers": 1},
        "local_transformer": {"hidden_units": 8, "layers": 1},
    }
    models = {}
    for encoder in ENCODERS:
        settings = defaults(
            model=encoder,
            distance="hyperbolic",
            embedding_dim=8,
            batch_size=16,
            epochs=2,
            partners=3,
            hparams=small.get(encoder, {}),
        )
        models[encoder], history, metrics = train(
            settings, codes, d, parts, codes.shape[1], verbose=0
        )
        assert np.isfinite(history[["loss", "val_loss"]].to_numpy()).all(), encoder
        assert math.isfinite(metrics["test_rmse_pct"]), encoder
    return models, codes.shape[1]


def save_cnn(models, width: int, path: str) -> None:
    from neuroseed import __version__
    from neuroseed.model_file import Identity, save_model

    identity = Identity(
        encoder="cnn",
        distance="hyperbolic",
        seed=0,
        padded_length=width,
        input_width=width,
        alphabet="ACGT",
        embedding_dim=8,
        split=None,
        neuroseed_version=__version__,
        keras_backend=keras.backend.backend(),
    )
    save_model(models["cnn"], path, identity)


if __name__ == "__main__":
    check_geometry()
    trained, width = check_training()
    if len(sys.argv) > 1:
        save_cnn(trained, width, sys.argv[1])
    print(f"backend {keras.backend.backend()}: all checks passed", file=sys.stderr)
