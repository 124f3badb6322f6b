"""Training beyond the matrix (training.pool) and the kmer_net encoder."""

import json

import keras
import numpy as np
import pytest
from conftest import copy_workflow, smk, toy_data, toy_pool

from neuroseed import NeuroseedError
from neuroseed.edit_distance import edit_distance_matrix
from neuroseed.encoding import encode
from neuroseed.io import read_fasta
from neuroseed.model_file import load_siamese
from neuroseed.models import build_encoder, build_siamese
from neuroseed.pool import select
from neuroseed.sampling import PoolPairs
from neuroseed.sequences import Record
from neuroseed.settings import defaults
from neuroseed.training import train

OPTIONS = {"ambiguous": "keep", "min_length": 5}


def random_sequences(n, length, seed):
    rng = np.random.default_rng(seed)
    return [
        "".join(rng.choice(list("ACGT"), size=rng.integers(length - 5, length))) for _ in range(n)
    ]


def test_pool_pairs_carry_exact_edit_distances_and_never_self():
    seqs = random_sequences(12, 30, 0)
    codes, _ = encode(seqs, 30)
    exact = edit_distance_matrix(seqs)
    data = PoolPairs(codes, seqs, 30, partners=4, batch_size=7, seed=1, workers=2)
    a, b = data.pairs[:, 0], data.pairs[:, 1]
    assert (a != b).all() and len(data.pairs) == 48
    np.testing.assert_allclose(data.targets, exact[a, b] / 30)
    (x, y), t = data[0]
    np.testing.assert_array_equal(x, codes[a[:7]])
    np.testing.assert_array_equal(y, codes[b[:7]])
    first = data.pairs.copy()
    data.on_epoch_end()
    assert not np.array_equal(first, data.pairs)  # fresh pairs each epoch
    again = PoolPairs(codes, seqs, 30, partners=4, batch_size=7, seed=1, workers=1)
    np.testing.assert_array_equal(again.pairs, first)  # the same seed, the same pairs


def test_near_partners_are_drawn_among_close_relatives():
    """training.pool.near: that share of each sequence's partners comes from its nearest
    neighbours by 5-mer profile; the rest stay random, and the pairs stay seeded."""
    rng = np.random.default_rng(5)
    roots = random_sequences(8, 60, 2)
    seqs = []  # 8 families of 6 relatives (a few substitutions each)
    for root in roots:
        for _ in range(6):
            s = list(root)
            for j in rng.choice(len(s), 3, replace=False):
                s[j] = rng.choice(list("ACGT"))
            seqs.append("".join(s))
    codes, _ = encode(seqs, 60)
    family = np.arange(len(seqs)) // 6
    kwargs = dict(partners=10, batch_size=16, seed=3, workers=1)
    near = PoolPairs(codes, seqs, 60, near=0.3, **kwargs)
    assert near.neighbours.shape == (48, 16) and near.near_count == 3
    # each sequence's 5 relatives are its 5 nearest by profile
    assert (family[near.neighbours[:, :5]] == family[:, None]).all()

    def among_neighbours(pairs):
        return np.mean([b in near.neighbours[a] for a, b in pairs])

    plain = PoolPairs(codes, seqs, 60, **kwargs)
    # 3 of 10 partners near, the other 7 random (16 of 47 are neighbours): 0.54 vs 0.34
    assert among_neighbours(near.pairs) > 0.45 > among_neighbours(plain.pairs)
    again = PoolPairs(codes, seqs, 60, near=0.3, **kwargs)
    np.testing.assert_array_equal(again.pairs, near.pairs)


