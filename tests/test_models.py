import math

import keras
import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.encoding import encode
from neuroseed.models import ENCODERS, OneHot, build_encoder, build_siamese, split_siamese
from neuroseed.training import TrainSettings, _eval_callback_class, sample_pairs, train

SMALL = {"cnn": {"channels": 4, "layers": 2}, "mlp": {"hidden_units": 8}}


def test_one_hot_layer_zeroes_padding_and_ambiguity():
    codes, _ = encode(["ACGTN"], length=6)
    oh = keras.ops.convert_to_numpy(OneHot()(codes))[0]
    assert oh[:4].tolist() == np.eye(4).tolist() and not oh[4:].any()


@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoders_embed_to_the_configured_dimension(encoder):
    enc = build_encoder(encoder, 20, 6, "euclidean", SMALL.get(encoder))
    codes, _ = encode(["ACGT" * 5, "GGA"], length=20)
    assert enc.predict(codes, verbose=0).shape == (2, 6)


def test_hyperbolic_embeddings_lie_on_a_sphere_inside_the_ball():
    enc = build_encoder("linear", 12, 8, "hyperbolic")
    codes, _ = encode(["ACGTACGTACGT", "AAAA", "GT"], length=12)
    norms = np.linalg.norm(enc.predict(codes, verbose=0), axis=1)
    np.testing.assert_allclose(norms, 0.01, rtol=1e-4)  # radius starts at 0.01
    enc.get_layer("sphere").radius.assign(5.0)
    assert np.linalg.norm(enc.predict(codes, verbose=0), axis=1).max() <= 1 - 1e-3 + 1e-6


def test_siamese_save_and_load_roundtrip(tmp_path):
    model = build_siamese(build_encoder("cnn", 16, 4, "hyperbolic", SMALL["cnn"]), "hyperbolic")
    codes, _ = encode(["ACGTACGTAC", "ACGGG"], length=16)
    before = model.predict([codes[:1], codes[1:]], verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict([codes[:1], codes[1:]], verbose=0), before, rtol=1e-6)
    encoder, head = split_siamese(loaded)
    assert encoder.output_shape == (None, 4) and head.learn_scale


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


def toy_data(n=24, length=30, seed=0):
    from neuroseed.edit_distance import edit_distance_matrix

    rng = np.random.default_rng(seed)
    root = "".join(rng.choice(list("ACGT"), size=length))
    seqs = []
    for _ in range(n):
        s = list(root)
        for _ in range(rng.integers(1, 8)):
            s[rng.integers(0, len(s))] = rng.choice(list("ACGT"))
        seqs.append("".join(s[: length - rng.integers(0, 4)]))
    codes, _ = encode(seqs)
    d = edit_distance_matrix(seqs)
    parts = {"train": np.arange(0, 14), "val": np.arange(14, 19), "test": np.arange(19, 24)}
    return codes, d, parts, codes.shape[1]


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("distance", ["euclidean", "manhattan", "square", "cosine", "hyperbolic"])
def test_every_encoder_and_distance_trains_without_nan(encoder, distance):
    codes, d, parts, length = toy_data()
    settings = TrainSettings(
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
    assert len(history) == 2
    assert np.isfinite(history[["loss", "val_loss"]].to_numpy()).all()
    assert math.isfinite(metrics["test_rmse_pct"]) and metrics["test_pairs"] == 10


def test_training_is_deterministic_given_a_seed():
    codes, d, parts, length = toy_data()
    settings = TrainSettings(
        model="linear",
        distance="hyperbolic",
        embedding_dim=8,
        batch_size=16,
        epochs=2,
        partners=3,
        seed=5,
    )
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(settings.seed)
        runs.append(train(settings, codes, d, parts, length, verbose=0)[2]["test_rmse_pct"])
    assert runs[0] == runs[1]


def test_nan_loss_is_a_clear_error():
    codes, d, parts, length = toy_data()
    enc = build_encoder("linear", length, 4, "euclidean")
    model = build_siamese(enc, "euclidean")
    encoder, head = split_siamese(model)
    cb = _eval_callback_class()(encoder, head, codes, d, parts["val"], length, "linear+euclidean")
    with pytest.raises(
        NeuroseedError, match=r"training linear\+euclidean: loss became nan in epoch 3"
    ):
        cb.on_epoch_end(2, {"loss": float("nan")})
