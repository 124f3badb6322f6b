"""Siamese training on ED/L targets: pair sampling, all-pairs evaluation, early stopping."""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import ops

from neuroseed import NeuroseedError, __version__, checkpoint, kept, registry
from neuroseed import index as ref_index
from neuroseed.artifacts import load_dataset
from neuroseed.io import atomic_path, read_fasta, write_json
from neuroseed.metrics import rmse_percent, upper_triangle, worst_sequence
from neuroseed.model_file import ALPHABETS, Identity, save_model
from neuroseed.models import PositiveScale, build_encoder, build_siamese, scaling, split_siamese
from neuroseed.pool import load as load_pool
from neuroseed.retrieval import ranks_of_truth
from neuroseed.runtime import configure_backend, embed, pairwise_predictions
from neuroseed.runtime import distances as distances_of
from neuroseed.settings import TrainSettings

log = logging.getLogger(__name__)


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


class EpochPairs(keras.utils.PyDataset):
    """Fresh random training pairs each epoch (drawn with the seed and the epoch number), in
    batches of codes with their targets ED/L; subclasses say how pairs and targets are drawn."""

    def __init__(self, codes, length, partners, batch_size, seed):
        super().__init__()
        self.codes, self.length, self.partners = codes, length, partners
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        self.resample()

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(pairs (n, 2) of rows of codes, targets (n,) float32)`` in training order."""
        raise NotImplementedError

    @property
    def pair_count(self) -> int:
        return len(self.pairs)

    def resample(self):
        self.pairs, self.targets = self.draw(np.random.default_rng([self.seed, self.epoch]))

    def __len__(self):
        return math.ceil(len(self.pairs) / self.batch_size)

    def __getitem__(self, k):
        rows = slice(k * self.batch_size, (k + 1) * self.batch_size)
        p = self.pairs[rows]
        return (self.codes[p[:, 0]], self.codes[p[:, 1]]), self.targets[rows]

    def on_epoch_end(self):
        self.epoch += 1
        self.resample()


class PairBatches(EpochPairs):
    """Pairs of the split's train part, their edit distances from the all-pairs matrix."""

    def __init__(self, codes, distances, train_idx, length, partners, batch_size, seed):
        self.distances, self.train_idx = distances, train_idx
        super().__init__(codes, length, partners, batch_size, seed)

    def draw(self, rng):
        pairs = sample_pairs(self.train_idx, self.distances, self.partners, rng)
        targets = self.distances[pairs[:, 0], pairs[:, 1]].astype(np.float32) / self.length
        return pairs, targets


NEAR_NEIGHBOURS = 16  # the near relatives a sequence's near partners are drawn from
NEAR_K = 5  # k of the profile that finds them


def kmer_neighbours(codes: np.ndarray, n_neighbours: int) -> np.ndarray:
    """Each row's ``n_neighbours`` nearest other rows by k-mer profile (manhattan: the closed-
    form ``kmer`` encoder), through the reference index (:mod:`neuroseed.index`)."""
    profile = build_encoder(
        "kmer", codes.shape[1], 1, "manhattan", {"k": NEAR_K, "length_weight": 0}
    )
    counts = embed(profile, codes)
    n = len(counts)
    want = min(n_neighbours + 1, n)
    index = ref_index.build(counts, [""] * n, [""] * n, "manhattan", 1.0, 1, "")
    found, _ = ref_index.search(index, counts, want, candidates=max(100, want))
    out = np.empty((n, want - 1), np.int64)
    for i, row in enumerate(found):
        others = row[row != i]  # itself, or a duplicate of it where identical rows tie
        out[i] = others[: want - 1]
    return out


def near_relatives(codes: np.ndarray, near: float) -> np.ndarray | None:
    """Each row's :data:`NEAR_NEIGHBOURS` nearest rows by k-mer profile when ``near`` > 0
    (None otherwise, or with no other row to choose)."""
    if not near:
        return None
    start = time.perf_counter()
    neighbours = kmer_neighbours(codes, NEAR_NEIGHBOURS)
    log.info(
        "near relatives: %d nearest of each sequence by %d-mer profile (found in %.0f s)",
        neighbours.shape[1],
        NEAR_K,
        time.perf_counter() - start,
    )
    return neighbours if neighbours.shape[1] else None


