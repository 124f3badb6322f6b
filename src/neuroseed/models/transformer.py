"""The ``transformer`` and ``local_transformer`` encoders (the latter attending only to tokens
at most ``window`` away) and their layers."""

from __future__ import annotations

import math

import numpy as np
from keras import layers, ops

from neuroseed.models.bodies import body
from neuroseed.models.layers import serializable, tiny_dense


@serializable
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


@serializable
class SinusoidalPositions(layers.Layer):
    """Adds the fixed sine/cosine position code of "Attention is all you need"."""

    def call(self, x):
        tokens, width = x.shape[1], x.shape[2]
        pos = ops.expand_dims(ops.arange(tokens, dtype="float32"), 1)
        rate = ops.exp(ops.arange(0, width, 2, dtype="float32") * (-math.log(10000.0) / width))
        angles = pos * rate
        code = ops.reshape(ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1), (tokens, -1))
        return x + ops.cast(code[:, :width], x.dtype)


@serializable
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


@serializable
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


@body("transformer", xla=True)
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


@body("local_transformer", xla=True)
def _local_transformer(x, hp):
    return _transformer(x, hp, window=int(hp["window"]))
