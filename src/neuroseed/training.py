"""Siamese training on ED/L targets: pair sampling, all-pairs evaluation, early stopping."""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.metrics import rmse_percent, upper_triangle

log = logging.getLogger(__name__)


@dataclass
class TrainSettings:
    model: str
    distance: str
    embedding_dim: int = 128
    batch_size: int = 128
    epochs: int = 20
    patience: int = 5
    partners: int = 10
    learning_rate: float = 0.01
    weight_decay: float = 0.0
    clipnorm: float = 0.0
    seed: int = 0
    hparams: dict[str, Any] = field(default_factory=dict)


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
        gpus = tf.config.list_physical_devices("GPU")
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


def sample_pairs(
    train_idx: np.ndarray, distances: np.ndarray, partners: int, rng: np.random.Generator
) -> np.ndarray:
    """``partners`` random partners per training sequence (never itself), resampling pairs at
    edit distance 0; returns an ``(n_pairs, 2)`` array of row indices into the full matrix."""
    n = len(train_idx)
    anchors = np.repeat(np.arange(n), partners)
    other = rng.integers(0, n - 1, size=anchors.size)
    other += other >= anchors  # skip the anchor itself
    for _ in range(10):
        zero = distances[train_idx[anchors], train_idx[other]] == 0
        if not zero.any():
            break
        redraw = rng.integers(0, n - 1, size=int(zero.sum()))
        other[zero] = redraw + (redraw >= anchors[zero])
    keep = distances[train_idx[anchors], train_idx[other]] > 0
    pairs = np.stack([train_idx[anchors[keep]], train_idx[other[keep]]], axis=1)
    return pairs[rng.permutation(len(pairs))]


def nothing_to_learn(label: str, n: int) -> NeuroseedError:
    return NeuroseedError(
        f"training {label}: the {n} training sequences are all identical (every edit distance "
        "is 0), so there is nothing to learn; check the input sequences and the split"
    )


def _pair_dataset_class():
    import keras

    class PairBatches(keras.utils.PyDataset):
        """Streams fresh random training pairs each epoch without materialising all pairs."""

        def __init__(self, codes, distances, train_idx, length, partners, batch_size, seed):
            super().__init__()
            self.codes, self.distances, self.train_idx = codes, distances, train_idx
            self.length, self.partners, self.batch_size, self.seed = (
                length,
                partners,
                batch_size,
                seed,
            )
            self.epoch = 0
            self._resample()

        def _resample(self):
            rng = np.random.default_rng([self.seed, self.epoch])
            self.pairs = sample_pairs(self.train_idx, self.distances, self.partners, rng)

        def __len__(self):
            return math.ceil(len(self.pairs) / self.batch_size)

        def __getitem__(self, k):
            p = self.pairs[k * self.batch_size : (k + 1) * self.batch_size]
            y = self.distances[p[:, 0], p[:, 1]].astype(np.float32) / self.length
            return (self.codes[p[:, 0]], self.codes[p[:, 1]]), y

        def on_epoch_end(self):
            self.epoch += 1
            self._resample()

    return PairBatches


