"""The ``cnn`` encoder: NeuroSEED's convolutional network (its first block computed by
:class:`neuroseed.models.fast_cnn.FirstBlock`)."""

from __future__ import annotations

from keras import layers

from neuroseed.models.bodies import body
from neuroseed.models.fast_cnn import FirstBlock
from neuroseed.models.layers import BN_MOMENTUM, BatchNorm, tiny_dense, torch_default_init


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
