"""The reference index (``neuroseed index``, ``neuroseed search --index``)."""

import numpy as np
import pytest
from conftest import relative
from scipy.spatial.distance import cdist
from test_cli import trained  # noqa: F401 (the small trained model and its FASTA files)

from neuroseed import NeuroseedError
from neuroseed import index as ix
from neuroseed.cli import main
from neuroseed.unary import unary_codes


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
    codes = unary_codes(counts, levels).toarray()
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


def families(seed=3):
    """40 families of 30 close relatives (the neighbours that matter are near each other):
    references, queries (every tenth) and each query's true 10 nearest."""
    rng = np.random.default_rng(seed)
    emb = np.repeat(embeddings(40, rng), 30, axis=0)
    emb[:, :300] += 0.25 * rng.poisson(0.2, size=(len(emb), 300))
    emb[:, 300:] += rng.normal(size=(len(emb), 16)).astype(np.float32) * 0.05
    is_query = np.arange(len(emb)) % 10 == 0
    truth = np.argsort(cdist(emb[is_query], emb[~is_query], "cityblock"), axis=1)[:, :10]
    return emb[~is_query], emb[is_query], truth


def recall(idx, truth):
    return np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, truth, strict=True)])


def test_the_sketch_keeps_the_nearest_with_few_candidates():
    refs, queries, truth = families()
    index = build(refs)
    assert len(index.centroids) == 1  # few references: one list, every sketch scored
    assert recall(ix.search(index, queries, 10, candidates=60)[0], truth) >= 0.95


def test_lists_score_only_the_probed_references_and_miss_little(monkeypatch):
    monkeypatch.setattr(ix, "LISTED", 100)
    refs, queries, truth = families()
    index = build(refs)
    lists = len(index.centroids)
    assert lists == round(2 * np.sqrt(len(refs))) and sorted(index.order) == list(range(len(refs)))
    q_sketch = ix._sketch(index, *ix._split(index, queries))
    scores, rows = ix._probe(index, q_sketch, 60, 8)
    assert scores.shape[1] < len(refs) / 2  # a fraction of the references scored
    for q in range(len(queries)):  # each score is its row's sketch distance
        seen = np.isfinite(scores[q])
        expect = ((index.sketch[rows[q, seen]] - q_sketch[q]) ** 2).sum(1) - (
            q_sketch[q] ** 2
        ).sum()
        np.testing.assert_allclose(scores[q, seen], expect, rtol=1e-4, atol=1e-3)
    assert recall(ix.search(index, queries, 10, candidates=60, probe=8)[0], truth) >= 0.95
    # every list and every candidate: brute force, references numbered as given
    idx, _ = ix.search(index, queries, 10, candidates=len(refs), probe=lists)
    np.testing.assert_array_equal(idx, truth)


def test_exact_ranking_counts_repeated_kmers_exactly():
    rng = np.random.default_rng(5)
    emb = embeddings(200, rng)
    emb[:, :300] = rng.poisson(rng.uniform(0, 6, size=300), size=(200, 300)) * 0.25  # to ~20
    index, queries = build(emb[:150]), emb[150:]
    idx, est = ix.search(index, queries, 150, candidates=150)
    truth = cdist(queries, emb[:150], "cityblock") * 2.0 * 10
    np.testing.assert_allclose(est, np.take_along_axis(truth, idx, 1), rtol=1e-5)


def test_popcount_without_numpy_bitwise_count(monkeypatch):
    words = np.random.default_rng(6).integers(0, 2**63, size=(7, 5), dtype=np.uint64)
    native = ix._popcount(words, np.int64)
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    np.testing.assert_array_equal(ix._popcount(words, np.int64), native)
    bits = np.unpackbits(words.view(np.uint8), axis=1).reshape(7, 5, 64).sum((1, 2))
    np.testing.assert_array_equal(native, bits)


@pytest.mark.parametrize("listed", [False, True])
def test_an_index_survives_its_file(tmp_path, monkeypatch, listed):
    if listed:
        monkeypatch.setattr(ix, "LISTED", 50)
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
    for mode in ("--approx", "--exhaustive"):
        common = ["--query", str(out / "queries.fasta"), "-k", "4", mode, "-o"]
        assert main(["search", model, "--index", idx, *common, str(tmp_path / "a.tsv")]) == 0
        assert main(["search", model, "--refs", refs, *common, str(tmp_path / "b.tsv")]) == 0
        a, b = (tmp_path / "a.tsv").read_text(), (tmp_path / "b.tsv").read_text()
        # the exact answer lists every reference tied with the fourth
        assert a == b and (len(a.splitlines()) == 1 + 5 * 4 or mode == "--exhaustive")


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


def test_an_index_of_another_format_says_rebuild(tmp_path):
    import json

    index = build(embeddings(60, np.random.default_rng(7)))
    ix.save(index, tmp_path / "refs.npz")
    with np.load(tmp_path / "refs.npz") as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps({**meta, "format": ix.FORMAT - 1}))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(
        NeuroseedError, match=f"format {ix.FORMAT - 1}.*rebuild it with neuroseed index"
    ):
        ix.load(tmp_path / "old.npz")


