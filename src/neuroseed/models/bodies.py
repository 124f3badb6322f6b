"""The encoders' bodies by name: each encoder family's module registers its own with
:func:`body` (``neuroseed.models`` imports every module of the package)."""

from __future__ import annotations

# Encoder name -> body: one-hot ``(batch, L, A)`` -> features, followed by the embedding layer.
# A new encoder is one module in this package holding its body, registered under its name,
# and its settings with their defaults in schema.yaml (encoders.<name>, and the name in
# $defs/encoder).
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
