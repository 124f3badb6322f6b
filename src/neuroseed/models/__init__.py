"""Keras 3 Siamese encoders. Layers use ``keras.ops`` only, so every backend runs them.

One module per encoder family, each registering its body under the encoder's name
(:func:`body`): ``feedforward`` (linear, mlp), ``cnn``, ``gru``, ``transformer`` (transformer,
local_transformer), ``kmer`` (kmer, kmer_net). Beside them: ``layers`` (the layers the families
share and the Siamese model's), ``fast_cnn`` (the CNN's first block computed on a CPU from a
table, with :mod:`neuroseed.kernels`) and ``bodies`` (the registry). Here: the encoder and
Siamese builders.

The package imports every module in it, so a new encoder is one new module here (its body,
registered with ``@body("name")``, ``xla=True`` where XLA makes its CPU steps faster) and its
name and settings in ``schema.yaml``.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import keras

from neuroseed import registry
from neuroseed.models.bodies import BODIES, ON_CODES, XLA, body
from neuroseed.models.fast_cnn import EmbeddedConv, FirstBlock, window_lookup
from neuroseed.models.kmer import KmerProfile, ResidueCount, SqrtCounts, kmer_baseline
from neuroseed.models.layers import (
    BN_MOMENTUM,
    PACKAGE,
    BatchNorm,
    OneHot,
    PairDistance,
    PositiveScale,
    SphereProjection,
    StackPairs,
    UnstackPairs,
    one_hot,
    serializable,
    tiny_dense,
    torch_default_init,
)
from neuroseed.models.transformer import (
    Segments,
    SelfAttention,
    SinusoidalPositions,
    TransformerBlock,
)
from neuroseed.settings import encoder_hparams

__all__ = [
    "BN_MOMENTUM",
    "BODIES",
    "ON_CODES",
    "XLA",
    "PACKAGE",
    "BatchNorm",
    "EmbeddedConv",
    "FirstBlock",
    "KmerProfile",
    "OneHot",
    "PairDistance",
    "PositiveScale",
    "ResidueCount",
    "Segments",
    "SelfAttention",
    "SinusoidalPositions",
    "SphereProjection",
    "SqrtCounts",
    "StackPairs",
    "TransformerBlock",
    "UnstackPairs",
    "body",
    "build_encoder",
    "build_siamese",
    "one_hot",
    "scaling",
    "serializable",
    "split_siamese",
    "tiny_dense",
    "torch_default_init",
    "window_lookup",
]

# Every module of the package, the encoder families' among them: their bodies register
# themselves as they are imported, so a new module needs no line here.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


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
        emb = kmer_baseline(codes, hp)
    if distance == "hyperbolic" and scaling(hp):
        emb = SphereProjection(name="sphere")(emb)
    return keras.Model(codes, emb, name=f"{name}_encoder")


def scaling(hp: dict[str, Any]) -> bool:
    """NeuroSEED's ``--scaling`` for the hyperbolic distance: the sphere of learnable radius
    and the learnable distance scale (the k-mer encoders, without the setting, always)."""
    return "scaling" not in hp or bool(hp["scaling"])


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
