"""The reference index (``neuroseed index``, ``neuroseed search --index``)."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from test_cli import trained  # noqa: F401 (the small trained model and its FASTA files)

from neuroseed import index as ix
from neuroseed.cli import main


def embeddings(n, rng, counted=300, learned=16, step=0.25):
    """Embeddings shaped like kmer_net's: counts × a step, then free float columns."""
    counts = rng.poisson(0.4, size=(n, counted)).astype(np.float32)
    return np.hstack([counts * step, rng.normal(size=(n, learned)).astype(np.float32) * 0.3])


def build(emb, distance="manhattan", dims=32):
    ids = [f"r{i}" for i in range(len(emb))]
    return ix.build(emb, ids, ["ACGT"] * len(emb), distance, 2.0, 10, "sha", dims)


def test_unary_codes_turn_manhattan_into_squared_euclidean():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 6, size=(40, 12))
    levels = counts.max(0)
    codes = ix._unary(counts, levels).toarray()
    assert codes.shape[1] == levels.sum()
    np.testing.assert_array_equal(
        cdist(codes, codes, "sqeuclidean"), cdist(counts, counts, "cityblock")
    )


def test_count_columns_are_found_and_nothing_else():
    emb = embeddings(200, np.random.default_rng(1))
    cols, step = ix.count_columns(emb, "manhattan")
    assert step == 0.25 and list(cols) == list(range(300))
    assert ix.count_columns(emb, "euclidean")[0].size == 0  # exact there: no sketch needed


@pytest.mark.parametrize("distance", ["manhattan", "euclidean", "hyperbolic"])
def test_with_every_candidate_the_index_is_brute_force(distance):
    rng = np.random.default_rng(2)
    emb = embeddings(300, rng)
    if distance == "hyperbolic":  # inside the ball
        emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) * 1.5)
    from neuroseed.geometry import pairwise

    index, queries = build(emb[:250], distance), emb[250:]
    idx, est = ix.search(index, queries, 5, candidates=250)
    truth = pairwise(distance, queries, emb[:250]) * 2.0 * 10
    np.testing.assert_array_equal(idx, np.argsort(truth, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(est, np.sort(truth, axis=1)[:, :5], rtol=1e-5)


def test_the_sketch_keeps_the_nearest_with_few_candidates():
    rng = np.random.default_rng(3)
    centres = embeddings(40, rng)
    # 40 families of 30 close relatives: the neighbours that matter are near each other
    emb = np.repeat(centres, 30, axis=0)
    emb[:, :300] += 0.25 * rng.poisson(0.2, size=(len(emb), 300))
    emb[:, 300:] += rng.normal(size=(len(emb), 16)).astype(np.float32) * 0.05
    is_query = np.arange(len(emb)) % 10 == 0
    index, queries = build(emb[~is_query]), emb[is_query]
    idx, _ = ix.search(index, queries, 10, candidates=60)
    truth = np.argsort(cdist(queries, emb[~is_query], "cityblock"), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, truth, strict=True)])
    assert recall >= 0.95


def test_an_index_survives_its_file(tmp_path):
    emb = embeddings(120, np.random.default_rng(4))
    index = build(emb[:100])
    ix.save(index, tmp_path / "refs.npz")
    again = ix.load(tmp_path / "refs.npz")
    assert again.ids == index.ids and again.sequences == index.sequences
    hits, hits_again = ix.search(index, emb[100:], 7, 20), ix.search(again, emb[100:], 7, 20)
    for a, b in zip(hits, hits_again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_cli_index_then_search_gives_the_brute_force_hits(trained, tmp_path):  # noqa: F811
    out, _, _ = trained
    model, refs, idx = str(out / "model.keras"), str(out / "refs.fasta"), str(tmp_path / "r.npz")
    assert main(["index", model, refs, "-o", idx]) == 0
    common = ["--query", str(out / "queries.fasta"), "-k", "4", "--rerank", "6", "-o"]
    assert main(["search", model, "--index", idx, *common, str(tmp_path / "a.tsv")]) == 0
    assert main(["search", model, "--refs", refs, *common, str(tmp_path / "b.tsv")]) == 0
    a, b = (tmp_path / "a.tsv").read_text(), (tmp_path / "b.tsv").read_text()
    assert a == b and len(a.splitlines()) == 1 + 5 * 4


def test_an_index_of_another_model_or_a_damaged_one_is_one_line(trained, tmp_path, capsys):  # noqa: F811
    out, _, _ = trained
    model, idx = str(out / "model.keras"), str(tmp_path / "r.npz")
    assert main(["index", model, str(out / "refs.fasta"), "-o", idx]) == 0
    index = ix.load(idx)
    index.model_sha256 = "0" * 64  # as if another model had built it
    ix.save(index, idx)
    query = ["--query", str(out / "queries.fasta")]
    assert main(["search", model, "--index", idx, *query]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "built with another model" in err and "neuroseed index" in err
    (tmp_path / "bad.npz").write_bytes(b"not an index")
    assert main(["search", model, "--index", str(tmp_path / "bad.npz"), *query]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("neuroseed search: error:") and "bad.npz" in err
