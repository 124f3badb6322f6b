"""Hierarchical clustering from embedding distances, scored against exact edit distances by
Dasgupta's cost (as in NeuroSEED)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from neuroseed.io import atomic_path
from neuroseed.model_file import labels
from neuroseed.runtime import distances, embed, load_run

METHODS = ("single", "complete", "average", "ward")


def linkage(distances: np.ndarray, method: str) -> np.ndarray:
    """SciPy linkage of a square, symmetric distance matrix."""
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    from scipy.spatial.distance import squareform

    d = np.asarray(distances, dtype=np.float64)
    d = (d + d.T) / 2
    np.fill_diagonal(d, 0.0)
    return scipy_linkage(squareform(d, checks=False), method=method)


def dasgupta_cost(merges: np.ndarray, similarity: np.ndarray) -> float:
    """Dasgupta's cost of a hierarchy: the sum over pairs i < j of similarity(i, j) times the
    number of leaves under their lowest common ancestor. Lower is better."""
    n = len(similarity)
    members: list[np.ndarray] = [np.array([i]) for i in range(n)]
    cost = 0.0
    for a, b, _, size in merges:
        left, right = members[int(a)], members[int(b)]
        cost += size * similarity[np.ix_(left, right)].sum()
        members.append(np.concatenate([left, right]))
    return float(cost)


def cost_increase(
    embedded: np.ndarray, exact: np.ndarray, length: int, methods=METHODS
) -> list[dict[str, float | str]]:
    """Per linkage method: Dasgupta cost (similarity 1 - ED/L) of the hierarchy built on
    ``embedded`` distances and on ``exact`` edit distances, and the % increase of the first."""
    similarity = 1.0 - np.asarray(exact, dtype=np.float64) / length
    rows = []
    for method in methods:
        ours = dasgupta_cost(linkage(embedded, method), similarity)
        best = dasgupta_cost(linkage(exact / length, method), similarity)
        rows.append(
            {
                "linkage": method,
                "cost_embedding": ours,
                "cost_exact": best,
                "increase_pct": 100.0 * (ours - best) / best,
            }
        )
    return rows


def run_stage(
    model: str, encoded: str, distances_npy: str, split_json: str, out_tsv: str, size: int
) -> None:
    """The ``evaluate_clustering`` stage: hierarchies of (up to ``size``) test sequences from
    embedding distances vs from exact edit distances, one row per linkage method."""
    run = load_run(model, encoded, distances_npy, split_json)
    idx = run.data.parts["test"]
    if len(idx) > size:
        idx = np.sort(np.random.default_rng(0).choice(idx, size, replace=False))
    emb = embed(run.encoder, run.data.codes[idx])
    exact = np.asarray(run.data.distances[np.ix_(idx, idx)])
    table = pd.DataFrame(cost_increase(distances(run.head, emb, emb), exact, run.data.length))
    table.insert(1, "sequences", len(idx))
    for k, (column, value) in enumerate(labels(model).items()):
        table.insert(k, column, value)
    logging.getLogger(__name__).info("clustering:\n%s", table.to_string(index=False))
    with atomic_path(out_tsv) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
