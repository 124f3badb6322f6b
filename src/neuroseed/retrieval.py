"""Closest-string retrieval: does the embedding find each query's true nearest reference?"""

from __future__ import annotations

import logging

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import write_json
from neuroseed.model_file import labels
from neuroseed.runtime import distances, embed, load_run

log = logging.getLogger(__name__)
KS = (1, 5, 10)


def true_nearest(exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each query's nearest reference by exact edit distance ``(queries, refs)``, and
    whether it is unique (queries with tied nearest references are left out of the score)."""
    nearest = exact.argmin(axis=1)
    best = exact[np.arange(len(exact)), nearest]
    unique = (exact == best[:, None]).sum(axis=1) == 1
    return nearest, unique


def ranks_of_truth(estimated: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Rank (1 = first) of each query's true nearest reference among the estimated distances,
    counting ties against the model; only queries with a unique true nearest."""
    if estimated.shape != exact.shape:
        raise ValueError(f"shapes differ: {estimated.shape} vs {exact.shape}")
    nearest, unique = true_nearest(exact)
    if not unique.any():
        raise NeuroseedError("retrieval: no query has a unique nearest reference")
    rows = np.flatnonzero(unique)
    truth = estimated[rows, nearest[rows]]
    others = estimated[rows] <= truth[:, None]
    return others.sum(axis=1)  # the truth itself counts once, ties count against


def topk_accuracy(ranks: np.ndarray, ks=KS) -> dict[str, float]:
    """Share of queries whose true nearest reference is within the top k, for each k."""
    return {f"top{k}": float((ranks <= k).mean()) for k in ks}


def run_stage(
    model: str,
    encoded: str,
    distances_npy: str,
    split_json: str,
    out_json: str,
    references: int,
    queries: int,
    seed: int = 0,
) -> None:
    """The ``evaluate_retrieval`` stage: references from the test part, queries from the
    validation part (both unseen in training), at most ``references`` / ``queries`` of each."""
    run = load_run(model, encoded, distances_npy, split_json)
    rng = np.random.default_rng(seed)
    refs, qs = run.data.parts["test"], run.data.parts["val"]
    if len(refs) > references:
        refs = np.sort(rng.choice(refs, references, replace=False))
    if len(qs) > queries:
        qs = np.sort(rng.choice(qs, queries, replace=False))
    codes = run.data.codes
    est = distances(run.head, embed(run.encoder, codes[qs]), embed(run.encoder, codes[refs]))
    ranks = ranks_of_truth(est, np.asarray(run.data.distances[np.ix_(qs, refs)]))
    result = {
        **labels(model),
        **topk_accuracy(ranks),
        "median_rank": float(np.median(ranks)),
        "references": len(refs),
        "queries": len(qs),
        "queries_scored": len(ranks),
    }
    log.info("retrieval: %s", result)
    write_json(out_json, result)
