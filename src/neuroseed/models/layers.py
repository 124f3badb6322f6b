"""Layers every encoder family may use: the one-hot input, batch norm, NeuroSEED's
initialisers, the positive channel weight, and the Siamese model's pair layers and distance head.

Every layer a model file holds is registered for Keras saving with :func:`serializable`."""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from neuroseed import geometry

PACKAGE = "neuroseed"
# PyTorch's default (0.1 there): Keras's 0.99 leaves inference statistics stale for the few
# hundred steps these models train, and validation error then looks far worse than it is.
BN_MOMENTUM = 0.9


def serializable(cls):
    """Register a layer for Keras saving as ``neuroseed>Name`` (a model file finds its layers
    by that name). Its module reads ``neuroseed.models``, the package that exports it,
    whichever of the package's modules defines it: a model file records the module beside
    the name, and so reads as those written when the package was one module."""
    cls.__module__ = __package__
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def one_hot(codes, depth: int, dtype: str = "float32"):
    """Codes ``(batch, L)`` -> ``(batch, L, depth)``; other codes (padding, N) -> zero rows."""
    hot = ops.expand_dims(ops.cast(codes, "int32"), -1) == ops.arange(depth, dtype="int32")
    return ops.cast(hot, dtype)


@serializable
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


@serializable
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


@serializable
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


@serializable
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


def torch_default_init() -> keras.initializers.Initializer:
    """PyTorch's default for dense and convolution kernels, U(±1/sqrt(fan_in)): smaller than
    Keras's Glorot, so ahead of batch norm the same Adam rate moves the weights further."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform")


@serializable
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


@serializable
class StackPairs(layers.Layer):
    """``[a, b]`` -> one batch ``a`` then ``b``, so both sides of every pair pass the encoder
    together and batch norm sees one batch of 2B sequences, as in NeuroSEED."""

    def call(self, inputs):
        return ops.concatenate(inputs, axis=0)

    def compute_output_shape(self, input_shapes):
        return (None, *input_shapes[0][1:])


@serializable
class UnstackPairs(layers.Layer):
    """The inverse of :class:`StackPairs`: the first and second half of the batch."""

    def call(self, x):
        half = ops.shape(x)[0] // 2
        return x[:half], x[half:]

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:]), (None, *input_shape[1:])
