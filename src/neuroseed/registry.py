"""The names the workflow knows: encoders, distances, split methods, data sources, and the
format of split names.

Pure Python (PyYAML only), so the Snakefile imports it without Keras. The lists themselves are
written once, as ``$defs`` in ``schema.yaml`` (which validates every config against them); this
module reads them from there, and the tests check that each name has its implementation
(``models.BODIES``, ``geometry.FUNCTIONS``, ``splits.METHODS``, ``sources``).
"""

from __future__ import annotations

import re

from neuroseed.config import load_schema


def _names(definition: str) -> tuple[str, ...]:
    return tuple(load_schema()["$defs"][definition]["enum"])


ENCODERS = _names("encoder")
# Trained by gradient descent; the others (kmer) are fitted in closed form.
TRAINED = _names("trained_encoder")
DISTANCES = _names("distance")
SPLIT_METHODS = _names("split_method")
SOURCES = _names("source")
# The parts of every split.
PARTS = ("train", "val", "test")
# A split read from the user's file (split.file) rather than computed.
SPLIT_FILE = "file"

_SPLIT = re.compile(rf"(?P<method>{'|'.join(SPLIT_METHODS)})(?:-d(?P<depth>\d+))?-s(?P<seed>\d+)")


def alternatives(names) -> str:
    """A regular expression matching exactly one of ``names`` (Snakemake wildcard constraints)."""
    return "|".join(re.escape(n) for n in names)


def split_name(method: str, depth: int, seed: int) -> str:
    """Split names carry their parameters: ``random-s1``, ``distance-d4-s0``, ``tree-d8-s2``."""
    if method == SPLIT_FILE:
        return SPLIT_FILE
    if method not in SPLIT_METHODS:
        raise ValueError(f"unknown split method '{method}' (choose from {SPLIT_METHODS})")
    return f"random-s{seed}" if method == "random" else f"{method}-d{depth}-s{seed}"


def parse_split(name: str) -> dict:
    """The inverse of :func:`split_name`: ``{"method", "depth", "seed"}``."""
    if name == SPLIT_FILE:
        return {"method": SPLIT_FILE, "depth": 0, "seed": 0}
    m = _SPLIT.fullmatch(name)
    if m is None or (m["method"] == "random") != (m["depth"] is None):
        raise ValueError(f"'{name}' is not a split name (e.g. random-s1, tree-d4-s0, file)")
    return {"method": m["method"], "depth": int(m["depth"] or 0), "seed": int(m["seed"])}


# The wildcard constraint of {split}: every name split_name makes.
_WITH_DEPTH = alternatives(m for m in SPLIT_METHODS if m != "random")
SPLIT_PATTERN = rf"{SPLIT_FILE}|random-s\d+|({_WITH_DEPTH})-d\d+-s\d+"