def test_near_relatives_are_the_exact_nearest_by_profile():
    """The near relatives: each row's nearest other rows by 5-mer profile (manhattan), of rows
    at the same distance the first; those a brute-force search finds, and, on data this small,
    those the reference index found when training searched through it (exact there)."""
    from scipy.spatial.distance import cdist

    from neuroseed import index
    from neuroseed.runtime import embed
    from neuroseed.sampling import NEAR_K, kmer_neighbours

    rng = np.random.default_rng(7)
    roots = random_sequences(12, 70, 3)
    seqs = [
        "".join(rng.choice(list("ACGT")) if rng.random() < 0.05 else c for c in r)
        for r in roots
        for _ in range(7)
    ]
    seqs += [seqs[5], seqs[5], seqs[40], "ACG", "ACG", "NNNNNNNN"]  # ties, empty profiles
    codes, _ = encode(seqs, 70)
    got = kmer_neighbours(codes, 16)

    profile = build_encoder("kmer", 70, 1, "manhattan", {"k": NEAR_K, "length_weight": 0})
    counts = embed(profile, codes)
    n = len(counts)
    order = np.argsort(cdist(counts, counts, "cityblock") * n + np.arange(n), axis=1)
    brute = np.array([row[row != i][:16] for i, row in enumerate(order)])
    np.testing.assert_array_equal(got, brute)
    built = index.build(counts, [""] * n, [""] * n, "manhattan", 1.0, 1, "")
    found, _ = index.search(built, counts, 17, candidates=100)
    np.testing.assert_array_equal(got, [row[row != i][:16] for i, row in enumerate(found)])


def test_pool_leaves_out_the_dataset_by_id_and_by_sequence():
    seqs = random_sequences(30, 40, 1)
    dataset = [("d1", "d1", seqs[0]), ("d2", "d2", seqs[1])]
    candidates = [Record("d1", "d1", seqs[0])]  # in the dataset by id
    candidates.append(Record("x1", "x1", seqs[1].lower()))  # by sequence
    candidates.append(Record("long", "long", "A" * 60))  # longer than L
    candidates += [Record(f"c{i}", f"c{i}", s) for i, s in enumerate(seqs[2:])]
    records, counts = select(candidates, dataset, 20, 0, 40, OPTIONS)
    assert len(records) == 20 and {r.id for r in records} <= {f"c{i}" for i in range(28)}
    assert counts["in_dataset_by_id"] == 1 and counts["in_dataset_by_sequence"] == 1
    assert counts["dropped_by_filters"] == 1 and counts["eligible"] == 28
    assert [r.id for r in select(candidates, dataset, 20, 0, 40, OPTIONS)[0]] == [
        r.id for r in records
    ]
    with pytest.raises(NeuroseedError, match="training.pool.size: 29 records asked for"):
        select(candidates, dataset, 29, 0, 40, OPTIONS)


def test_kmer_net_starts_as_the_kmer_and_length_distance():
    seqs = random_sequences(6, 40, 2)
    codes, _ = encode(seqs, 40)
    enc = build_encoder("kmer_net", 40, 4, "manhattan", {"k": 3, "length_weight": 2.0})
    model = build_siamese(enc, "manhattan")
    got = model.predict([codes[:3], codes[3:]], verbose=0)
    prof = keras.ops.convert_to_numpy(enc.get_layer("kmer_profile")(codes))
    lengths = np.array([len(s) for s in seqs])
    expected = (np.abs(prof[:3] - prof[3:]).sum(1) + 2.0 * np.abs(lengths[:3] - lengths[3:])) / (
        2 * 3 * 40
    )
    np.testing.assert_allclose(got, expected, rtol=0.02)  # the MLP channel starts near zero


def test_training_with_a_pool_learns_and_the_model_reloads(tmp_path):
    codes, d, parts, length = toy_data()
    pool = toy_pool(codes, parts["train"])
    settings = defaults(
        "kmer_net", "manhattan", epochs=2, partners=3, batch_size=16, hparams={"k": 3}
    )
    model, history, metrics = train(settings, codes, d, parts, length, verbose=0, pool=pool)
    assert metrics["pool_sequences"] == len(pool.sequences) and len(history) == 2
    assert np.isfinite(history["val_rmse_pct"]).all()
    model.save(tmp_path / "m.keras")
    encoder, head = load_siamese(tmp_path / "m.keras")
    assert encoder.output_shape == (None, 4**3 + 1 + settings.embedding_dim)


POOL_CONFIG = """
training:
  encoders: [kmer_net, kmer]
  distances: [manhattan]
  pool: {size: 40, seed: %d}
encoders:
  kmer_net: {epochs: 1, k: 3, hidden_units: 16}
"""


