import math
import re

import keras
import numpy as np
import pytest
from conftest import toy_data

from neuroseed import NeuroseedError
from neuroseed.encoding import encode
from neuroseed.models import (
    KmerProfile,
    OneHot,
    SelfAttention,
    build_encoder,
    build_siamese,
    split_siamese,
)
from neuroseed.registry import ENCODERS
from neuroseed.sampling import sample_pairs
from neuroseed.settings import TrainSettings, defaults
from neuroseed.training import AllPairsValidation, fit_kmer, train

SMALL = {
    "cnn": {"channels": 4, "layers": 2},
    "mlp": {"hidden_units": 8},
    "gru": {"hidden_units": 8},
    "transformer": {"hidden_units": 8, "layers": 1},
    "local_transformer": {"hidden_units": 8, "layers": 1, "window": 1},
    "kmer": {"k": 3},
    "kmer_net": {"k": 3, "hidden_units": 8, "layers": 1},
}


def test_one_hot_layer_zeroes_padding_and_ambiguity():
    codes, _ = encode(["ACGTN"], length=6)
    oh = keras.ops.convert_to_numpy(OneHot()(codes))[0]
    assert oh[:4].tolist() == np.eye(4).tolist() and not oh[4:].any()


@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoders_embed_to_the_configured_dimension(encoder):
    enc = build_encoder(encoder, 20, 6, "euclidean", SMALL.get(encoder))
    codes, _ = encode(["ACGT" * 5, "GGA"], length=20)
    # k-mer profiles are 4**k wide, then the length (the kmer baseline's only with manhattan,
    # by default); kmer_net adds its 6 learned dimensions
    width = {"kmer": 4**3, "kmer_net": 4**3 + 1 + 6}.get(encoder, 6)
    assert enc.predict(codes, verbose=0).shape == (2, width)
    if encoder == "kmer":
        manhattan = build_encoder(encoder, 20, 6, "manhattan", SMALL.get(encoder))
        assert manhattan.predict(codes, verbose=0).shape == (2, 4**3 + 1)


def test_kmer_profile_counts_only_clean_kmers():
    codes, _ = encode(["ACGTAC", "AANAA", "GG"], length=7)
    got = keras.ops.convert_to_numpy(KmerProfile(2)(codes))
    index = {a + b: 4 * "ACGT".index(a) + "ACGT".index(b) for a in "ACGT" for b in "ACGT"}
    want = np.zeros((3, 16))
    for row, seq in enumerate(["ACGTAC", "AANAA", "GG"]):
        kmers = [seq[i : i + 2] for i in range(len(seq) - 1) if "N" not in seq[i : i + 2]]
        for kmer in kmers:
            want[row, index[kmer]] += 1
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_local_transformer_attends_only_within_its_window():
    hp = {"hidden_units": 8, "layers": 1, "segment_size": 2, "window": 1}
    enc = build_encoder("local_transformer", 20, 4, "euclidean", hp)
    block = keras.Model(enc.input, enc.get_layer("block0").output)
    a, _ = encode(["ACGTACGTACGTACGTACGT"], length=20)
    b = a.copy()
    b[0, 16:] = (b[0, 16:] + 1) % 4  # change tokens 8 and 9 only
    ta, tb = block.predict(a, verbose=0)[0], block.predict(b, verbose=0)[0]
    np.testing.assert_allclose(ta[:7], tb[:7], rtol=1e-5)  # tokens 0..6 cannot see 8 and 9
    assert not np.allclose(ta[7:], tb[7:])

    glob = build_encoder("transformer", 20, 4, "euclidean", hp)
    block = keras.Model(glob.input, glob.get_layer("block0").output)
    assert not np.allclose(block.predict(a, verbose=0)[0, 0], block.predict(b, verbose=0)[0, 0])


