"""Feed-forward encoders: ``linear`` (the flattened one-hot input, one dense layer) and
``mlp`` (hidden ReLU layers before it)."""

from __future__ import annotations

from keras import layers

from neuroseed.models.bodies import body
from neuroseed.models.layers import BN_MOMENTUM, BatchNorm, tiny_dense


@body("linear", xla=True)
def _linear(x, hp):
    x = layers.Flatten()(x)
    if hp["dropout"]:
        x = layers.Dropout(float(hp["dropout"]))(x)
    return x


@body("mlp", xla=True)
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