def test_an_index_stores_the_calibration_of_its_exact_search(tmp_path):
    """``neuroseed index`` calibrates the exact search's stop once (leave-one-out over its
    references) and keeps k-mer sets for certificates; searching it needs no calibration."""
    from neuroseed.edit_distance import edit_distance_matrix

    rng = np.random.default_rng(11)
    roots = ["".join(rng.choice(list("ACGT"), size=200)) for _ in range(20)]

    refs = [relative(rng, roots[i % 20], 3, 30) for i in range(280)]
    queries = [relative(rng, roots[i], 3, 30) for i in range(10)]
    (tmp_path / "r.fa").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(refs)))
    (tmp_path / "q.fa").write_text("".join(f">q{i}\n{s}\n" for i, s in enumerate(queries)))
    idx = str(tmp_path / "r.npz")
    argv = ["index", "greengenes16s", str(tmp_path / "r.fa"), "-o", idx]
    assert main([*argv, "--calibration-queries", "60", "--limit", "100"]) == 0
    index = ix.load(idx)
    assert len(index.trials()) == 60 and index.limit == 100
    # a k-mer model: the certificates' bounds come from the counts' bit planes, no extra sets
    bounds = index.bounds()
    assert (bounds.k, bounds.planes, index.bound_k) == (6, ix.PLANES, 0)
    from neuroseed.verify import Bounds, kmer_sets

    direct = Bounds(6, bounds.lengths, kmer_sets(refs, 6, ix.PLANES), ix.PLANES)
    exact = edit_distance_matrix(queries + refs)[:10, 10:]
    everyone = np.arange(len(refs))
    for q, query in enumerate(queries):
        lower = bounds.lower(len(query), kmer_sets([query], 6, ix.PLANES)[0], everyone)
        np.testing.assert_array_equal(
            lower, direct.lower(len(query), kmer_sets([query], 6, ix.PLANES)[0], everyone)
        )
        assert (lower <= exact[q]).all() and lower.max() > 0
    out = tmp_path / "h.tsv"
    argv = ["search", "greengenes16s", "--index", idx, "--query", str(tmp_path / "q.fa")]
    assert main([*argv, "-k", "1", "-o", str(out)]) == 0
    import pandas as pd

    hits = pd.read_csv(out, sep="\t")
    assert hits["verified"].max() <= 100
    truth = exact.min(1)
    found = hits.groupby("query")["exact_ed"].min().reindex([f"q{i}" for i in range(10)])
    assert (found.values == truth).mean() >= 0.9


def test_calibration_on_sequences_like_the_queries_and_the_warning_when_they_differ(
    tmp_path, caplog
):
    """References in tight clusters, queries far from every cluster: the leave-one-out
    calibration's pseudo-queries sit nearer their nearest than the queries do, and the search
    says so; ``--calibrate-on`` sequences like the queries calibrates on those instead."""
    import logging

    rng = np.random.default_rng(12)
    roots = ["".join(rng.choice(list("ACGT"), size=200)) for _ in range(20)]

    refs = [relative(rng, roots[i % 20], 1, 4) for i in range(280)]
    fasta = {
        "r": refs,
        "q": [relative(rng, roots[i], 30, 50) for i in range(20)],
        "like": [relative(rng, roots[i % 20], 30, 50) for i in range(60)],
    }
    for name, seqs in fasta.items():
        (tmp_path / f"{name}.fa").write_text(
            "".join(f">{name}{i}\n{s}\n" for i, s in enumerate(seqs))
        )
    search = ["search", "greengenes16s", "--query", str(tmp_path / "q.fa"), "-k", "1"]
    for calibrate_on in (None, "like.fa"):
        idx = str(tmp_path / f"{calibrate_on}.npz")
        argv = ["index", "greengenes16s", str(tmp_path / "r.fa"), "-o", idx]
        extra = ["--probe", "4"]
        extra += [] if calibrate_on is None else ["--calibrate-on", str(tmp_path / calibrate_on)]
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert main([*argv, "--calibration-queries", "60", *extra]) == 0
            index = ix.load(idx)
            assert index.calibrated_on == (calibrate_on or "references") and index.probe == 4
            assert main([*search, "--index", idx, "-o", str(tmp_path / "h.tsv")]) == 0
        farther = "nearest references are farther" in caplog.text
        assert farther == (calibrate_on is None), caplog.text
        if calibrate_on:
            assert "stop calibrated on 60 sequences of like.fa" in caplog.text


@pytest.mark.parametrize("option", ["--probe", "--limit", "--sketch-dims"])
def test_index_options_below_one_are_refused_in_one_line(tmp_path, capsys, option):
    (tmp_path / "r.fa").write_text(">r0\nACGTACGTAC\n")
    argv = ["index", "greengenes16s", str(tmp_path / "r.fa"), "-o", str(tmp_path / "r.npz")]
    assert main([*argv, option, "0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--sketch-dims, --limit and --probe must be at least 1" in err
    assert not (tmp_path / "r.npz").exists()