def test_banded_attention_equals_masked_full_attention():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 8)).astype("float32")
    full = SelfAttention(2, 4)
    full(x)
    for window in (0, 2, 6):
        band = SelfAttention(2, 4, window=window)
        band(x)
        band.set_weights(full.get_weights())
        got = keras.ops.convert_to_numpy(band(x))
        # the same attention computed densely with a band mask
        qkv = x @ full.qkv.kernel.numpy() + full.qkv.bias.numpy()
        q, k, v = np.split(qkv.reshape(3, 7, 3, 2, 4), 3, axis=2)
        scores = np.einsum("bthd,bshd->bhts", q[:, :, 0], k[:, :, 0]) / 2.0
        near = np.abs(np.arange(7)[:, None] - np.arange(7)[None, :]) <= window
        scores = np.where(near, scores, -np.inf)
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        weights /= weights.sum(-1, keepdims=True)
        out = np.einsum("bhts,bshd->bthd", weights, v[:, :, 0]).reshape(3, 7, 8)
        want = out @ full.proj.kernel.numpy() + full.proj.bias.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("distance", ["cosine", "hyperbolic"])
def test_kmer_scale_is_the_least_squares_fit(distance):
    codes, d, parts, length = toy_data()
    settings = defaults(model="kmer", distance=distance, hparams={"k": 2})
    model, history, pairs = fit_kmer(settings, codes, d, parts, length)
    encoder, head = split_siamese(model)
    idx = parts["train"]
    i, j = np.triu_indices(len(idx), 1)
    target = d[idx[i], idx[j]] / length
    emb = encoder.predict(codes[idx], verbose=0)
    fitted = keras.ops.convert_to_numpy(head(emb[i], emb[j]))
    mse = np.mean((fitted - target) ** 2)
    assert pairs == len(target) and mse == pytest.approx(history["loss"].iloc[0], rel=1e-4)
    for factor in (0.9, 1.1):  # any other scale fits worse
        assert np.mean((factor * fitted - target) ** 2) > mse


def test_hyperbolic_embeddings_lie_on_a_sphere_inside_the_ball():
    enc = build_encoder("linear", 12, 8, "hyperbolic")
    codes, _ = encode(["ACGTACGTACGT", "AAAA", "GT"], length=12)
    norms = np.linalg.norm(enc.predict(codes, verbose=0), axis=1)
    np.testing.assert_allclose(norms, 0.01, rtol=1e-4)  # radius starts at 0.01
    enc.get_layer("sphere").radius.assign(5.0)
    assert np.linalg.norm(enc.predict(codes, verbose=0), axis=1).max() <= 1 - 1e-3 + 1e-6


def test_hyperbolic_without_scaling_is_the_raw_embedding_in_the_ball(tmp_path):
    """NeuroSEED's Qiita linear, CNN and GRU hyperbolic runs used ``--scaling=False``: no sphere,
    no learnable distance scale; small initial weights keep the points near the origin."""
    from neuroseed.settings import defaults
    from neuroseed.training import train

    codes, d, parts, length = toy_data()
    settings = defaults(
        model="linear", distance="hyperbolic", embedding_dim=8, epochs=2, hparams={"scaling": False}
    )
    model, history, _ = train(settings, codes, d, parts, length, verbose=0)
    encoder, head = split_siamese(model)
    assert "sphere" not in [layer.name for layer in encoder.layers] and not head.learn_scale
    norms = np.linalg.norm(encoder.predict(codes, verbose=0), axis=1)
    assert norms.std() > 1e-4 and norms.max() < 1  # not on one sphere, inside the ball
    assert np.isfinite(history["loss"]).all()
    model.save(tmp_path / "m.keras")
    _, loaded = split_siamese(keras.models.load_model(tmp_path / "m.keras"))
    assert not loaded.learn_scale


def test_siamese_save_and_load_roundtrip(tmp_path):
    model = build_siamese(build_encoder("cnn", 16, 4, "hyperbolic", SMALL["cnn"]), "hyperbolic")
    codes, _ = encode(["ACGTACGTAC", "ACGGG"], length=16)
    before = model.predict([codes[:1], codes[1:]], verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict([codes[:1], codes[1:]], verbose=0), before, rtol=1e-6)
    encoder, head = split_siamese(loaded)
    assert encoder.output_shape == (None, 4) and head.learn_scale


