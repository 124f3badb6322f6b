"""Training for ranking: the relative loss (training.loss) and all pairs within groups of
sequences (training.groups), from the matrix and from a pool with distances on the fly."""

import keras
import numpy as np
import pytest
from conftest import toy_data, toy_pool

from neuroseed.edit_distance import edit_distance_matrix
from neuroseed.encoding import encode
from neuroseed.model_file import load_siamese
from neuroseed.runtime import embed, pairwise_predictions
from neuroseed.sampling import GroupBatches, exact_distances
from neuroseed.settings import defaults
from neuroseed.training import RELATIVE_FLOOR, pair_loss, train


def families(n_families=6, size=5, length=50, seed=0):
    """Sequences in families of close relatives (a few substitutions from one root each),
    with one exact duplicate; returns the sequences and each one's family."""
    rng = np.random.default_rng(seed)
    seqs, family = [], []
    for f in range(n_families):
        root = rng.choice(list("ACGT"), size=length)
        for _ in range(size):
            s = root.copy()
            s[rng.choice(length, 3, replace=False)] = rng.choice(list("ACGT"), 3)
            seqs.append("".join(s))
            family.append(f)
    seqs[1] = seqs[0]  # identical sequences: their pair is not scored
    return seqs, np.array(family)


def test_groups_carry_all_their_pairs_exact_and_cover_every_sequence_once():
    seqs, _ = families()
    codes, _ = encode(seqs, 50)
    exact = edit_distance_matrix(seqs)
    members = np.arange(3, len(seqs))  # not every row is a member (the matrix's train part)
    data = GroupBatches(codes, members, 50, 8, 1, exact_distances(seqs, 2))
    assert [len(g) for g in data.groups] == [8, 8, 8, 8]  # 27 members, the last 3 + 5 again
    assert sorted(np.concatenate(data.groups)[:27]) == members.tolist()
    assert set(data.groups[-1][3:]) <= set(data.groups[0])  # filled up from the first group
    for k, g in enumerate(data.groups):
        x, t = data[k]
        np.testing.assert_array_equal(x, codes[g])
        expected = exact[np.ix_(g, g)] / 50
        scored = t >= 0
        np.testing.assert_allclose(t[scored], expected[scored])
        assert not scored.diagonal().any() and (expected[~scored] == 0).all()
        np.testing.assert_array_equal(t, t.T)
    assert data.pair_count == 4 * 28  # (the identical rows 0 and 1 are not members)
    every = GroupBatches(codes, np.arange(len(seqs)), 50, 30, 1, exact_distances(seqs, 1))
    assert every.pair_count == 30 * 29 // 2 - 1  # rows 0 and 1 are identical: not scored
    first = [g.copy() for g in data.groups]
    data.on_epoch_end()
    assert any(not np.array_equal(a, b) for a, b in zip(first, data.groups, strict=True))
    again = GroupBatches(codes, members, 50, 8, 1, lambda a, b: exact[a, b])
    for a, b in zip(first, again.groups, strict=True):
        np.testing.assert_array_equal(a, b)  # the same seed, the same groups (any distances)


def test_groups_with_near_relatives_hold_close_pairs():
    """training.pool.near with groups: that share of each group are near relatives (by
    k-mer profile) of its other members, so close pairs are in every step."""
    from neuroseed.sampling import near_relatives

    seqs, family = families(n_families=4, size=17, seed=3)  # 16 relatives each
    codes, _ = encode(seqs, 50)
    exact = exact_distances(seqs, 1)
    rows = np.arange(len(seqs))
    neighbours = near_relatives(codes, 0.5)
    assert (family[neighbours] == family[:, None]).mean() > 0.9  # found by profile
    plain = GroupBatches(codes, rows, 50, 10, 2, exact)
    near = GroupBatches(codes, rows, 50, 10, 2, exact, neighbours, 0.5)
    assert near.extra == 5 and [len(g) for g in near.groups] == [10] * 14  # 68 = 13*5 + 3 (+2)
    for g in near.groups:  # 5 drawn, then a near relative of each
        assert all(g[5 + j] in neighbours[g[j]] for j in range(5))

    def same_family_share(data):
        same = [family[g][:, None] == family[g][None, :] for g in data.groups]
        return np.mean([s[np.triu_indices(len(s), 1)].mean() for s in same])

    # at random ~1 in 4 pairs is in one family; the 5 relatives add 5 of 45 pairs or more
    assert same_family_share(near) > 0.3 > same_family_share(plain)


def test_losses_skip_unscored_pairs_and_the_relative_one_weights_close_pairs():
    target = np.array([[-1.0, 0.01], [0.3, -1.0]], np.float32)
    pred = np.array([[5.0, 0.03], [0.32, 7.0]], np.float32)
    mse = float(pair_loss("mse")(target, pred))
    assert mse == pytest.approx((0.02**2 + 0.02**2) / 2)
    relative = float(pair_loss("relative")(target, pred))
    close, far = 0.02 / (0.01 + RELATIVE_FLOOR), 0.02 / (0.3 + RELATIVE_FLOOR)
    assert relative == pytest.approx((close**2 + far**2) / 2, rel=1e-5)
    assert close > 10 * far  # the same error counts 10x more on the close pair


