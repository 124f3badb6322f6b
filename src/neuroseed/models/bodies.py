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
# Bodies whose training steps TensorFlow compiles with XLA on CPUs (runtime.xla_training):
# those it makes faster, measured (benchmarks/throughput.py --xla). Not the CNN (XLA's CPU
# convolutions are slower than oneDNN's, and its table path calls Numba) nor kmer_net (50x
# slower through XLA).
XLA = set()


def body(name: str, on_codes: bool = False, xla: bool = False):
    """Register the decorated function as the body of encoder ``name``; with ``on_codes`` it
    is called as ``fn(codes, hp, embedding_dim, depth)`` (``depth``: the alphabet size) and
    returns the embedding; with ``xla`` its training steps go through XLA on CPUs."""

    def register(fn):
        BODIES[name] = fn
        if on_codes:
            ON_CODES.add(name)
        if xla:
            XLA.add(name)
        return fn

    return register