def test_saved_layers_name_the_package_as_before_it_was_split():
    """A model file names each NeuroSEED layer's module beside its registered name: the
    package, ``neuroseed.models``, whichever of its modules defines the layer, as in the files
    written when the package was one module (the shipped model among them)."""
    import json

    def modules(config):
        if isinstance(config, dict):
            if str(config.get("registered_name")).startswith("neuroseed>"):
                yield config["registered_name"], config["module"]
            for value in config.values():
                yield from modules(value)
        elif isinstance(config, list):
            for value in config:
                yield from modules(value)

    seen = {}
    for encoder in ENCODERS:
        siamese = build_siamese(
            build_encoder(encoder, 20, 4, "hyperbolic", SMALL.get(encoder)), "hyperbolic"
        )
        seen.update(modules(json.loads(siamese.to_json())))
    assert len(seen) > 10 and set(seen.values()) == {"neuroseed.models"}, seen


def test_sample_pairs_never_self_and_skip_zero_distance():
    d = np.ones((10, 10), dtype=np.uint16)
    np.fill_diagonal(d, 0)
    d[2, 3] = d[3, 2] = 0  # identical sequences
    train_idx = np.array([1, 2, 3, 4, 5])
    pairs = sample_pairs(train_idx, d, 4, np.random.default_rng(0))
    assert len(pairs) == 20
    assert set(pairs.ravel()) <= set(train_idx)
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert (d[pairs[:, 0], pairs[:, 1]] > 0).all()


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("distance", ["euclidean", "manhattan", "square", "cosine", "hyperbolic"])
def test_every_encoder_and_distance_trains_without_nan(encoder, distance):
    codes, d, parts, length = toy_data()
    settings = defaults(
        model=encoder,
        distance=distance,
        embedding_dim=8,
        batch_size=16,
        epochs=2,
        partners=3,
        learning_rate=0.01,
        hparams=SMALL.get(encoder, {}),
    )
    _, history, metrics = train(settings, codes, d, parts, length, verbose=0)
    assert len(history) == (1 if encoder == "kmer" else 2)  # k-mer: closed-form fit
    assert np.isfinite(history[["loss", "val_loss"]].to_numpy()).all()
    assert math.isfinite(metrics["test_rmse_pct"]) and metrics["test_pairs"] == 10
    worst = metrics["test_worst_read"]
    assert worst["row"] in parts["test"] and 0 <= worst["share_of_squared_error"] <= 1


def xla_on_cpu() -> bool:
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


@pytest.mark.parametrize("encoder", ["linear", "gru", "transformer"])
def test_training_is_deterministic_given_a_seed(encoder):
    codes, d, parts, length = toy_data()
    settings = defaults(
        model=encoder,
        distance="hyperbolic",
        embedding_dim=8,
        batch_size=16,
        epochs=2,
        partners=3,
        seed=5,
        hparams=SMALL.get(encoder, {}),
    )
    runs = []
    for _ in range(2):  # in one process: train() seeds itself
        runs.append(train(settings, codes, d, parts, length, verbose=0)[2])
    assert runs[0]["test_rmse_pct"] == runs[1]["test_rmse_pct"]
    assert runs[0]["xla"] == xla_on_cpu()  # TensorFlow on a CPU: steps through XLA


def test_xla_compiles_the_steps_of_the_encoders_it_makes_faster():
    """XLA where it steps faster on a CPU (models.bodies.XLA); the CNN keeps oneDNN's
    convolutions and its table path's Numba kernels, whose calls XLA cannot compile."""
    from neuroseed.models.fast_cnn import FirstBlock
    from neuroseed.runtime import xla_training

    faster = {"linear", "mlp", "gru", "transformer", "local_transformer"}
    for encoder in ENCODERS:
        assert xla_training(encoder) == (xla_on_cpu() and encoder in faster), encoder
    block = FirstBlock(4, 3)
    block.build((None, 20))
    assert block.supports_jit == (not block.uses_table())