def embed(encoder, codes: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return np.asarray(encoder.predict(codes, batch_size=batch_size, verbose=0))


def pairwise_predictions(head, emb: np.ndarray, block: int | None = None) -> np.ndarray:
    """Predicted distances for all unordered pairs (upper triangle, row-major) of ``emb``;
    by default blocks of rows hold about 32 M floats, whatever the embedding width."""
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


def evaluate(encoder, head, codes, distances, idx, length) -> tuple[float, np.ndarray, np.ndarray]:
    """%RMSE over all unordered pairs of ``idx``; returns it with targets and predictions."""
    emb = embed(encoder, codes[idx])
    pred = pairwise_predictions(head, emb)
    target = upper_triangle(distances[np.ix_(idx, idx)]).astype(np.float64) / length
    return rmse_percent(target, pred), target, pred


def _eval_callback_class():
    import keras

    class AllPairsValidation(keras.callbacks.Callback):
        """Validation loss over all val pairs each epoch; fails loudly on a NaN/Inf loss."""

        def __init__(self, encoder, head, codes, distances, val_idx, length, label):
            super().__init__()
            self.args = (encoder, head, codes, distances, val_idx, length)
            self.label = label

        def on_epoch_end(self, epoch, logs=None):
            logs = logs if logs is not None else {}
            loss = float(logs.get("loss", float("nan")))
            if not math.isfinite(loss):
                raise NeuroseedError(
                    f"training {self.label}: loss became {loss} in epoch {epoch + 1}; "
                    "try a lower learning rate"
                )
            rmse, _, pred = evaluate(*self.args)
            if not np.isfinite(pred).all():
                raise NeuroseedError(
                    f"training {self.label}: validation distances became non-finite "
                    f"in epoch {epoch + 1}"
                )
            logs["rmse_pct"] = 100.0 * math.sqrt(loss)
            logs["val_loss"] = (rmse / 100.0) ** 2
            logs["val_rmse_pct"] = rmse

    return AllPairsValidation


def fit_siamese(settings, codes, distances, parts, length, alphabet_size=4, verbose=2):
    """Gradient training of a Siamese encoder; returns the model, its history and the number
    of training pairs per epoch."""
    import keras
    import pandas as pd

    from neuroseed.models import build_encoder, build_siamese, split_siamese

    label = f"{settings.model}+{settings.distance}"
    encoder = build_encoder(
        settings.model,
        codes.shape[1],
        settings.embedding_dim,
        settings.distance,
        settings.hparams,
        alphabet_size,
    )
    model = build_siamese(encoder, settings.distance)
    data = _pair_dataset_class()(
        codes,
        distances,
        parts["train"],
        length,
        settings.partners,
        settings.batch_size,
        settings.seed,
    )
    if len(data.pairs) == 0:
        raise nothing_to_learn(label, len(parts["train"]))
    # Keras applies weight decay decoupled (AdamW): each step shrinks weights by lr * decay.
    # The geometry's own parameters (sphere radius, distance scale) are not decayed.
    optimizer = keras.optimizers.Adam(
        settings.learning_rate,
        weight_decay=settings.weight_decay or None,
        global_clipnorm=settings.clipnorm or None,
    )
    if settings.weight_decay:
        optimizer.exclude_from_weight_decay(var_names=["^radius$", "^scale$"])
    model.compile(optimizer=optimizer, loss="mse")
    encoder, head = split_siamese(model)
    callbacks = [
        _eval_callback_class()(encoder, head, codes, distances, parts["val"], length, label),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=settings.patience, restore_best_weights=True, mode="min"
        ),
    ]
    log.info(
        "training %s: %d parameters, %d train / %d val / %d test sequences, %d pairs per epoch",
        label,
        model.count_params(),
        len(parts["train"]),
        len(parts["val"]),
        len(parts["test"]),
        len(data.pairs),
    )
    hist = model.fit(data, epochs=settings.epochs, callbacks=callbacks, verbose=verbose)
    return model, pd.DataFrame(hist.history), len(data.pairs)


def _fit_sample(train_idx: np.ndarray, seed: int, size: int = 1000) -> np.ndarray:
    """Up to ``size`` training sequences (all their pairs are the train-side evaluation)."""
    if len(train_idx) <= size:
        return train_idx
    return np.sort(np.random.default_rng(seed).choice(train_idx, size, replace=False))


# Sphere radii tried for hyperbolic k-mer embeddings (the scale is then closed-form).
KMER_RADII = (0.01, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)


def fit_kmer(settings, codes, distances, parts, length, alphabet_size=4, verbose=2):
    """The k-mer baseline: no gradient training. The distance between k-mer count vectors
    is multiplied by the least-squares scale ``sum(d*t)/sum(d*d)`` over all pairs of (up to
    1,000) training sequences; for the hyperbolic distance the sphere radius is chosen from
    :data:`KMER_RADII` by the same training error."""
    import pandas as pd

    from neuroseed.models import build_encoder, build_siamese, split_siamese

    encoder = build_encoder(
        "kmer", codes.shape[1], settings.embedding_dim, settings.distance, settings.hparams
    )
    model = build_siamese(encoder, settings.distance, scaled=True)
    encoder, head = split_siamese(model)
    sample = _fit_sample(parts["train"], settings.seed)
    target = upper_triangle(distances[np.ix_(sample, sample)]).astype(np.float64) / length
    if not target.any():
        raise nothing_to_learn(f"kmer+{settings.distance}", len(parts["train"]))
    head.scale.assign(1.0)
    radii = KMER_RADII if settings.distance == "hyperbolic" else (None,)
    best = None
    for radius in radii:
        if radius is not None:
            encoder.get_layer("sphere").radius.assign(radius)
        d = pairwise_predictions(head, embed(encoder, codes[sample]))
        scale = float(np.dot(d, target) / max(np.dot(d, d), 1e-30))
        mse = float(np.mean((scale * d - target) ** 2))
        if best is None or mse < best[0]:
            best = (mse, radius, scale)
    mse, radius, scale = best
    if radius is not None:
        encoder.get_layer("sphere").radius.assign(radius)
        log.info("k-mer hyperbolic: sphere radius %g", radius)
    head.scale.assign(scale)
    val_rmse, _, _ = evaluate(encoder, head, codes, distances, parts["val"], length)
    log.info(
        "k-mer (k=%d) %s: scale %.6g fitted on %d pairs",
        settings.hparams.get("k", 5),
        settings.distance,
        scale,
        target.size,
    )
    history = pd.DataFrame(
        {
            "loss": [mse],
            "rmse_pct": [100.0 * math.sqrt(mse)],
            "val_loss": [(val_rmse / 100.0) ** 2],
            "val_rmse_pct": [val_rmse],
        }
    )
    return model, history, int(target.size)


