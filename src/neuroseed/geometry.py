"""Distances between embeddings, in ``keras.ops`` (any backend) with float64 numpy references.

Every function takes ``u`` and ``v`` of shape ``(..., d)`` that broadcast, and returns ``(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from keras import ops

from neuroseed.registry import DISTANCES

EPS = 1e-12
# Keeps (1 - |u|^2) away from zero for points projected onto the ball's edge.
BALL_EPS = 1e-5


def euclidean(u, v):
    # EPS keeps the gradient finite at u == v; its bias (1e-6) is far below any ED/L step.
    return ops.sqrt(ops.sum(ops.square(u - v), axis=-1) + EPS)


def manhattan(u, v):
    return ops.sum(ops.abs(u - v), axis=-1)


def square(u, v):
    return ops.sum(ops.square(u - v), axis=-1)


def cosine(u, v):
    dot = ops.sum(u * v, axis=-1)
    # The floor sits inside the sqrt so the gradient stays finite at the origin too.
    norms = ops.sqrt(
        ops.maximum(ops.sum(ops.square(u), axis=-1) * ops.sum(ops.square(v), axis=-1), 1e-12)
    )
    return 1.0 - dot / norms


def hyperbolic(u, v):
    """Poincaré-ball distance (curvature -1) as 2*asinh(|u-v| / sqrt((1-|u|^2)(1-|v|^2))).

    Equal to arccosh(1 + 2|u-v|^2/((1-|u|^2)(1-|v|^2))) but without the cancellation of
    arccosh near 1, so small distances stay accurate in float32 and gradients stay finite.
    """
    diff = ops.sum(ops.square(u - v), axis=-1)
    cu = ops.maximum(1.0 - ops.sum(ops.square(u), axis=-1), BALL_EPS)
    cv = ops.maximum(1.0 - ops.sum(ops.square(v), axis=-1), BALL_EPS)
    return 2.0 * ops.arcsinh(ops.sqrt((diff + EPS) / (cu * cv)))


def _ref_hyperbolic(u, v):
    num = 2 * ((u - v) ** 2).sum(-1)
    den = (1 - (u**2).sum(-1)) * (1 - (v**2).sum(-1))
    return np.arccosh(1 + num / den)


def _squared_distances(u, v):
    """``|u_i - v_j|^2`` for all pairs through one matrix product."""
    return np.maximum((u**2).sum(-1)[:, None] + (v**2).sum(-1)[None, :] - 2.0 * u @ v.T, 0.0)


def _all_cosine(u, v):
    norms = np.sqrt(np.maximum((u**2).sum(-1)[:, None] * (v**2).sum(-1)[None, :], 1e-12))
    return 1.0 - (u @ v.T) / norms


def _all_manhattan(u, v):
    from scipy.spatial.distance import cdist

    return cdist(u, v, "cityblock")


def _all_hyperbolic(u, v):
    cu = np.maximum(1.0 - (u**2).sum(-1)[:, None], BALL_EPS)
    cv = np.maximum(1.0 - (v**2).sum(-1)[None, :], BALL_EPS)
    return 2.0 * np.arcsinh(np.sqrt(_squared_distances(u, v) / (cu * cv)))


@dataclass(frozen=True)
class Distance:
    """One geometry: its ``keras.ops`` formula (training), the textbook formula in float64
    (tests) and all pairs ``(len(u), len(v))`` in float64 (search, evaluation)."""

    ops: Callable
    reference: Callable
    all_pairs: Callable


# One entry per name in neuroseed.registry.DISTANCES (a test checks they match).
FUNCTIONS = {
    "euclidean": Distance(
        euclidean,
        lambda u, v: np.linalg.norm(u - v, axis=-1),
        lambda u, v: np.sqrt(_squared_distances(u, v)),
    ),
    "manhattan": Distance(manhattan, lambda u, v: np.abs(u - v).sum(-1), _all_manhattan),
    "square": Distance(square, lambda u, v: ((u - v) ** 2).sum(-1), _squared_distances),
    "cosine": Distance(
        cosine,
        lambda u, v: 1 - (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1),
        _all_cosine,
    ),
    "hyperbolic": Distance(hyperbolic, _ref_hyperbolic, _all_hyperbolic),
}


def _lookup(name: str) -> Distance:
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown distance '{name}' (choose from {DISTANCES})") from None


def get(name: str):
    """The ``keras.ops`` formula of distance ``name``."""
    return _lookup(name).ops


def reference(name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The textbook formula in float64, for tests."""
    return _lookup(name).reference(np.asarray(u, np.float64), np.asarray(v, np.float64))


def pairwise(name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """All distances ``(len(u), len(v))`` in float64 numpy, through matrix products where the
    formula allows (euclidean, square, cosine, hyperbolic): the fast path for many pairs."""
    return _lookup(name).all_pairs(np.asarray(u, np.float64), np.asarray(v, np.float64))
