"""Keras 3 Siamese encoders. Layers use ``keras.ops`` only, so every backend runs them."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers, ops

from neuroseed import geometry

ENCODERS = ("linear", "mlp", "cnn")
PACKAGE = "neuroseed"
# PyTorch's default (0.1 there): Keras's 0.99 leaves inference statistics stale for the few
# hundred steps these models train, and validation error then looks far worse than it is.
BN_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package=PACKAGE)
class OneHot(layers.Layer):
    """Codes ``(batch, L)`` -> ``(batch, L, depth)``; other codes (padding, N) -> zero rows."""

    def __init__(self, depth: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, codes):
        codes = ops.cast(codes, "int32")
        hot = ops.expand_dims(codes, -1) == ops.arange(self.depth, dtype="int32")
        return ops.cast(hot, self.compute_dtype)

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


def tiny_dense(units: int, fan_in: int, seed: int | None = None, **kwargs) -> layers.Dense:
    """Dense layer with NeuroSEED's tiny initial weights (Xavier uniform with gain 1/fan_in),
    so early embeddings sit near the origin."""
    limit = (1.0 / fan_in) * math.sqrt(6.0 / (fan_in + units))
    return layers.Dense(
        units,
        kernel_initializer=keras.initializers.RandomUniform(-limit, limit, seed=seed),
        **kwargs,
    )


def build_encoder(
    name: str,
    length: int,
    embedding_dim: int,
    distance: str,
    hparams: dict[str, Any] | None = None,
    alphabet_size: int = 4,
) -> keras.Model:
    """Encoder from integer codes ``(batch, length)`` to embeddings ``(batch, embedding_dim)``;
    ``alphabet_size`` is 4 for raw sequences and 5 for aligned ones (gap symbol)."""
    hp = dict(hparams or {})
    codes = keras.Input(shape=(length,), dtype="int8", name="codes")
    x = OneHot(alphabet_size, name="one_hot")(codes)
    if name == "linear":
        x = layers.Flatten()(x)
        fan_in = length * alphabet_size
    elif name == "mlp":
        x = layers.Flatten()(x)
        fan_in = length * alphabet_size
        for k in range(int(hp.get("layers", 2))):
            x = tiny_dense(
                int(hp.get("hidden_units", 256)), fan_in, activation="relu", name=f"hidden{k}"
            )(x)
            if hp.get("batch_norm", True):
                x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
            if hp.get("dropout", 0.0):
                x = layers.Dropout(float(hp["dropout"]))(x)
            fan_in = int(hp.get("hidden_units", 256))
    elif name == "cnn":
        channels = int(hp.get("channels", 32))
        x = layers.Dense(channels, name="position_dense")(x)
        width = length
        for k in range(int(hp.get("layers", 4))):
            x = layers.Conv1D(
                channels, int(hp.get("kernel_size", 3)), padding="same", name=f"conv{k}"
            )(x)
            x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
            x = layers.Activation("relu")(x)
            if width >= 2 * int(hp.get("pool_size", 2)):
                x = layers.AveragePooling1D(int(hp.get("pool_size", 2)))(x)
                width //= int(hp.get("pool_size", 2))
        x = layers.Flatten()(x)
        fan_in = width * channels
    else:
        raise ValueError(f"unknown encoder '{name}' (choose from {ENCODERS})")
    emb = tiny_dense(embedding_dim, fan_in, name="embedding")(x)
    if distance == "hyperbolic":
        emb = SphereProjection(name="sphere")(emb)
    return keras.Model(codes, emb, name=f"{name}_encoder")


def build_siamese(encoder: keras.Model, distance: str) -> keras.Model:
    """Two inputs through one shared encoder, then their (scaled, for hyperbolic) distance."""
    length = encoder.input_shape[1]
    a = keras.Input(shape=(length,), dtype="int8", name="a")
    b = keras.Input(shape=(length,), dtype="int8", name="b")
    head = PairDistance(distance, learn_scale=distance == "hyperbolic", name="distance")
    return keras.Model([a, b], head(encoder(a), encoder(b)), name="siamese")


def split_siamese(model: keras.Model) -> tuple[keras.Model, PairDistance]:
    """The shared encoder and the distance head of a (loaded) Siamese model."""
    encoder = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    return encoder, model.get_layer("distance")