def exact_distances(sequences: list[str], workers: int):
    """``f(rows_a, rows_b)``: the edit distances of those pairs of ``sequences``, exact, on
    ``workers`` threads (rapidfuzz)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    def pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cpdist(
            [sequences[i] for i in a],
            [sequences[j] for j in b],
            scorer=Levenshtein.distance,
            workers=workers,
        )

    return pairs


class PoolPairs(EpochPairs):
    """Pairs over sequences without a distance matrix (the split's train part plus the
    training pool): each epoch's edit distances are computed exactly, on ``workers`` threads,
    when its pairs are drawn. A share ``near`` of each sequence's partners is drawn among its
    nearest neighbours by k-mer profile (:func:`kmer_neighbours`), the rest at random."""

    def __init__(self, codes, sequences, length, partners, batch_size, seed, workers, near=0.0):
        if len(codes) != len(sequences) or len(codes) < 2:
            raise ValueError(f"{len(codes)} codes for {len(sequences)} sequences")
        self.distance_of = exact_distances(sequences, workers)
        self.neighbours = near_relatives(codes, near)
        self.near_count = int(round(near * partners)) if self.neighbours is not None else 0
        if self.near_count:
            log.info("near partners: %d of %d per sequence", self.near_count, partners)
        super().__init__(codes, length, partners, batch_size, seed)

    def draw(self, rng):
        n = len(self.codes)
        anchors = np.repeat(np.arange(n), self.partners)
        other = rng.integers(0, n - 1, size=anchors.size)
        other += other >= anchors  # never the anchor itself
        if self.near_count:  # each anchor's first near_count partners: near relatives
            near = np.tile(np.arange(self.partners) < self.near_count, n)
            pick = rng.integers(0, self.neighbours.shape[1], size=int(near.sum()))
            other[near] = self.neighbours[anchors[near], pick]
        ed = self.distance_of(anchors, other)
        keep = ed > 0  # identical sequences teach nothing (as with the matrix)
        order = rng.permutation(int(keep.sum()))
        pairs = np.stack([anchors[keep], other[keep]], axis=1)[order]
        return pairs, (ed[keep][order] / self.length).astype(np.float32)


class GroupBatches(keras.utils.PyDataset):
    """Steps over groups of ``size`` sequences with all pairs among them (each sequence is
    embedded once per step, not once per pair): codes ``(size, W)`` and targets ED/L
    ``(size, size)``, ``-1`` where a pair is not scored (a sequence with itself or an identical
    one). Each epoch (seeded by ``seed`` and its number) puts every one of ``members`` (rows of
    ``codes``) in one random group (the last is filled up with others); with ``neighbours``
    (rows' near relatives, rows of ``codes``), a share ``near`` of each group are near
    relatives of its other members.
    ``distance_of(rows_a, rows_b)`` gives the edit distances of pairs of rows."""

    def __init__(self, codes, members, length, size, seed, distance_of, neighbours=None, near=0.0):
        super().__init__()
        if size < 2:
            raise ValueError(f"groups of {size} sequences have no pairs")
        self.codes, self.members, self.length = codes, np.asarray(members), length
        self.distance_of, self.neighbours, self.seed, self.epoch = distance_of, neighbours, seed, 0
        extra = int(round(near * size)) if neighbours is not None else 0
        self.size, self.extra = size, min(extra, size - 1)
        self.resample()

    @property
    def pair_count(self) -> int:
        return sum(int((t >= 0).sum()) // 2 for t in self.targets)

    def resample(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        order = self.members[rng.permutation(len(self.members))]
        first = self.size - self.extra  # the group's drawn members; the rest: their relatives
        groups = []
        for start in range(0, len(order), first):
            g = order[start : start + first]
            if len(g) < first:  # the last: filled up from the first (steps of one shape)
                g = np.concatenate([g, order[: min(first, len(order)) - len(g)]])
            if self.extra:
                anchors = g[np.arange(self.extra) % len(g)]
                pick = rng.integers(0, self.neighbours.shape[1], size=self.extra)
                g = np.concatenate([g, self.neighbours[anchors, pick]])
            if len(g) > 1:
                groups.append(g)
        upper = [np.triu_indices(len(g), 1) for g in groups]
        ed = self.distance_of(
            np.concatenate([g[i] for g, (i, _) in zip(groups, upper, strict=True)]),
            np.concatenate([g[j] for g, (_, j) in zip(groups, upper, strict=True)]),
        )
        self.groups, self.targets, at = groups, [], 0
        for g, (i, j) in zip(groups, upper, strict=True):
            t = np.full((len(g), len(g)), -1.0, np.float32)
            d = ed[at : at + len(i)] / self.length
            at += len(i)
            t[i, j] = t[j, i] = np.where(d > 0, d, -1.0)  # identical sequences: not scored
            self.targets.append(t)

    def __len__(self):
        return len(self.groups)

    def __getitem__(self, k):
        return self.codes[self.groups[k]], self.targets[k]

    def on_epoch_end(self):
        self.epoch += 1
        self.resample()


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
        fitted.compile(optimizer=optimizer, loss="mse")  # NeuroSEED's, as it always was
    else:
        fitted.compile(
            optimizer=optimizer, loss=pair_loss(settings.loss), metrics=[pair_loss("mse")]
        )
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
        "%d pairs per epoch (%s loss)",
        label,
        model.count_params(),
        len(parts["train"]),
        0 if pool is None else len(pool.sequences),
        len(parts["val"]),
        len(parts["test"]),
        data.pair_count,
        settings.loss,
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


def training_data(settings, codes, distances, train_idx, length, pool):
    """Each epoch's training pairs (``training.groups``, ``training.pool``): from the matrix
    over the train part, or over the train part plus the pool with exact distances on the fly."""
    if pool is None:
        if settings.groups:
            return GroupBatches(
                codes,
                train_idx,
                length,
                settings.groups,
                settings.seed,
                lambda a, b: distances[a, b],
            )
        return PairBatches(
            codes,
            distances,
            train_idx,
            length,
            settings.partners,
            settings.batch_size,
            settings.seed,
        )
    codes = np.concatenate([codes[train_idx], pool.codes])
    sequences = pool.train_sequences + pool.sequences
    if settings.groups:
        return GroupBatches(
            codes,
            np.arange(len(codes)),
            length,
            settings.groups,
            settings.seed,
            exact_distances(sequences, pool.workers),
            near_relatives(codes, settings.near_partners),
            settings.near_partners,
        )
    return PoolPairs(
        codes,
        sequences,
        length,
        settings.partners,
        settings.batch_size,
        settings.seed,
        pool.workers,
        settings.near_partners,
    )


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


@dataclass
class TrainingPool:
    """Sequences for training beyond the matrix: the pool's codes and sequences, the train
    part's sequences (same order as its rows) and the threads for the edit distances."""

    codes: np.ndarray
    sequences: list[str]
    train_sequences: list[str]
    workers: int = 1


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
