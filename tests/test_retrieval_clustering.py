import itertools

import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.clustering import cost_increase, dasgupta_cost, linkage
from neuroseed.retrieval import ranks_of_truth, topk_accuracy, true_nearest


def test_ranks_count_ties_against_the_model_and_skip_tied_truths():
    exact = np.array([[3, 1, 2], [1, 1, 5], [4, 2, 0]])
    estimated = np.array([[0.1, 0.3, 0.2], [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]])
    nearest, unique = true_nearest(exact)
    assert nearest.tolist() == [1, 0, 2] and unique.tolist() == [True, False, True]
    # query 0: truth (ref 1) is third; query 1 is skipped (two nearest); query 2: all tie
    assert ranks_of_truth(estimated, exact).tolist() == [3, 3]
    assert topk_accuracy(np.array([1, 3, 12]), ks=(1, 5, 10)) == {
        "top1": 1 / 3,
        "top5": 2 / 3,
        "top10": 2 / 3,
    }
    with pytest.raises(NeuroseedError, match="no query has a unique nearest"):
        ranks_of_truth(np.zeros((1, 2)), np.array([[1, 1]]))


def brute_force_dasgupta(merges, similarity):
    n = len(similarity)
    leaves = {i: {i} for i in range(n)}
    for k, (a, b, _, _) in enumerate(merges):
        leaves[n + k] = leaves[int(a)] | leaves[int(b)]
    cost = 0.0
    for i, j in itertools.combinations(range(n), 2):
        lca = min((c for c in leaves.values() if i in c and j in c), key=len)
        cost += similarity[i, j] * len(lca)
    return cost


def test_dasgupta_cost_matches_its_definition():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(9, 3))
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    similarity = 1 - d / d.max()
    for method in ("single", "average", "ward"):
        merges = linkage(d, method)
        assert dasgupta_cost(merges, similarity) == pytest.approx(
            brute_force_dasgupta(merges, similarity)
        )


def test_exact_embedding_costs_nothing_more_and_noise_costs_more():
    rng = np.random.default_rng(1)
    exact = rng.integers(1, 50, size=(20, 20))
    exact = np.triu(exact, 1) + np.triu(exact, 1).T
    rows = cost_increase(exact / 100.0, exact, 100, methods=("average", "complete"))
    assert all(abs(r["increase_pct"]) < 1e-9 for r in rows)
    noisy = rng.random((20, 20))
    rows = cost_increase(noisy + noisy.T, exact, 100, methods=("average",))
    assert rows[0]["increase_pct"] > 0


def test_figures_read_runs_from_what_the_outputs_record(tmp_path):
    """Tables label rows with the encoder, distance and seed the outputs record, whatever
    folder they sit in; an output from before that was recorded is named, in one line."""
    import json

    from neuroseed.plots import collect_retrieval

    scores = {"top1": 0.5, "top5": 0.8, "top10": 0.9, "queries_scored": 9, "references": 20}
    moved = tmp_path / "anywhere.json"
    moved.write_text(json.dumps({"model": "cnn", "distance": "cosine", "seed": 3, **scores}))
    table = collect_retrieval([moved])
    rows = zip(table["model"], table["distance"], table["seed"], strict=True)
    assert set(rows) == {("cnn", "cosine", 3)}
    old = tmp_path / "old.json"
    old.write_text(json.dumps(scores))
    with pytest.raises(NeuroseedError, match=r"old.json: no 'model' in it \(written by an older"):
        collect_retrieval([old])
