"""Siamese training on ED/L targets: fitting (on the pairs :mod:`neuroseed.sampling` draws),
all-pairs evaluation, early stopping, the k-mer baseline's closed-form fit, and the training
stage that writes a run's model, history and metrics."""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import asdict
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import ops

from neuroseed import NeuroseedError, __version__, checkpoint, kept, registry
from neuroseed.artifacts import load_dataset
from neuroseed.io import atomic_path, read_fasta, write_json
from neuroseed.metrics import rmse_percent, upper_triangle, worst_sequence
from neuroseed.model_file import ALPHABETS, Identity, save_model
from neuroseed.models import PositiveScale, build_encoder, build_siamese, scaling, split_siamese
from neuroseed.pool import load as load_pool
from neuroseed.retrieval import ranks_of_truth
from neuroseed.runtime import compile_for_training, configure_backend, embed, pairwise_predictions
from neuroseed.runtime import distances as distances_of
from neuroseed.sampling import EpochPairs, GroupBatches, TrainingPool, training_data
from neuroseed.settings import TrainSettings

log = logging.getLogger(__name__)


def nothing_to_learn(label: str, n: int) -> NeuroseedError:
    return NeuroseedError(
        f"training {label}: the {n} training sequences are all identical (every edit distance "
        "is 0), so there is nothing to learn; check the input sequences and the split"
    )


class GroupModel(keras.Model):
    """Training-only view of a Siamese model's encoder and distance head: a group of
    sequences in, all their pair distances ``(n, n)`` out (shares the Siamese weights)."""

    def __init__(self, encoder, head):
        super().__init__()
        self.encoder, self.head = encoder, head

    def call(self, codes, training=False):
        emb = self.encoder(codes, training=training)
        return self.head(ops.expand_dims(emb, 1), ops.expand_dims(emb, 0))


# ED/L below which the relative loss counts errors as absolute: 2 % of L (a few tens of edits
# on full-length 16S), so pairs at distance ~0 do not dominate.
RELATIVE_FLOOR = 0.02


def pair_loss(kind: str):
    """The training loss over targets ED/L (``training.loss``); targets < 0 are not scored.
    ``mse``: squared error; ``relative``: squared error over ``(ED/L + RELATIVE_FLOOR)^2``."""

    def loss(target, pred):
        keep = ops.cast(target >= 0, pred.dtype)
        err = pred - target
        if kind == "relative":
            err = err / (ops.abs(target) + RELATIVE_FLOOR)
        return ops.sum(keep * ops.square(err)) / ops.maximum(ops.sum(keep), 1.0)

    loss.__name__ = kind
    return loss


def evaluate(encoder, head, codes, distances, idx, length) -> tuple[float, np.ndarray, np.ndarray]:
    """%RMSE over all unordered pairs of ``idx``; returns it with targets and predictions."""
    emb = embed(encoder, codes[idx])
    pred = pairwise_predictions(head, emb)
    target = upper_triangle(distances[np.ix_(idx, idx)]).astype(np.float64) / length
    return rmse_percent(target, pred), target, pred


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
        # the squared error's mean (a metric where the loss is another)
        logs["rmse_pct"] = 100.0 * math.sqrt(logs["mse"] if "mse" in logs else loss)
        logs["val_loss"] = (rmse / 100.0) ** 2
        logs["val_rmse_pct"] = rmse


class Resample(keras.callbacks.Callback):
    """Fresh pairs (or groups) for the next epoch, where ``fit`` reads them through
    :func:`batch_stream` (Keras resamples a PyDataset it reads itself)."""

    def __init__(self, data: EpochPairs | GroupBatches):
        super().__init__()
        self.data = data

    def on_epoch_end(self, epoch, logs=None):
        self.data.on_epoch_end()


def batch_stream(data: EpochPairs | GroupBatches) -> tuple[Any, list]:
    """What ``fit`` reads ``data``'s batches from, and the callbacks that go with it. On
    TensorFlow: a tf.data pipeline that prefetches one batch on one thread, resampled at each
    epoch's end by :class:`Resample`, instead of Keras's wrapper of a PyDataset, whose
    autotuned prefetching threads slowed every other epoch's steps by up to 70 % on 2 cores
    (docs/benchmarks.md). The batches come in the order drawn (pairs and groups are drawn in
    random order). Elsewhere: ``data`` itself."""
    if keras.backend.backend() != "tensorflow":
        return data, []
    import tensorflow as tf

    def batches():  # no side effects: Keras may open an iterator it never reads
        for k in range(len(data)):
            yield data[k]

    spec = keras.tree.map_structure(lambda a: tf.TensorSpec((None, *a.shape[1:]), a.dtype), data[0])
    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    stream = tf.data.Dataset.from_generator(batches, output_signature=spec).prefetch(1)
    return stream.with_options(options), [Resample(data)]


