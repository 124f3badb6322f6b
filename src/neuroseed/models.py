"""Keras 3 Siamese encoders. Layers use ``keras.ops`` only, so every backend runs them."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from neuroseed import geometry, registry
from neuroseed.encoding import GAP
from neuroseed.settings import encoder_hparams

PACKAGE = "neuroseed"
# PyTorch's default (0.1 there): Keras's 0.99 leaves inference statistics stale for the few
# hundred steps these models train, and validation error then looks far worse than it is.
BN_MOMENTUM = 0.9


def one_hot(codes, depth: int, dtype: str = "float32"):
    """Codes ``(batch, L)`` -> ``(batch, L, depth)``; other codes (padding, N) -> zero rows."""
    hot = ops.expand_dims(ops.cast(codes, "int32"), -1) == ops.arange(depth, dtype="int32")
    return ops.cast(hot, dtype)


@keras.saving.register_keras_serializable(package=PACKAGE)
class OneHot(layers.Layer):
    """Codes ``(batch, L)`` -> ``(batch, L, depth)``; other codes (padding, N) -> zero rows."""

    def __init__(self, depth: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, codes):
        return one_hot(codes, self.depth, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.depth)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SphereProjection(layers.Layer):
    """L2-normalise onto a sphere of one learnable radius r, kept inside the unit ball.

    NeuroSEED's stabiliser for hyperbolic embeddings: r starts at 0.01 and is clamped to
    [1e-7, 1 - 1e-3], so no point ever reaches the boundary where distances blow up.
    """

    def __init__(self, initial_radius: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.initial_radius = initial_radius

    def build(self, input_shape):
        self.radius = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial_radius), name="radius"
        )

    def call(self, x):
        r = ops.clip(self.radius, 1e-7, 1.0 - 1e-3)
        return r * x / ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True) + 1e-12)

    def get_config(self):
        return {**super().get_config(), "initial_radius": self.initial_radius}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PairDistance(layers.Layer):
    """Distance between two embeddings, optionally times one learnable scale (init 1)."""

    def __init__(self, distance: str, learn_scale: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.distance = distance
        self.learn_scale = learn_scale
        self._fn = geometry.get(distance)

    def build(self, input_shape):
        if self.learn_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, u, v):
        d = self._fn(u, v)
        return d * self.scale if self.learn_scale else d

    def compute_output_shape(self, u_shape, v_shape=None):
        return tuple(u_shape[:-1])

    def get_config(self):
        return {**super().get_config(), "distance": self.distance, "learn_scale": self.learn_scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class BatchNorm(layers.BatchNormalization):
    """Keras's batch normalisation (same weights, statistics and moving averages), computed on
    the TensorFlow backend by its fused kernel: forward and gradient in one pass each instead
    of a dozen memory-bound passes (about half the time on 2 CPU cores; docs/benchmarks.md,
    "Where a CNN training step spends its time"); other backends compute Keras's own formula."""

    def call(self, inputs, training=None, mask=None):
        last = self.axis in (-1, len(inputs.shape) - 1)
        if keras.backend.backend() != "tensorflow" or mask is not None or not last:
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        shape = tf.shape(inputs)
        channels = inputs.shape[-1]
        # the kernel wants NHWC: every position of every sequence is one "pixel"
        x = tf.reshape(tf.cast(inputs, "float32"), [shape[0], 1, -1, channels])
        kwargs = {"epsilon": self.epsilon, "data_format": "NHWC"}
        gamma = self.gamma if self.scale else tf.ones([channels])
        beta = self.beta if self.center else tf.zeros([channels])
        if training and self.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, is_training=True, **kwargs
            )
            # the kernel returns the unbiased batch variance; Keras averages the biased one
            n = tf.cast(tf.size(x) // channels, "float32")
            self.update_moving(mean, variance * (n - 1.0) / tf.maximum(n, 2.0))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x,
                gamma,
                beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                is_training=False,
                **kwargs,
            )
        return tf.cast(tf.reshape(y, shape), self.compute_dtype)

    def update_moving(self, mean, variance) -> None:
        """Keras's moving averages, from a batch's mean and biased variance."""
        m = self.momentum
        self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
        self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))