@pytest.mark.parametrize("loss", ["mse", "relative"])
def test_training_on_groups_from_the_matrix_learns_and_saves_the_trained_weights(tmp_path, loss):
    seqs, _ = families(n_families=8, size=8, length=60, seed=4)
    codes, _ = encode(seqs, 60)
    d = edit_distance_matrix(seqs)
    idx = np.random.default_rng(0).permutation(len(seqs))
    parts = {"train": idx[:40], "val": idx[40:52], "test": idx[52:]}
    # 8 epochs of 5 groups: fewer leave the outcome to the order of the draws
    settings = defaults("mlp", "hyperbolic", epochs=8, groups=8, loss=loss)
    model, history, metrics = train(settings, codes, d, parts, 60, verbose=0)
    assert metrics["groups"] == 8 and metrics["loss"] == loss and len(history) == 8
    # the train %RMSE is the squared error's, whatever the loss (~45 % at the start)
    assert np.isfinite(history["rmse_pct"]).all() and history["rmse_pct"].iloc[-1] < 20
    assert metrics["test_rmse_pct"] < 0.85 * metrics["constant_predictor_test_rmse_pct"]
    model.save(tmp_path / "m.keras")
    encoder, head = load_siamese(tmp_path / "m.keras")
    est = pairwise_predictions(head, embed(encoder, codes[parts["test"]]))
    target = d[np.ix_(parts["test"], parts["test"])][np.triu_indices(12, 1)] / 60
    rmse = 100 * np.sqrt(np.mean((est - target) ** 2))
    assert rmse == pytest.approx(metrics["test_rmse_pct"], rel=1e-4)  # the trained weights


def test_training_on_groups_over_a_pool_with_near_relatives():
    codes, d, parts, length = toy_data()
    pool = toy_pool(codes, parts["train"])
    settings = defaults(
        "kmer_net",
        "manhattan",
        epochs=2,
        groups=8,
        loss="relative",
        near_partners=0.25,
        hparams={"k": 3},
    )
    keras.utils.set_random_seed(0)
    model, history, metrics = train(settings, codes, d, parts, length, verbose=0, pool=pool)
    assert metrics["pool_sequences"] == len(pool.sequences) and len(history) == 2
    assert np.isfinite(history["val_rmse_pct"]).all()
    # 56 sequences in groups of 6 drawn + 2 relatives: 10 groups, at most 28 pairs each
    assert 200 < metrics["train_pairs_per_second"] * metrics["train_seconds"] / 2 <= 280


def test_training_loss_and_groups_come_from_the_config():
    from neuroseed.config import with_defaults
    from neuroseed.settings import settings_from_config

    plain = settings_from_config(with_defaults({}), "cnn", "hyperbolic", 0)
    assert (plain["loss"], plain["groups"]) == ("mse", 0)  # NeuroSEED's, by default
    config = with_defaults({"training": {"loss": "relative", "groups": 32}})
    s = settings_from_config(config, "kmer_net", "manhattan", 0)
    assert (s["loss"], s["groups"]) == ("relative", 32)


def test_training_that_ranks_worse_than_its_start_keeps_the_start_with_a_fitted_scale():
    """kmer_net starts as the untrained profile + length distance (its learned channel adds
    ~0). When the epoch chosen by validation %RMSE ranks the validation part's true nearest
    worse than that start (here: a learning rate that wrecks it), the start is kept, its
    distance scaled by least squares as the k-mer baseline's."""
    from neuroseed.models import build_encoder, build_siamese, split_siamese
    from neuroseed.training import fit_start_scale, ranking

    seqs, _ = families(n_families=10, size=8, length=60, seed=5)
    codes, _ = encode(seqs, 60)
    d = edit_distance_matrix(seqs)
    idx = np.random.default_rng(1).permutation(len(seqs))
    parts = {"train": idx[:50], "val": idx[50:65], "test": idx[65:]}
    hp = {"k": 3, "hidden_units": 8, "layers": 1}
    keras.utils.set_random_seed(0)
    encoder, head = split_siamese(
        build_siamese(build_encoder("kmer_net", 60, 4, "manhattan", hp), "manhattan")
    )
    start = ranking(encoder, head, codes, d, parts)
    assert 0 < start <= 1
    scale = fit_start_scale(encoder, head, codes, d, parts["train"], 60, 0)
    assert scale > 0 and ranking(encoder, head, codes, d, parts) == pytest.approx(start)

    settings = defaults("kmer_net", "manhattan", epochs=3, learning_rate=3.0, hparams=hp)
    model, _, metrics = train(settings, codes, d, parts, 60, verbose=0)
    assert metrics["val_ranking"] < metrics["val_ranking_start"] and metrics["best_epoch"] == 0
    kept, kept_head = split_siamese(model)
    assert ranking(kept, kept_head, codes, d, parts) == pytest.approx(start)
    # the kept start's scale is fitted: far better than the constant predictor
    assert metrics["test_rmse_pct"] < metrics["constant_predictor_test_rmse_pct"]