def fit_siamese(
    settings, codes, distances, parts, length, alphabet_size=4, verbose=2, pool=None, store=None
):
    """Gradient training of a Siamese encoder; returns the model, its history and the number
    of training pairs per epoch. With ``pool`` (:class:`TrainingPool`), training pairs are
    drawn from the train part plus the pool, their distances computed on the fly."""
    label = f"{settings.model}+{settings.distance}"
    encoder = build_encoder(
        settings.model,
        codes.shape[1],
        settings.embedding_dim,
        settings.distance,
        settings.hparams,
        alphabet_size,
    )
    scaled = settings.distance == "hyperbolic" and scaling(settings.hparams)
    model = build_siamese(encoder, settings.distance, scaled=scaled)
    data = training_data(settings, codes, distances, parts["train"], length, pool)
    if data.pair_count == 0:
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
    encoder, head = split_siamese(model)
    # Groups train through a view of the same encoder and head (the Siamese model is saved).
    fitted = GroupModel(encoder, head) if settings.groups else model
    if settings.loss == "mse" and not settings.groups:
        losses = {"loss": "mse"}  # NeuroSEED's, as it always was
    else:
        losses = {"loss": pair_loss(settings.loss), "metrics": [pair_loss("mse")]}
    xla = compile_for_training(fitted, settings.model, optimizer=optimizer, **losses)
    state = None if store is None else store.load()
    if state is not None:
        optimizer.build(fitted.trainable_variables)
        if not checkpoint.restore(state, fitted, optimizer):
            state = None
    early = checkpoint.EarlyStopping(
        state,
        monitor="val_loss",
        patience=settings.patience,
        restore_best_weights=True,
        mode="min",
    )
    callbacks = [
        AllPairsValidation(encoder, head, codes, distances, parts["val"], length, label),
        early,
    ]
    log.info(
        "training %s: %d parameters, %d train (+%d pool) / %d val / %d test sequences, "
        "%d pairs per epoch (%s loss%s)",
        label,
        model.count_params(),
        len(parts["train"]),
        0 if pool is None else len(pool.sequences),
        len(parts["val"]),
        len(parts["test"]),
        data.pair_count,
        settings.loss,
        ", steps compiled with XLA" if xla else "",
    )
    if state is None:
        start = model.get_weights()
        start_ranking = ranking(encoder, head, codes, distances, parts)
        base = checkpoint.State(0, [], [], [], None, 0, 0, None, start, start_ranking, 0.0)
    else:
        base, start, start_ranking = state, state.start_weights, state.start_ranking
        data.epoch = state.epoch  # the pairs of the epoch it continues with
        data.resample()
        log.info("training %s: resumed after epoch %d (checkpoint)", label, state.epoch)
    saver = [] if store is None else [checkpoint.Saver(store, early, base)]
    stream, resample = batch_stream(data)
    with warnings.catch_warnings():
        # a stream of unknown length: Keras counts the first epoch's batches and says so
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        hist = fitted.fit(
            stream,
            epochs=settings.epochs,
            initial_epoch=base.epoch,
            callbacks=callbacks + resample + saver,
            verbose=verbose,
            shuffle=not resample,  # a tf.data stream is not shuffled by Keras (it warns)
        )
    history = pd.DataFrame(base.rows if saver else hist.history)
    history.attrs["seconds_before"] = base.seconds
    history.attrs["resumed"] = base.resumed
    history.attrs["xla"] = xla
    trained_ranking = ranking(encoder, head, codes, distances, parts)
    history.attrs["val_ranking"] = {"start": start_ranking, "trained": trained_ranking}
    if (
        start_ranking is not None
        and trained_ranking < start_ranking
        and profile_channels(encoder, head)
    ):
        # the best epoch by validation %RMSE ranks worse than the untrained profile training
        # began from (a random start's scale and ranking mean nothing: never kept)
        model.set_weights(start)
        history.attrs["start_kept"] = True
        scale = fit_start_scale(
            encoder, head, codes, distances, parts["train"], length, settings.seed
        )
        log.info(
            "training %s: validation ranking %.4f after training, %.4f at the start: the "
            "start is kept%s",
            label,
            trained_ranking,
            start_ranking,
            "" if scale is None else f", its distance scaled by {scale:.4g} (least squares)",
        )
    return model, history, data.pair_count