def fasta_ids(path):
    return {line[1:].split()[0] for line in path.read_text().splitlines() if line[:1] == ">"}


@pytest.mark.workflow
def test_workflow_trains_on_a_pool_beside_the_matrix(tmp_path):
    work = copy_workflow(tmp_path)
    for seed in (2, 3):
        (work / f"pool{seed}.yaml").write_text(POOL_CONFIG % seed)
    leakage = "results/tiny/splits/random-s1.leakage"
    smk(work, "fig_rmse", f"{leakage}.json", "--configfile", "tiny.yaml", "pool2.yaml")
    run = work / "results/tiny/training/random-s1"
    metrics = json.loads((run / "kmer_net-manhattan/seed0/metrics.json").read_text())
    assert metrics["pool_sequences"] == 40
    kmer = json.loads((run / "kmer-manhattan/seed0/metrics.json").read_text())
    assert kmer["pool_sequences"] == 0  # closed-form: no pool
    report = json.loads((work / "results/tiny/pool/pool-n40-s2.json").read_text())
    assert report["drawn"] == 40 and report["in_dataset_by_id"] == 48
    with np.load(work / "results/tiny/pool/pool-n40-s2.npz") as pool:
        assert not fasta_ids(work / "results/tiny/sequences/sequences.fasta") & set(pool["ids"])
        pool_seqs = dict(zip(pool["ids"], (s.decode() for s in pool["sequences"]), strict=True))
    # the leakage report covers the pool: each test sequence's nearest pool sequence, exact
    import pandas as pd

    table = pd.read_csv(
        work / f"{leakage}.tsv", sep="\t", dtype={"id": str, "nearest_pool_id": str}
    )
    by_id = {
        rid: seq.upper()
        for rid, _, seq in read_fasta(work / "results/tiny/sequences/sequences.fasta")
    }
    ids, seqs = list(pool_seqs), list(pool_seqs.values())
    for _, row in table.iterrows():
        d = edit_distance_matrix([by_id[row["id"]], *seqs])[0, 1:]
        assert (
            row["pool_edit_distance"] == d.min() and d[ids.index(row["nearest_pool_id"])] == d.min()
        )
    summary = json.loads((work / f"{leakage}.json").read_text())
    assert summary["nearest_seen_in_pool"] == int((table["nearest_in"] == "pool").sum())
    dry = smk(work, "fig_rmse", "-n", "--configfile", "tiny.yaml", "pool2.yaml").stdout
    assert "Nothing to be done" in dry
    dry = smk(work, "fig_rmse", "-n", "--configfile", "tiny.yaml", "pool3.yaml").stdout
    assert "prepare_pool" in dry and "train_model/random-s1/kmer_net-manhattan-seed0.log" in dry
    assert "train_model/random-s1/kmer-manhattan" not in dry  # only what uses the pool reruns


def test_a_builtin_pool_beside_a_user_fasta_is_a_config_error(tmp_path):
    from neuroseed.config import check_config, with_defaults

    fasta = tmp_path / "s.fasta"
    fasta.write_text(">a\nACGT\n")
    config = {"dataset": "x", "source": {"type": "fasta", "fasta": str(fasta)}}
    config["training"] = {"pool": {"size": 10}}
    with pytest.raises(NeuroseedError, match="training.pool.fasta: required"):
        check_config(with_defaults(config))


@pytest.mark.parametrize("damage", ["truncated", "no_sequences", "rows_disagree"])
def test_a_damaged_pool_is_named_with_its_rule(tmp_path, damage):
    """The pool archive is checked when training loads it (was: a KeyError or a zlib error)."""
    from neuroseed.pool import load

    path = tmp_path / "pool" / "pool-n3-s0.npz"
    path.parent.mkdir()
    arrays = {"codes": np.zeros((3, 8), np.int8), "sequences": np.array([b"ACGT"] * 3)}
    if damage == "no_sequences":
        del arrays["sequences"]
    elif damage == "rows_disagree":
        arrays["sequences"] = arrays["sequences"][:2]
    np.savez_compressed(path, **arrays)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(NeuroseedError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}: damaged (")
    assert str(err.value).endswith("(rule prepare_pool rebuilds it)")
