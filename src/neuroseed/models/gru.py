"""The ``gru`` encoder: one GRU layer over the one-hot input, its last state."""

from __future__ import annotations

from keras import layers

from neuroseed.models.bodies import body


@body("gru", xla=True)
def _gru(x, hp):
    return layers.GRU(int(hp["hidden_units"]), name="gru")(x)
