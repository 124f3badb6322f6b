"""Published and peer-measured reference numbers that figures print beside ours.

Sources: the NeuroSEED paper's Qiita table (test %RMSE, embedding 128) and the original code
run by a peer on gg2000 with 2 CPU cores (``docs/reference.md``). They label reference columns
only; nothing is computed from them.
"""

from __future__ import annotations

# Qiita (16S V4, up to 152 bp): a different dataset from any this workflow builds.
QIITA_RMSE_PCT: dict[str, dict[str, float | None]] = {
    "linear": {
        "cosine": 3.38,
        "euclidean": 4.39,
        "square": 5.83,
        "manhattan": 3.82,
        "hyperbolic": 2.50,
    },
    "mlp": {
        "cosine": 4.98,
        "euclidean": 4.36,
        "square": 8.52,
        "manhattan": 4.92,
        "hyperbolic": 1.85,
    },
    "cnn": {
        "cosine": 2.54,
        "euclidean": 2.68,
        "square": 5.03,
        "manhattan": 4.06,
        "hyperbolic": 1.56,
    },
    # GRU + cosine did not converge in the paper
    "gru": {
        "cosine": None,
        "euclidean": 3.30,
        "square": 5.52,
        "manhattan": 3.74,
        "hyperbolic": 2.60,
    },
    "transformer": {
        "cosine": 2.61,
        "euclidean": 2.10,
        "square": 3.71,
        "manhattan": 2.57,
        "hyperbolic": 1.83,
    },
    "local_transformer": {
        "cosine": 2.67,
        "euclidean": 2.42,
        "square": 3.72,
        "manhattan": 2.46,
        "hyperbolic": 1.86,
    },
}

# Seconds per epoch of the original PyTorch code on gg2000 (1,400 training sequences, 10
# partners, batch 128), 2 CPU cores; CNN epochs exclude validation.
PEER_GG2000_EPOCH_SECONDS: dict[str, dict[str, float]] = {
    "linear": {"euclidean": 2.7, "hyperbolic": 2.7},
    "mlp": {"euclidean": 4.3, "hyperbolic": 4.2},
    "cnn": {"euclidean": 70.0, "hyperbolic": 71.0},
}


def qiita_rmse(encoder: str, distance: str) -> float | None:
    """The paper's Qiita %RMSE for an encoder and distance, or None where it has none."""
    return QIITA_RMSE_PCT.get(encoder, {}).get(distance)


def peer_epoch_seconds(encoder: str, distance: str) -> float | None:
    """Seconds per epoch of the original code on gg2000 (2 cores), or None where unmeasured."""
    return PEER_GG2000_EPOCH_SECONDS.get(encoder, {}).get(distance)
