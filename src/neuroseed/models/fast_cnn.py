"""The CNN's first block on a CPU: the position-wise dense layer and the first convolution as
one convolution (:class:`EmbeddedConv`), and the block from the integer codes through a table
of every window's output (:class:`FirstBlock`, with the kernels of :mod:`neuroseed.kernels`)."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from neuroseed.models.layers import (
    BN_MOMENTUM,
    BatchNorm,
    one_hot,
    serializable,
    torch_default_init,
)


@serializable
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


@serializable
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
        self.supports_jit = not self.uses_table()  # XLA cannot compile the kernels' calls

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