def test_nan_loss_is_a_clear_error():
    codes, d, parts, length = toy_data()
    enc = build_encoder("linear", length, 4, "euclidean")
    model = build_siamese(enc, "euclidean")
    encoder, head = split_siamese(model)
    cb = AllPairsValidation(encoder, head, codes, d, parts["val"], length, "linear+euclidean")
    with pytest.raises(
        NeuroseedError, match=r"training linear\+euclidean: loss became nan in epoch 3"
    ):
        cb.on_epoch_end(2, {"loss": float("nan")})


@pytest.mark.parametrize("encoder", ["linear", "kmer"])
def test_a_training_part_of_identical_sequences_says_so(encoder):
    """All training sequences identical (e.g. a split file of duplicates): one clear line, not
    Keras's 'The PyDataset has length 0'."""
    codes, d, parts, length = toy_data()
    train_idx = parts["train"]
    codes[train_idx] = codes[train_idx[0]]
    d[np.ix_(train_idx, train_idx)] = 0
    settings = defaults(
        model=encoder, distance="euclidean", epochs=1, hparams=SMALL.get(encoder, {})
    )
    with pytest.raises(NeuroseedError) as err:
        train(settings, codes, d, parts, length, verbose=0)
    assert str(err.value) == (
        f"training {encoder}+euclidean: the 14 training sequences are all identical (every edit "
        "distance is 0), so there is nothing to learn; check the input sequences and the split"
    )


@pytest.mark.parametrize("distance", ["euclidean", "manhattan", "square"])
def test_mlp_defaults_do_not_blow_up(distance):
    """The MLP's default settings for the unbounded geometries (config/config.yaml) train without
    blowing up: at the old 0.01 the first epochs reached 150-2,000 % training %RMSE on these
    data (constant predictor ~1 %); docs/reliability.md, "Training stability"."""
    from pathlib import Path

    import yaml

    from neuroseed.config import with_defaults
    from neuroseed.settings import settings_from_config

    raw = yaml.safe_load((Path(__file__).parents[1] / "config" / "config.yaml").read_text())
    config = with_defaults(raw)  # the workflow's config as validated, defaults filled in
    codes, d, _, length = toy_data(n=60, length=200, seed=1)
    parts = {"train": np.arange(0, 40), "val": np.arange(40, 50), "test": np.arange(50, 60)}
    fields = {**settings_from_config(config, "mlp", distance, 0), "epochs": 5}
    _, history, metrics = train(TrainSettings(**fields), codes, d, parts, length, verbose=0)
    assert history["rmse_pct"].max() < 10 * max(1.0, metrics["constant_predictor_test_rmse_pct"])


@pytest.mark.parametrize("shape", [(16, 9), (6, 40, 8)])
def test_fused_batch_norm_is_keras_batch_norm(shape):
    """models.BatchNorm (TensorFlow's fused kernel) computes what Keras's layer computes:
    outputs in training and inference, and the moving statistics."""
    from neuroseed.models import BatchNorm

    x = np.random.default_rng(0).normal(2.0, 3.0, size=shape).astype("float32")
    ours, keras_bn = BatchNorm(momentum=0.9), keras.layers.BatchNormalization(momentum=0.9)
    ours.build(shape), keras_bn.build(shape)
    rng = np.random.default_rng(1)
    for a, b in zip(ours.weights, keras_bn.weights, strict=True):
        value = rng.uniform(0.5, 1.5, size=a.shape).astype("float32")
        a.assign(value), b.assign(value)
    for training in (True, False):
        got = keras.ops.convert_to_numpy(ours(x, training=training))
        want = keras.ops.convert_to_numpy(keras_bn(x, training=training))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    for a, b in zip(ours.weights, keras_bn.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, err_msg=a.name)