def profile_channels(encoder, head) -> list:
    """The weighted channels of a model that starts as an untrained profile (``PositiveScale``
    layers under a manhattan distance, as kmer_net); empty for any other model."""
    if head.distance != "manhattan":
        return []
    return [layer for layer in encoder.layers if isinstance(layer, PositiveScale)]


def fit_start_scale(encoder, head, codes, distances, train_idx, length, seed) -> float | None:
    """Fit a kept start's distance to the training pairs in closed form, as the k-mer
    baseline's (:func:`fit_kmer`): every channel of a model built of weighted channels
    (``PositiveScale`` layers and the learned ``embedding`` layer, a manhattan distance being
    homogeneous) times the least-squares scale; ``None`` for other models (left as they are)."""
    weighted = profile_channels(encoder, head)
    if not weighted:
        return None
    sample = _fit_sample(train_idx, seed)
    target = upper_triangle(distances[np.ix_(sample, sample)]).astype(np.float64) / length
    d = pairwise_predictions(head, embed(encoder, codes[sample]))
    scale = float(np.dot(d, target) / max(np.dot(d, d), 1e-30))
    if not scale > 0:
        return None
    for layer in weighted:
        layer.log_scale.assign(layer.log_scale + math.log(scale))
    learned = encoder.get_layer("embedding")
    learned.set_weights([w * scale for w in learned.get_weights()])
    return scale


RANKING_NS = (1, 5, 10, 20, 50)  # recall@N of the ranking criterion


def ranking(encoder, head, codes, distances, parts) -> float | None:
    """How well the model ranks: mean recall@N (``RANKING_NS``) of each validation sequence's
    true nearest training sequence (by exact edit distance) among its N nearest by estimate;
    ``None`` when no validation sequence has a unique nearest."""
    val, train = parts["val"], parts["train"]
    if len(val) == 0 or len(train) == 0:
        return None
    est = distances_of(head, embed(encoder, codes[val]), embed(encoder, codes[train]))
    try:
        ranks = ranks_of_truth(est, np.asarray(distances[np.ix_(val, train)]))
    except NeuroseedError:
        return None
    return float(np.mean([(ranks <= n).mean() for n in RANKING_NS]))


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
        settings.hparams["k"],
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
    pool: TrainingPool | None = None,
    store: checkpoint.Store | None = None,
):
    """Fit one encoder/distance pair; returns the Siamese model, the history table and metrics.

    ``length`` is the normaliser L of the targets ED/L; the model's input width is that of
    ``codes`` (wider than L for aligned input). ``pool`` adds training sequences beyond the
    matrix; validation and test stay on the matrix. ``store``: where the run's checkpoint is
    saved and resumed from (:mod:`neuroseed.checkpoint`).
    """
    keras.utils.set_random_seed(settings.seed)  # each run from its own seed, also in one process
    label = f"{settings.model}+{settings.distance}"
    start = time.perf_counter()
    if settings.model in registry.TRAINED:
        model, history, pairs_per_epoch = fit_siamese(
            settings, codes, distances, parts, length, alphabet_size, verbose, pool, store
        )
    else:
        model, history, pairs_per_epoch = fit_kmer(
            settings, codes, distances, parts, length, alphabet_size, verbose
        )
    # with the epochs of the jobs it resumed from
    seconds = time.perf_counter() - start + history.attrs.get("seconds_before", 0.0)
    val_ranking = history.attrs.get("val_ranking", {})
    start_kept = history.attrs.get("start_kept", False)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    best = int(history["val_loss"].idxmin())
    encoder, head = split_siamese(model)

    test_rmse, test_target, test_pred = evaluate(
        encoder, head, codes, distances, parts["test"], length
    )
    worst = (
        worst_sequence(test_target, test_pred, len(parts["test"]))
        if len(parts["test"]) >= 3
        else None
    )
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
        # 0: training ranked the validation part worse than its start, which was kept
        "best_epoch": 0 if start_kept else best + 1,
        "val_ranking_start": val_ranking.get("start"),
        "val_ranking": val_ranking.get("trained"),
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
        "pool_sequences": 0 if pool is None else len(pool.sequences),
        # the test read whose pairs err most (its row in the matrix), its share of the squared
        # error and the %RMSE without it: one read can dominate a test %RMSE
        "test_worst_read": None
        if worst is None
        else {
            "row": int(parts["test"][worst[0]]),
            "share_of_squared_error": worst[1],
            "rmse_pct_without": worst[2],
        },
        # where a checkpoint was resumed: after which epoch, by which library code
        "resumed": history.attrs.get("resumed", []),
        # training steps compiled with XLA (runtime.xla_training): sums in another order
        "xla": history.attrs.get("xla", False),
    }
    if not math.isfinite(test_rmse):
        raise NeuroseedError(f"training {label}: test %RMSE is not finite")
    if worst is not None and worst[1] > 0.5:
        log.warning(
            "%s: one test read (row %d) carries %.0f %% of the test part's squared error; "
            "without it the test %%RMSE is %.3f (benchmarks/worst_read.py tells why)",
            label,
            parts["test"][worst[0]],
            100 * worst[1],
            worst[2],
        )
    log.info(
        "%s: test %%RMSE %.3f (constant predictor %.3f), best epoch %d of %d",
        label,
        test_rmse,
        metrics["constant_predictor_test_rmse_pct"],
        metrics["best_epoch"],
        len(history),
    )
    return model, history, metrics