def train(
    settings: TrainSettings,
    codes: np.ndarray,
    distances: np.ndarray,
    parts: dict[str, np.ndarray],
    length: int,
    verbose: int = 2,
    alphabet_size: int = 4,
):
    """Fit one encoder/distance pair; returns the Siamese model, the history table and metrics.

    ``length`` is the normaliser L of the targets ED/L; the model's input width is that of
    ``codes`` (wider than L for aligned input).
    """
    import keras

    from neuroseed.models import split_siamese

    keras.utils.set_random_seed(settings.seed)  # each run from its own seed, also in one process
    label = f"{settings.model}+{settings.distance}"
    fit = fit_kmer if settings.model == "kmer" else fit_siamese
    start = time.perf_counter()
    model, history, pairs_per_epoch = fit(
        settings, codes, distances, parts, length, alphabet_size, verbose
    )
    seconds = time.perf_counter() - start
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    best = int(history["val_loss"].idxmin())
    encoder, head = split_siamese(model)

    test_rmse, test_target, _ = evaluate(encoder, head, codes, distances, parts["test"], length)
    val_rmse, _, _ = evaluate(encoder, head, codes, distances, parts["val"], length)
    # All pairs of (up to) 1,000 training sequences: the fit the split-depth figures compare.
    train_rmse, _, _ = evaluate(
        encoder, head, codes, distances, _fit_sample(parts["train"], settings.seed), length
    )
    train_target = distances[np.ix_(parts["train"], parts["train"])]
    mean_target = float(train_target[np.triu_indices(len(parts["train"]), 1)].mean()) / length
    metrics = {
        **asdict(settings),
        "padded_length": length,
        "parameters": int(model.count_params()),
        "epochs_run": len(history),
        "best_epoch": best + 1,
        "train_rmse_pct_sampled": float(history["rmse_pct"].iloc[best]),
        "train_rmse_pct": train_rmse,
        "val_rmse_pct": val_rmse,
        "test_rmse_pct": test_rmse,
        "test_pairs": int(test_target.size),
        "constant_predictor_test_rmse_pct": rmse_percent(
            test_target, np.full_like(test_target, mean_target)
        ),
        "train_seconds": round(seconds, 2),
        "train_pairs_per_second": round(len(history) * pairs_per_epoch / seconds, 1),
    }
    if not math.isfinite(test_rmse):
        raise NeuroseedError(f"training {label}: test %RMSE is not finite")
    log.info(
        "%s: test %%RMSE %.3f (constant predictor %.3f), best epoch %d of %d",
        label,
        test_rmse,
        metrics["constant_predictor_test_rmse_pct"],
        best + 1,
        len(history),
    )
    return model, history, metrics


def load_inputs(
    encoded: str, distances_npy: str, split_json: str
) -> tuple[np.ndarray, int, np.ndarray, dict[str, np.ndarray], int]:
    """Codes, padded length L, edit distances, split parts and alphabet size of one dataset."""
    from neuroseed.artifacts import load_distances, load_encoded
    from neuroseed.io import read_json
    from neuroseed.splits import split_indices

    data = load_encoded(encoded)
    ids = [str(i) for i in data["ids"]]
    codes, length = data["codes"], int(data["padded_length"])
    distances = load_distances(distances_npy, len(ids))
    parts = split_indices(read_json(split_json), ids)
    alphabet = int(data["alphabet_size"]) if "alphabet_size" in data else 4
    return codes, length, np.asarray(distances), parts, alphabet


def run_stage(
    settings: TrainSettings,
    encoded: str,
    distances_npy: str,
    split_json: str,
    model_out: str,
    history_out: str,
    metrics_out: str,
    threads: int = 1,
) -> None:
    """The ``training`` stage: load artifacts, train, save model, history and metrics atomically."""
    from neuroseed.io import atomic_path, write_json

    info = configure_backend(threads, settings.seed)
    codes, length, distances, parts, alphabet = load_inputs(encoded, distances_npy, split_json)
    model, history, metrics = train(
        settings, codes, distances, parts, length, alphabet_size=alphabet
    )
    metrics["input"] = {"width": int(codes.shape[1]), "alphabet_size": alphabet}
    metrics.update(info)
    with atomic_path(model_out, suffix=".keras") as tmp:
        model.save(tmp)
    with atomic_path(history_out) as tmp:
        history.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    write_json(metrics_out, metrics)