@pytest.mark.parametrize("width", [3, 5])
def test_embedded_conv_is_the_dense_layer_then_the_convolution(width):
    """One convolution over the one-hot input equals NeuroSEED's position-wise dense layer
    followed by a same-padded convolution: the values and every weight's gradient."""
    import tensorflow as tf

    from neuroseed.models import EmbeddedConv

    codes = np.random.default_rng(2).integers(-1, 6, size=(3, 25)).astype("int8")
    x = OneHot()(codes)
    ours = EmbeddedConv(6, width)
    dense, conv = keras.layers.Dense(6), keras.layers.Conv1D(6, width, padding="same")
    ours(x), conv(dense(x))
    rng = np.random.default_rng(3)
    for mine, theirs in zip(
        (ours.dense_kernel, ours.dense_bias, ours.conv_kernel, ours.conv_bias),
        (dense.kernel, dense.bias, conv.kernel, conv.bias),
        strict=True,
    ):
        value = rng.normal(size=mine.shape).astype("float32")
        mine.assign(value), theirs.assign(value)
    with tf.GradientTape(persistent=True) as tape:
        got, want = ours(x), conv(dense(x))
        loss_got = tf.reduce_sum(tf.sin(got))
        loss_want = tf.reduce_sum(tf.sin(want))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
    grads_got = tape.gradient(loss_got, [ours.dense_kernel, ours.dense_bias, ours.conv_kernel])
    grads_want = tape.gradient(loss_want, [dense.kernel, dense.bias, conv.kernel])
    for g, w in zip(grads_got, grads_want, strict=True):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-3, atol=1e-3)


