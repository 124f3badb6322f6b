"""Running trained encoders: backend set-up, embedding, and distances between embeddings."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from neuroseed.artifacts import Dataset, load_dataset
from neuroseed.model_file import check_fits, check_place, load_siamese

log = logging.getLogger(__name__)


def configure_backend(threads: int, seed: int) -> dict[str, str]:
    """Bound CPU threads, make runs deterministic, and say which backend and device are used."""
    import keras

    backend = keras.backend.backend()
    device = "cpu"
    if backend == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
        except RuntimeError:  # already initialised in this process
            pass
        tf.config.experimental.enable_op_determinism()
        from neuroseed import kernels  # here, not above: Numba only with TensorFlow

        kernels.set_threads(threads)
        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:  # several jobs share a GPU (--resources gpu=N): take memory as needed
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:  # already initialised in this process
                pass
        device = f"gpu ({gpus[0].name})" if gpus else "cpu"
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)
        device = f"cuda ({torch.cuda.get_device_name()})" if torch.cuda.is_available() else "cpu"
    elif backend == "jax":
        import jax

        device = str(jax.devices()[0])
    keras.utils.set_random_seed(seed)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    info = {"backend": backend, "device": device, "cuda_visible_devices": str(visible)}
    log.info("keras backend %s on %s (CUDA_VISIBLE_DEVICES=%s)", backend, device, visible)
    return info


def xla_training(encoder: str) -> bool:
    """Whether the training steps of encoder ``encoder`` are compiled with XLA: with TensorFlow
    on a machine without GPUs, for the bodies registered with ``xla`` (``models.bodies.XLA``).
    Keras keeps XLA off on CPUs and under op determinism; for these encoders XLA repeats itself
    bit for bit and steps faster (on 152-nt reads with one thread: the local transformer 3.7x,
    the transformer 1.7x, the GRU and linear 1.4x, the MLP 1.2x; docs/benchmarks.md)."""
    import keras

    from neuroseed.models import XLA  # here, not above: the models load Keras

    if keras.backend.backend() != "tensorflow" or encoder not in XLA:
        return False
    import tensorflow as tf

    return not tf.config.list_physical_devices("GPU")


def compile_for_training(model, encoder: str, **kwargs) -> bool:
    """``model.compile(**kwargs)`` for training encoder ``encoder``, its steps through XLA
    where :func:`xla_training` says so; returns whether they are."""
    if not xla_training(encoder):
        model.compile(**kwargs, jit_compile=False)
        return False
    from tensorflow.python.framework import config as tf_config

    # Keras refuses XLA while op determinism is on (some XLA ops on GPUs are not
    # deterministic); on a CPU it is, so it is paused for compile() alone.
    determinism = tf_config.is_op_determinism_enabled()
    tf_config.disable_op_determinism()
    try:
        model.compile(**kwargs, jit_compile=True)
    finally:
        if determinism:
            tf_config.enable_op_determinism()
    return bool(model.jit_compile)


def embed(encoder, codes: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Embeddings ``(n, dim)`` of integer codes; ``batch_size`` only bounds memory."""
    return np.asarray(encoder.predict(codes, batch_size=batch_size, verbose=0))


def pairwise_predictions(head, emb: np.ndarray, block: int | None = None) -> np.ndarray:
    """Predicted distances for all unordered pairs (upper triangle, row-major) of ``emb``,
    through the head itself (its own arithmetic, as in training); by default blocks of rows
    hold about 32 M floats, whatever the embedding width."""
    import keras

    n = len(emb)
    if block is None:
        block = int(np.clip(2**25 // max(1, n * emb.shape[1]), 1, 256))
    out = []
    for start in range(0, n - 1, block):
        rows = emb[start : start + block]
        d = keras.ops.convert_to_numpy(head(rows[:, None, :], emb[None, :, :]))
        d = d.astype(np.float64)
        for r in range(len(rows)):
            i = start + r
            out.append(d[r, i + 1 :])
    return np.concatenate(out) if out else np.empty(0)


def distances(head, queries: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Distances ``(n_queries, n_refs)`` by a model's distance head (its scale included), in
    float64 through matrix products (:func:`neuroseed.geometry.pairwise`)."""
    # here, not above: geometry loads Keras (and TensorFlow), which configure_backend must
    # set up first
    from neuroseed.geometry import pairwise

    return pairwise(head.distance, queries, refs) * head_scale(head)


def head_scale(head) -> float:
    """A distance head's learned scale (1 where it learns none)."""
    import keras

    return float(keras.ops.convert_to_numpy(head.scale)) if head.learn_scale else 1.0


@dataclass
class Run:
    """A trained model with the dataset and split it was trained on."""

    encoder: object
    head: object
    data: Dataset


def load_run(model: str, encoded: str, distances_npy: str, split_json: str) -> Run:
    check_place(model)
    data = load_dataset(encoded, distances_npy, split_json)
    check_fits(model, int(data.codes.shape[1]), data.length, data.alphabet_size)
    encoder, head = load_siamese(model)
    return Run(encoder, head, data)