def run_stage(
    settings: TrainSettings,
    encoded: str,
    distances_npy: str,
    split_json: str,
    split: str,
    model_out: str,
    history_out: str,
    metrics_out: str,
    threads: int,
    pool_npz: str | None = None,
    sequences_fasta: str | None = None,
    keep_previous: bool = True,
) -> None:
    """The ``training`` stage: load artifacts, train, save model (with its identity), history
    and metrics atomically. ``split`` is the split's name (:func:`registry.split_name`).
    ``pool_npz`` (from rule prepare_pool) adds training sequences; the train part's own
    sequences are then read from ``sequences_fasta`` for their edit distances.
    ``keep_previous``: keep the outputs, and restore kept ones of the same inputs and settings
    instead of training again (:mod:`neuroseed.kept`)."""

    outputs = [model_out, history_out, metrics_out]
    inputs = [encoded, distances_npy, split_json, pool_npz, sequences_fasta]
    key = kept.fingerprint([asdict(settings), split], inputs)
    if keep_previous and kept.restore(outputs, key):
        return
    store = checkpoint.Store.beside(
        model_out,
        kept.fingerprint([asdict(settings), split], inputs, code=False),
        kept.code_digest(),
    )
    info = configure_backend(threads, settings.seed)
    data = load_dataset(encoded, distances_npy, split_json)
    pool = None
    if pool_npz:
        codes, sequences = load_pool(pool_npz)
        by_id = {rid: seq for rid, _, seq in read_fasta(sequences_fasta)}
        train_sequences = [by_id[data.ids[i]].upper() for i in data.parts["train"]]
        pool = TrainingPool(codes, sequences, train_sequences, threads)
    model, history, metrics = train(
        settings,
        data.codes,
        data.distances,
        data.parts,
        data.length,
        alphabet_size=data.alphabet_size,
        pool=pool,
        store=store,
    )
    width = int(data.codes.shape[1])
    identity = Identity(
        encoder=settings.model,
        distance=settings.distance,
        seed=settings.seed,
        padded_length=data.length,
        input_width=width,
        alphabet=ALPHABETS[data.alphabet_size],
        embedding_dim=int(split_siamese(model)[0].output_shape[-1]),
        split=split,
        neuroseed_version=__version__,
        keras_backend=keras.backend.backend(),
    )
    if metrics["test_worst_read"] is not None:
        metrics["test_worst_read"]["id"] = str(data.ids[metrics["test_worst_read"]["row"]])
    metrics["split"] = {"name": split, **registry.parse_split(split)}
    metrics["input"] = {"width": width, "alphabet_size": data.alphabet_size}
    metrics.update(info)
    save_model(model, model_out, identity)
    with atomic_path(history_out) as tmp:
        history.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    write_json(metrics_out, metrics)
    store.remove()
    if keep_previous:
        kept.keep(outputs, key)