def _keras_first_block(units, width, depth, pool, length, next_conv):
    """NeuroSEED's first block from Keras's own layers: one-hot, dense, convolution, batch
    norm, ReLU, average pooling and (``next_conv``) the second convolution, without bias."""
    codes = keras.Input((length,), dtype="int8")
    x = keras.layers.Dense(units, name="dense")(OneHot(depth)(codes))
    x = keras.layers.Conv1D(units, width, padding="same", name="conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="bn")(x)
    x = keras.layers.Activation("relu")(x)
    if length >= 2 * pool:
        x = keras.layers.AveragePooling1D(pool)(x)
    if next_conv:
        x = keras.layers.Conv1D(units, width, padding="same", use_bias=False, name="next")(x)
    return keras.Model(codes, x)


@pytest.mark.parametrize(
    "width,depth,pool,length,next_conv",
    [
        (3, 4, 2, 25, True),
        (3, 4, 2, 25, False),
        (5, 4, 2, 24, True),
        (4, 5, 3, 20, True),
        (3, 4, 3, 5, True),
        (1, 4, 2, 9, False),
    ],
)
@pytest.mark.parametrize("path", ["folded", "table", "layers"])
def test_first_block_is_keras_layers_one_by_one(
    width, depth, pool, length, next_conv, path, monkeypatch
):
    """The CNN's first block (from codes through its table, with or without the next
    convolution folded in, or layer by layer) is the same function as Keras's one-hot ->
    dense -> convolution -> batch norm -> ReLU -> pooling -> convolution: outputs in training
    and inference, every weight's gradient, moving statistics."""
    import tensorflow as tf

    from neuroseed import kernels
    from neuroseed.models import FirstBlock

    units = 6
    rng = np.random.default_rng(width * 10 + depth)
    codes = rng.integers(-1, depth + 2, size=(7, length)).astype("int8")
    codes[:2, -4:] = -1  # padding
    monkeypatch.setattr(FirstBlock, "uses_table", lambda self: path != "layers")
    monkeypatch.setattr(kernels, "MAX_FOLDED", kernels.MAX_FOLDED if path == "folded" else 0)
    ours = FirstBlock(units, width, depth, pool, next_conv)
    ours(codes)
    ref = _keras_first_block(units, width, depth, pool, length, next_conv)
    theirs = {
        "dense_kernel": ref.get_layer("dense").kernel,
        "dense_bias": ref.get_layer("dense").bias,
        "kernel": ref.get_layer("conv").kernel,
        "bias": ref.get_layer("conv").bias,
        "gamma": ref.get_layer("bn").gamma,
        "beta": ref.get_layer("bn").beta,
    }
    if next_conv:
        theirs["next_kernel"] = ref.get_layer("next").kernel
    pairs = [(w, theirs[w.name]) for w in ours.trainable_weights]
    assert len(pairs) == len(ref.trainable_weights)
    for mine, their in pairs:
        value = rng.normal(size=mine.shape).astype("float32")
        mine.assign(value), their.assign(value)
    bn = ref.get_layer("bn")
    for _ in range(2):  # a second step runs on the updated moving statistics
        with tf.GradientTape(persistent=True) as tape:
            got, want = ours(codes, training=True), ref(codes, training=True)
            weights = tf.constant(rng.normal(size=want.shape), dtype="float32")
            loss_got, loss_want = tf.reduce_sum(got * weights), tf.reduce_sum(want * weights)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
        grads_got = tape.gradient(loss_got, [m for m, _ in pairs])
        grads_want = tape.gradient(loss_want, [t for _, t in pairs])
        # biases whose effect batch norm subtracts have gradients zero up to rounding
        scale = max(float(np.abs(w.numpy()).max()) for w in grads_want)
        for g, w, (var, _) in zip(grads_got, grads_want, pairs, strict=True):
            np.testing.assert_allclose(g.numpy(), w.numpy(), atol=5e-5 * scale, err_msg=var.name)
    np.testing.assert_allclose(ours.norm.moving_mean.numpy(), bn.moving_mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(
        ours.norm.moving_variance.numpy(), bn.moving_variance.numpy(), rtol=1e-4
    )
    np.testing.assert_allclose(
        ours(codes, training=False).numpy(), ref(codes, training=False).numpy(), atol=1e-4
    )


def test_first_block_uses_its_table_on_a_cpu_with_tensorflow():
    from neuroseed.models import FirstBlock

    assert FirstBlock(32, 3).uses_table() and FirstBlock(32, 5).uses_table()
    assert not FirstBlock(32, 9).uses_table()  # a 6**9-row table: layer by layer


def test_table_kernels_give_the_same_bits_on_any_thread_count():
    """The gradient is summed in fixed chunks: one thread and two give identical bits."""
    import numba

    from neuroseed import kernels

    rng = np.random.default_rng(5)
    index = rng.integers(0, 216, size=(33, 101)).astype("int32")
    grad = rng.normal(size=(33, 50, 8)).astype("float32")
    tables = rng.normal(size=(3, 216, 8)).astype("float32")
    before = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            kernels.set_threads(threads)
            results.append(
                (
                    kernels.window_scatter(grad, index, 2, 1, 3, 216),
                    kernels.window_gather(tables, index, 2, 1),
                    kernels.window_gather(tables[:1], index, 2, 0),
                )
            )
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)
    # one tap: the mean of each pooling window's rows
    pooled = tables[0][index[:, :100]].reshape(33, 50, 2, 8).mean(2)
    np.testing.assert_allclose(results[0][2], pooled, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("given", [None, "ACTIVE"])
def test_kernels_threads_wait_without_spinning_unless_told(given):
    """Numba's OpenMP threads sleep while they wait (a job beside them keeps its core), unless
    the user set OMP_WAIT_POLICY. libgomp prints how long its threads spin before they sleep:
    0 with PASSIVE, 300,000 iterations by default, without end with ACTIVE."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["OMP_DISPLAY_ENV"] = "VERBOSE"
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = (
        "import numpy as np\n"
        "from neuroseed import kernels\n"
        "kernels.set_threads(1)\n"
        "kernels.window_gather(np.zeros((1, 4, 2), 'float32'), np.zeros((2, 4), 'int32'), 2, 0)\n"
        "print(kernels.numba.threading_layer())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() != "omp":
        pytest.skip(f"Numba runs on {done.stdout.strip()} here, not OpenMP")
    assert f"OMP_WAIT_POLICY = '{given or 'PASSIVE'}'" in done.stderr
    spin = re.search(r"GOMP_SPINCOUNT = '(\d+)'", done.stderr)
    assert spin is not None, done.stderr
    assert (int(spin.group(1)) > 0) == (given == "ACTIVE")