def tiny_dense(units: int, fan_in: int, seed: int | None = None, **kwargs) -> layers.Dense:
    """Dense layer with NeuroSEED's tiny initial weights (Xavier uniform with gain 1/fan_in),
    so early embeddings sit near the origin."""
    limit = (1.0 / fan_in) * math.sqrt(6.0 / (fan_in + units))
    return layers.Dense(
        units,
        kernel_initializer=keras.initializers.RandomUniform(-limit, limit, seed=seed),
        **kwargs,
    )


@keras.saving.register_keras_serializable(package=PACKAGE)
class Segments(layers.Layer):
    """``(batch, L, A)`` -> ``(batch, ceil(L/s), s*A)``: tokens of ``s`` consecutive positions,
    the last one zero-padded (padding one-hots to zeros anyway)."""

    def __init__(self, size: int, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def call(self, x):
        length, depth = x.shape[1], x.shape[2]
        extra = -length % self.size
        if extra:
            x = ops.pad(x, [[0, 0], [0, extra], [0, 0]])
        return ops.reshape(x, (-1, (length + extra) // self.size, self.size * depth))

    def compute_output_shape(self, input_shape):
        batch, length, depth = input_shape
        return (batch, -(-length // self.size), self.size * depth)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SinusoidalPositions(layers.Layer):
    """Adds the fixed sine/cosine position code of "Attention is all you need"."""

    def call(self, x):
        tokens, width = x.shape[1], x.shape[2]
        pos = ops.expand_dims(ops.arange(tokens, dtype="float32"), 1)
        rate = ops.exp(ops.arange(0, width, 2, dtype="float32") * (-math.log(10000.0) / width))
        angles = pos * rate
        code = ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (tokens, -1))
        return x + ops.cast(code[:, :width], x.dtype)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SelfAttention(layers.Layer):
    """Multi-head self-attention. With ``window`` >= 0 each token attends only to the tokens at
    most ``window`` away, computed on the band alone (O(T * window), not O(T^2))."""

    def __init__(self, heads: int, key_dim: int, window: int = -1, dropout: float = 0.0, **kw):
        super().__init__(**kw)
        self.heads, self.key_dim, self.window, self.dropout = heads, key_dim, window, dropout
        self.qkv = layers.Dense(3 * heads * key_dim, name="qkv")
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape):
        self.qkv.build(input_shape)
        self.proj = layers.Dense(input_shape[-1], name="proj")
        self.proj.build((*input_shape[:-1], self.heads * self.key_dim))

    def call(self, x, training=None):
        tokens = x.shape[1]
        qkv = ops.reshape(self.qkv(x), (-1, tokens, 3, self.heads, self.key_dim))
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # (batch, tokens, heads, key_dim)
        q = q / math.sqrt(self.key_dim)
        if self.window < 0:
            weights = ops.softmax(ops.einsum("bthd,bshd->bhts", q, k), axis=-1)
            out = ops.einsum("bhts,bshd->bthd", self.drop(weights, training=training), v)
        else:
            w = self.window
            pad = [[0, 0], [w, w], [0, 0], [0, 0]]
            k, v = ops.pad(k, pad), ops.pad(v, pad)
            offsets = range(2 * w + 1)  # neighbour t + o - w
            scores = ops.stack([ops.sum(q * k[:, o : o + tokens], axis=-1) for o in offsets], -1)
            pos = np.arange(tokens)[:, None] + np.arange(2 * w + 1)[None, :] - w
            inside = ops.convert_to_tensor(((pos >= 0) & (pos < tokens))[None, :, None, :])
            scores = ops.where(inside, scores, ops.cast(-1e9, scores.dtype))
            weights = self.drop(ops.softmax(scores, axis=-1), training=training)
            out = sum(weights[..., o, None] * v[:, o : o + tokens] for o in offsets)
        return self.proj(ops.reshape(out, (-1, tokens, self.heads * self.key_dim)))

    def get_config(self):
        return {
            **super().get_config(),
            "heads": self.heads,
            "key_dim": self.key_dim,
            "window": self.window,
            "dropout": self.dropout,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransformerBlock(layers.Layer):
    """Post-norm self-attention block (attention, then a ReLU feed-forward, each with a residual
    and layer norm). ``window`` >= 0 restricts attention to tokens at most ``window`` away."""

    def __init__(self, width, heads, feed_forward, dropout=0.0, window=-1, **kwargs):
        super().__init__(**kwargs)
        self.width, self.heads, self.feed_forward = width, heads, feed_forward
        self.dropout, self.window = dropout, window
        self.attention = SelfAttention(
            heads, max(1, width // heads), window, dropout, name="attention"
        )
        self.hidden = layers.Dense(feed_forward, activation="relu", name="ff_hidden")
        self.out = layers.Dense(width, name="ff_out")
        self.norm1 = layers.LayerNormalization(epsilon=1e-5, name="norm1")
        self.norm2 = layers.LayerNormalization(epsilon=1e-5, name="norm2")
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape):
        self.attention.build(input_shape)
        self.norm1.build(input_shape)
        self.hidden.build(input_shape)
        self.out.build((*input_shape[:-1], self.feed_forward))
        self.norm2.build(input_shape)

    def call(self, x, training=None):
        attended = self.attention(x, training=training)
        x = self.norm1(x + self.drop(attended, training=training))
        ff = self.out(self.drop(self.hidden(x), training=training))
        return self.norm2(x + self.drop(ff, training=training))

    def get_config(self):
        return {
            **super().get_config(),
            "width": self.width,
            "heads": self.heads,
            "feed_forward": self.feed_forward,
            "dropout": self.dropout,
            "window": self.window,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class KmerProfile(layers.Layer):
    """Codes ``(batch, L)`` -> k-mer counts ``(batch, 4**k)`` (raw counts, as in NeuroSEED, so
    length differences show); k-mers holding padding, gaps or ambiguity codes are not counted."""

    def __init__(self, k: int, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, codes):
        codes = ops.cast(codes, "int32")
        windows = codes.shape[1] - self.k + 1
        index = ops.zeros_like(codes[:, :windows])
        valid = ops.ones_like(index, dtype="bool")
        for j in range(self.k):
            c = codes[:, j : j + windows]
            ok = (c >= 0) & (c < 4)
            index = index * 4 + ops.where(ok, c, 0)
            valid = valid & ok
        bins = 4**self.k
        # Invalid windows land in one extra bin, dropped below.
        counts = ops.bincount(ops.where(valid, index, bins), minlength=bins + 1)
        return ops.cast(counts[:, :bins], "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 4**self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


# Encoder name -> body: one-hot ``(batch, L, A)`` -> features, followed by the embedding layer.
# A new encoder is one body here, registered under its name, and its settings with their
# defaults in schema.yaml (encoders.<name>, and the name in $defs/encoder).
BODIES = {}
# Bodies that take the integer codes and the embedding width and return the embedding itself.
ON_CODES = set()


def body(name: str, on_codes: bool = False):
    """Register the decorated function as the body of encoder ``name``; with ``on_codes`` it
    is called as ``fn(codes, hp, embedding_dim, depth)`` (``depth``: the alphabet size) and
    returns the embedding."""

    def register(fn):
        BODIES[name] = fn
        if on_codes:
            ON_CODES.add(name)
        return fn

    return register


@body("linear")
def _linear(x, hp):
    x = layers.Flatten()(x)
    if hp["dropout"]:
        x = layers.Dropout(float(hp["dropout"]))(x)
    return x


@body("mlp")
def _mlp(x, hp):
    x = layers.Flatten()(x)
    units = int(hp["hidden_units"])
    for k in range(int(hp["layers"])):
        x = tiny_dense(units, x.shape[-1], activation="relu", name=f"hidden{k}")(x)
        if hp["batch_norm"]:
            x = BatchNorm(momentum=BN_MOMENTUM)(x)
        if hp["dropout"]:
            x = layers.Dropout(float(hp["dropout"]))(x)
    return x


def torch_default_init() -> keras.initializers.Initializer:
    """PyTorch's default for dense and convolution kernels, U(±1/sqrt(fan_in)): smaller than
    Keras's Glorot, so ahead of batch norm the same Adam rate moves the weights further."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform")


@keras.saving.register_keras_serializable(package=PACKAGE)
class EmbeddedConv(layers.Layer):
    """NeuroSEED's position-wise dense layer (one-hot -> ``units`` channels) followed by a
    same-padded convolution, computed as one convolution over the one-hot input.

    Both are linear, so the convolution of the dense output equals a convolution of the one-hot
    input with the composed kernel, plus the dense bias carried through the taps that fall
    inside the sequence: the same function of the same four weights (and the same gradients),
    with ``depth / units`` of the multiply-adds (1/8 for 4 symbols and 32 channels).
    """

    def __init__(self, units: int, kernel_size: int, **kwargs):
        super().__init__(**kwargs)
        self.units, self.kernel_size = units, kernel_size

    def build(self, input_shape):
        depth, units = input_shape[-1], self.units
        init = torch_default_init
        self.dense_kernel = self.add_weight((depth, units), init(), name="dense_kernel")
        self.dense_bias = self.add_weight((units,), "zeros", name="dense_bias")
        self.conv_kernel = self.add_weight((self.kernel_size, units, units), init(), name="kernel")
        self.conv_bias = self.add_weight((units,), "zeros", name="bias")

    def composed(self):
        """The composed kernel ``(k, depth, units)`` and the dense bias through each tap
        ``(k, units)``."""
        return (
            ops.einsum("dc,kce->kde", self.dense_kernel, self.conv_kernel),
            ops.einsum("c,kce->ke", self.dense_bias, self.conv_kernel),
        )

    def call(self, x):
        kernel, taps = self.composed()
        y = ops.conv(x, kernel, padding="same")
        # the dense bias at each position, through the taps whose input lies inside the sequence
        inside = ops.ones((1, x.shape[1], 1), dtype=x.dtype)
        return y + ops.conv(inside, ops.expand_dims(taps, 1), padding="same") + self.conv_bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package=PACKAGE)
class FirstBlock(EmbeddedConv):
    """The CNN's first block, from integer codes: NeuroSEED's one-hot input, position-wise
    dense layer and first convolution (:class:`EmbeddedConv`'s weights), batch norm, ReLU,
    average pooling (``pool``; none where the sequence is shorter than two windows) and, with
    ``next_conv``, the second convolution (``next_kernel``, no bias).

    The first convolution's output at a position depends only on the ``kernel_size`` codes in
    its window, each one of ``depth`` symbols, another code (a zero one-hot row) or outside the
    sequence: a table of at most ``(depth + 2) ** kernel_size`` rows. On TensorFlow on a CPU
    the block computes that table, its batch statistics from how often each row occurs,
    normalises and rectifies it, multiplies it by each tap of the second convolution where
    that keeps it small, and gathers, pools and sums rows per position (:mod:`neuroseed.kernels`):
    the same function and gradients as the layers one by one, without their full-length
    activations and passes over them (docs/benchmarks.md). On other backends, on GPUs, or
    where the table would be too large, it runs the layers one by one.
    """

    def __init__(
        self,
        units: int,
        kernel_size: int,
        depth: int = 4,
        pool: int = 2,
        next_conv: bool = False,
        **kwargs,
    ):
        super().__init__(units, kernel_size, **kwargs)
        self.depth, self.pool, self.next_conv = depth, pool, next_conv
        self.norm = BatchNorm(momentum=BN_MOMENTUM, name="norm")

    def build(self, input_shape):
        super().build((*input_shape, self.depth))
        self.norm.build((*input_shape, self.units))
        if self.next_conv:
            shape = (self.kernel_size, self.units, self.units)
            self.next_kernel = self.add_weight(shape, torch_default_init(), name="next_kernel")

    def pooling(self, length: int) -> int:
        return self.pool if length >= 2 * self.pool else 1

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] // self.pooling(input_shape[1]), self.units)

    def rows(self) -> int:
        return (self.depth + 2) ** self.kernel_size

    def uses_table(self) -> bool:
        """TensorFlow on a CPU, with a table whose gradient fits the kernels' bound."""
        from neuroseed import kernels  # here, not above: Numba only where it is used

        if keras.backend.backend() != "tensorflow" or self.rows() * self.units > kernels.MAX_TABLE:
            return False
        import tensorflow as tf

        return not tf.config.list_logical_devices("GPU")

    def call(self, codes, training=None):
        from neuroseed import kernels  # here, not above: Numba only where it is used

        pool = self.pooling(codes.shape[1])
        if not self.uses_table():
            x = super().call(one_hot(codes, self.depth, self.compute_dtype))
            x = ops.relu(self.norm(x, training=training))
            x = ops.average_pool(x, pool, pool, "valid") if pool > 1 else x
        else:
            index, table = self.rectified_table(codes, training)
            k = self.kernel_size
            if self.next_conv and k * self.rows() * self.units <= kernels.MAX_FOLDED:
                taps = ops.einsum("rc,kce->kre", table, self.next_kernel)
                return window_lookup(taps, index, pool, (k - 1) // 2)
            x = window_lookup(ops.expand_dims(table, 0), index, pool, 0)
        return ops.conv(x, self.next_kernel, padding="same") if self.next_conv else x

    def rectified_table(self, codes, training):
        """Each position's table row ``(B, L)`` and the table after batch norm and ReLU."""
        import tensorflow as tf

        k, depth, length = self.kernel_size, self.depth, codes.shape[1]
        base = depth + 2  # a symbol, another code (zero one-hot row), outside the sequence
        # each position's row: its window's codes as digits in base `base` ("same" padding
        # as TensorFlow's: the extra tap of an even kernel on the right)
        digit = tf.cast(codes, "int32")
        digit = tf.where((digit >= 0) & (digit < depth), digit, depth)
        left = (k - 1) // 2
        digit = tf.pad(digit, [[0, 0], [left, k - 1 - left]], constant_values=depth + 1)
        index = digit[:, :length]
        for t in range(1, k):
            index = index * base + digit[:, t : t + length]
        # each tap's contribution per digit: the composed kernel plus the dense bias for a
        # symbol, the dense bias alone for another code, nothing outside
        taps, through = self.composed()
        through = ops.expand_dims(through, 1)
        per_tap = ops.concatenate([taps + through, through, ops.zeros_like(through)], axis=1)
        digits = np.indices((base,) * k).reshape(k, -1)  # digit t of each row
        table = self.conv_bias + sum(ops.take(per_tap[t], digits[t], axis=0) for t in range(k))
        norm = self.norm
        if training and norm.trainable:
            rows = self.rows()
            flat = tf.reshape(index, [-1])
            counts = tf.cast(tf.math.bincount(flat, minlength=rows, maxlength=rows), table.dtype)
            n = tf.reduce_sum(counts)
            mean = tf.linalg.matvec(table, counts, transpose_a=True) / n
            variance = tf.linalg.matvec(tf.square(table - mean), counts, transpose_a=True) / n
            norm.update_moving(mean, variance)
        else:
            mean, variance = norm.moving_mean, norm.moving_variance
        scale = norm.gamma * tf.math.rsqrt(variance + norm.epsilon)
        return index, tf.nn.relu((table - mean) * scale + norm.beta)

    def get_config(self):
        return {
            **super().get_config(),
            "depth": self.depth,
            "pool": self.pool,
            "next_conv": self.next_conv,
        }


def window_lookup(tables, index, pool: int, left: int):
    """:func:`neuroseed.kernels.window_gather` as a TensorFlow op (CPU), with its gradient."""
    import tensorflow as tf

    from neuroseed import kernels  # here, not above: Numba only where it is used

    taps, rows = tables.shape[0], tables.shape[1]

    @tf.custom_gradient
    def lookup(tables):
        out = tf.numpy_function(
            lambda t, i: kernels.window_gather(t, i, pool, left),
            [tables, index],
            tf.float32,
            False,
        )
        out.set_shape([index.shape[0], index.shape[1] // pool, tables.shape[2]])

        def grad(upstream):
            g = tf.numpy_function(
                lambda u, i: kernels.window_scatter(u, i, pool, left, taps, rows),
                [upstream, index],
                tf.float32,
                False,
            )
            g.set_shape(tables.shape)
            return g

        return out, grad

    return lookup(tables)


@body("cnn", on_codes=True)
def _cnn(codes, hp, embedding_dim, depth):
    channels, pool, width = int(hp["channels"]), int(hp["pool_size"]), int(hp["kernel_size"])
    n_layers = int(hp["layers"])
    # convolutions after the first have no bias: the batch norm right after subtracts it. The
    # same function, without a parameter whose gradient is rounding noise and costs ~15% of
    # a CPU step to reduce
    x = FirstBlock(channels, width, depth, pool, next_conv=n_layers > 1, name="block0")(codes)
    for k in range(1, n_layers):
        if k > 1:
            x = layers.Conv1D(
                channels,
                width,
                padding="same",
                use_bias=False,
                kernel_initializer=torch_default_init(),
                name=f"conv{k}",
            )(x)
        x = BatchNorm(momentum=BN_MOMENTUM)(x)
        x = layers.Activation("relu")(x)
        if x.shape[1] >= 2 * pool:
            x = layers.AveragePooling1D(pool)(x)
    x = layers.Flatten()(x)
    return tiny_dense(embedding_dim, x.shape[-1], name="embedding")(x)


@body("gru")
def _gru(x, hp):
    return layers.GRU(int(hp["hidden_units"]), name="gru")(x)


@body("transformer")
def _transformer(x, hp, window=-1):
    width = int(hp["hidden_units"])
    x = Segments(int(hp["segment_size"]), name="segments")(x)
    x = layers.Dense(width, name="token_dense")(x)
    x = layers.Rescaling(math.sqrt(width))(x)
    x = SinusoidalPositions(name="positions")(x)
    for k in range(int(hp["layers"])):
        x = TransformerBlock(
            width,
            int(hp["heads"]),
            int(hp["feed_forward"]),
            float(hp["dropout"]),
            window,
            name=f"block{k}",
        )(x)
    x = layers.Dense(width, name="token_out")(x)
    x = layers.Flatten()(x)
    for k in range(int(hp["readout_layers"]) - 1):
        x = tiny_dense(
            int(hp["readout_units"]), x.shape[-1], activation="relu", name=f"readout{k}"
        )(x)
    return x


@body("local_transformer")
def _local_transformer(x, hp):
    return _transformer(x, hp, window=int(hp["window"]))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidueCount(layers.Layer):
    """Codes ``(batch, L)`` -> ``(batch, 1)``: the sequence's length in residues (padding and
    alignment gaps not counted, ambiguity codes counted)."""

    def call(self, codes):
        codes = ops.cast(codes, "int32")
        residue = (codes >= 0) & (codes != GAP)
        return ops.sum(ops.cast(residue, "float32"), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PositiveScale(layers.Layer):
    """``x * exp(w)`` with one learnable ``w`` starting at ``log(initial)``: a weight that
    stays positive, so a channel can shrink but never flip or vanish in one step."""

    def __init__(self, initial: float, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.log_scale = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(self.initial)),
            name="log_scale",
        )

    def call(self, x):
        return x * ops.exp(self.log_scale)

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


@keras.saving.register_keras_serializable(package=PACKAGE)
class SqrtCounts(layers.Layer):
    """``sqrt(counts) / 6``: the root tames the counts of repeated k-mers; the factor puts
    typical inputs near 0.2, where the default initialisers trained well (measured)."""

    def call(self, counts):
        return ops.sqrt(counts) / 6.0


@body("kmer_net", on_codes=True)
def _kmer_net(codes, hp, embedding_dim, depth):
    """The k-mer profile and the length, each with a learned weight, beside a learned MLP
    embedding of the profile. With the manhattan distance the model starts close to the
    untrained ``counts L1 + length_weight * |length difference|``, scaled to ED/L (one
    differing base changes about 2k counts): the MLP channel starts at ~0."""
    k = int(hp["k"])
    width = codes.shape[1]
    counts = KmerProfile(k, name="kmer_profile")(codes)
    per_edit = 1.0 / (2 * k * width)
    channels = [
        PositiveScale(per_edit, name="profile_weight")(counts),
        PositiveScale(per_edit * float(hp["length_weight"]), name="length_weight")(
            ResidueCount(name="length")(codes)
        ),
    ]
    x = SqrtCounts(name="sqrt_counts")(counts)
    for j in range(int(hp["layers"])):
        x = layers.Dense(int(hp["hidden_units"]), activation="relu", name=f"hidden{j}")(x)
    # a start that adds (almost) nothing: the model begins as the untrained profile + length
    # distance (the channel adds ~0.1 edit to an estimate). Not exactly zero: a manhattan
    # distance of identical (zero) vectors has no gradient, while a tiny one learns as fast
    # (the gradient of |u - v| is its sign, whatever the scale)
    init = keras.initializers.RandomNormal(stddev=1e-6)
    channels.append(layers.Dense(embedding_dim, kernel_initializer=init, name="embedding")(x))
    return layers.Concatenate(name="channels")(channels)


def build_encoder(
    name: str,
    length: int,
    embedding_dim: int,
    distance: str,
    hparams: dict[str, Any] | None = None,
    alphabet_size: int = 4,
) -> keras.Model:
    """Encoder from integer codes ``(batch, length)`` to embeddings ``(batch, embedding_dim)``;
    ``alphabet_size`` is 4 for raw sequences and 5 for aligned ones (gap symbol).

    ``kmer`` has no weights to train: its embedding is the k-mer count vector (4**k wide,
    ``embedding_dim`` is ignored) and the length times ``length_weight``; with the hyperbolic
    distance it is put on a sphere inside the ball whose radius
    :func:`neuroseed.training.fit_kmer` chooses.
    """
    if name not in registry.ENCODERS:
        raise ValueError(f"unknown encoder '{name}' (choose from {registry.ENCODERS})")
    # settings not given are the schema's defaults, as in the workflow
    hp = {**encoder_hparams(name, distance), **(hparams or {})}
    codes = keras.Input(shape=(length,), dtype="int8", name="codes")
    if name in ON_CODES:
        emb = BODIES[name](codes, hp, embedding_dim, alphabet_size)
    elif name in registry.TRAINED:
        x = BODIES[name](OneHot(alphabet_size, name="one_hot")(codes), hp)
        emb = tiny_dense(embedding_dim, x.shape[-1], name="embedding")(x)
    else:  # kmer: the closed-form baseline, the profile and (weighted) the length
        emb = KmerProfile(int(hp["k"]), name="kmer_profile")(codes)
        if float(hp["length_weight"]) > 0:
            length = ResidueCount(name="length")(codes)
            weighted = layers.Rescaling(float(hp["length_weight"]), name="length_weight")(length)
            emb = layers.Concatenate(name="channels")([emb, weighted])
    if distance == "hyperbolic" and scaling(hp):
        emb = SphereProjection(name="sphere")(emb)
    return keras.Model(codes, emb, name=f"{name}_encoder")


def scaling(hp: dict[str, Any]) -> bool:
    """NeuroSEED's ``--scaling`` for the hyperbolic distance: the sphere of learnable radius
    and the learnable distance scale (the k-mer encoders, without the setting, always)."""
    return "scaling" not in hp or bool(hp["scaling"])


@keras.saving.register_keras_serializable(package=PACKAGE)
class StackPairs(layers.Layer):
    """``[a, b]`` -> one batch ``a`` then ``b``, so both sides of every pair pass the encoder
    together and batch norm sees one batch of 2B sequences, as in NeuroSEED."""

    def call(self, inputs):
        return ops.concatenate(inputs, axis=0)

    def compute_output_shape(self, input_shapes):
        return (None, *input_shapes[0][1:])


@keras.saving.register_keras_serializable(package=PACKAGE)
class UnstackPairs(layers.Layer):
    """The inverse of :class:`StackPairs`: the first and second half of the batch."""

    def call(self, x):
        half = ops.shape(x)[0] // 2
        return x[:half], x[half:]

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:]), (None, *input_shape[1:])


def build_siamese(encoder: keras.Model, distance: str, scaled: bool | None = None) -> keras.Model:
    """Two inputs through one shared encoder, then their distance, times a scale when
    ``scaled`` (default: for hyperbolic, as in NeuroSEED)."""
    length = encoder.input_shape[1]
    a = keras.Input(shape=(length,), dtype="int8", name="a")
    b = keras.Input(shape=(length,), dtype="int8", name="b")
    scaled = distance == "hyperbolic" if scaled is None else scaled
    head = PairDistance(distance, learn_scale=scaled, name="distance")
    u, v = UnstackPairs(name="unstack")(encoder(StackPairs(name="stack")([a, b])))
    return keras.Model([a, b], head(u, v), name="siamese")


def split_siamese(model: keras.Model) -> tuple[keras.Model, PairDistance]:
    """The shared encoder and the distance head of a (loaded) Siamese model."""
    encoder = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    return encoder, model.get_layer("distance")
