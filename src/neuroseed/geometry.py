"""Distances between embeddings, in ``keras.ops`` (any backend) with float64 numpy references.

Every function takes ``u`` and ``v`` of shape ``(..., d)`` that broadcast, and returns ``(...)``.
"""

from __future__ import annotations

import numpy as np
from keras import ops

DISTANCES = ("euclidean", "manhattan", "square", "cosine", "hyperbolic")
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


FUNCTIONS = {
    "euclidean": euclidean,
    "manhattan": manhattan,
    "square": square,
    "cosine": cosine,
    "hyperbolic": hyperbolic,
}


def get(name: str):
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown distance '{name}' (choose from {DISTANCES})") from None


def reference(name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The textbook formulas in float64, for tests."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if name == "euclidean":
        return np.linalg.norm(u - v, axis=-1)
    if name == "manhattan":
        return np.abs(u - v).sum(-1)
    if name == "square":
        return ((u - v) ** 2).sum(-1)
    if name == "cosine":
        return 1 - (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    if name == "hyperbolic":
        num = 2 * ((u - v) ** 2).sum(-1)
        den = (1 - (u**2).sum(-1)) * (1 - (v**2).sum(-1))
        return np.arccosh(1 + num / den)
    raise ValueError(f"unknown distance '{name}'")


def pairwise(name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """All distances ``(len(u), len(v))`` in float64 numpy, through matrix products where the
    formula allows (euclidean, square, cosine, hyperbolic): the fast path for many pairs."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if name == "manhattan":
        from scipy.spatial.distance import cdist

        return cdist(u, v, "cityblock")
    nu = (u**2).sum(-1)[:, None]
    nv = (v**2).sum(-1)[None, :]
    dot = u @ v.T
    if name == "cosine":
        return 1.0 - dot / np.sqrt(np.maximum(nu * nv, 1e-12))
    sq = np.maximum(nu + nv - 2.0 * dot, 0.0)
    if name == "square":
        return sq
    if name == "euclidean":
        return np.sqrt(sq)
    if name == "hyperbolic":
        cu, cv = np.maximum(1.0 - nu, BALL_EPS), np.maximum(1.0 - nv, BALL_EPS)
        return 2.0 * np.arcsinh(np.sqrt(sq / (cu * cv)))
    raise ValueError(f"unknown distance '{name}' (choose from {DISTANCES})")
