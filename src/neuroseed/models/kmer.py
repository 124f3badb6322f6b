"""The k-mer encoders: ``kmer``, the closed-form baseline (the k-mer profile and the weighted
length, no weights to train), and ``kmer_net``, the profile and the length each with a learned
weight beside a learned embedding of the profile."""

from __future__ import annotations

import keras
from keras import layers, ops

from neuroseed.encoding import GAP
from neuroseed.models.bodies import body
from neuroseed.models.layers import PositiveScale, serializable


@serializable
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


@serializable
class ResidueCount(layers.Layer):
    """Codes ``(batch, L)`` -> ``(batch, 1)``: the sequence's length in residues (padding and
    alignment gaps not counted, ambiguity codes counted)."""

    def call(self, codes):
        codes = ops.cast(codes, "int32")
        residue = (codes >= 0) & (codes != GAP)
        return ops.sum(ops.cast(residue, "float32"), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


@serializable
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


def kmer_baseline(codes, hp):
    """The ``kmer`` encoder's embedding: the k-mer profile and, weighted, the length."""
    emb = KmerProfile(int(hp["k"]), name="kmer_profile")(codes)
    if float(hp["length_weight"]) > 0:
        length = ResidueCount(name="length")(codes)
        weighted = layers.Rescaling(float(hp["length_weight"]), name="length_weight")(length)
        emb = layers.Concatenate(name="channels")([emb, weighted])
    return emb
