"""Loading the workflow's artifacts, checked: a damaged file is named with the rule that
rebuilds it, never read as if it were whole.

The header checks are pure Python (no numpy), so ``rules/common.smk`` runs them while Snakemake
builds the job graph: a truncated matrix stops the run before any job deletes good outputs.
"""

from __future__ import annotations

import ast
import os
import struct
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroseed import NeuroseedError, paths, registry
from neuroseed.io import damaged, read_json

ENCODED_KEYS = ("codes", "lengths", "ids", "padded_length")


def npy_problem(path: str | os.PathLike) -> str | None:
    """What is wrong with an ``.npy`` file's header or size, or None if it looks whole."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
            if magic[:6] != b"\x93NUMPY":
                return "not a numpy .npy file"
            size_fmt = "<H" if magic[6] == 1 else "<I"
            (header_len,) = struct.unpack(size_fmt, fh.read(struct.calcsize(size_fmt)))
            header = ast.literal_eval(fh.read(header_len).decode("latin1"))
            start = fh.tell()
    except (OSError, struct.error, ValueError, SyntaxError, IndexError) as exc:
        return f"unreadable header: {exc}"
    try:
        itemsize = int(header["descr"][2:])  # '<u2' -> 2
        count = 1
        for dim in header["shape"]:
            count *= int(dim)
    except (KeyError, TypeError, ValueError):
        return f"unexpected header {header!r}"
    expected, actual = start + count * itemsize, path.stat().st_size
    if actual != expected:
        return f"{actual:,} bytes where its header {tuple(header['shape'])} needs {expected:,}"
    return None


def npz_problem(path: str | os.PathLike, keys=ENCODED_KEYS) -> str | None:
    """What is wrong with an ``.npz`` archive's directory, or None (contents are not read)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.removesuffix(".npy") for n in zf.namelist()}
    except (OSError, zipfile.BadZipFile) as exc:
        return f"not a readable .npz archive: {exc}"
    missing = [k for k in keys if k not in names]
    return f"no array {', '.join(missing)}" if missing else None


def check_dataset_artifacts(dataset: str) -> None:
    """Raise for a damaged matrix or encoding of ``results/<dataset>/`` (cheap header checks)."""
    checks = (
        (paths.artifact("distances", dataset), npy_problem),
        (paths.artifact("encoded", dataset), npz_problem),
    )
    for path, problem in checks:
        if Path(path).is_file() and (what := problem(path)):
            raise damaged(path, what)


def load_distances(path: str | os.PathLike, n: int | None = None):
    """The edit-distance matrix, memory-mapped; checked for size, shape and dtype."""
    import numpy as np

    if not Path(path).is_file():
        raise NeuroseedError(
            f"{path}: not found (rule compute_edit_distance or merge_edit_distance writes it)"
        )
    if what := npy_problem(path):
        raise damaged(path, what)
    matrix = np.load(path, mmap_mode="r")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise damaged(path, f"shape {matrix.shape} is not a square matrix")
    if matrix.dtype.kind != "u":
        raise damaged(path, f"dtype {matrix.dtype} is not an unsigned integer")
    if n is not None and matrix.shape[0] != n:
        raise NeuroseedError(
            f"{path}: matrix of {matrix.shape[0]} sequences, but the dataset has {n}; delete it "
            "and run snakemake again (rule compute_edit_distance or merge_edit_distance "
            "rebuilds it)"
        )
    return matrix


def load_npz(path: str | os.PathLike, keys=ENCODED_KEYS) -> dict:
    """An ``.npz`` artifact as a dict of arrays; a damaged one, or one without ``keys``, is
    refused by name (with the rule that rebuilds it)."""
    import zlib

    import numpy as np

    if what := npz_problem(path, keys):
        raise damaged(path, what)
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise damaged(path, f"{type(exc).__name__}: {exc}") from None


def load_encoded(path: str | os.PathLike) -> dict:
    """``encoded.npz`` as a dict of arrays, checked for its keys and consistent shapes."""
    arrays = load_npz(path)
    codes, ids = arrays["codes"], arrays["ids"]
    if codes.ndim != 2 or len(ids) != len(codes) or len(arrays["lengths"]) != len(codes):
        raise damaged(
            path, f"codes {codes.shape}, {len(ids)} ids, {len(arrays['lengths'])} lengths"
        )
    return arrays


@dataclass
class Dataset:
    """A dataset's encoded sequences and edit distances, with a split's parts when given."""

    ids: list[str]
    codes: Any  # (n, width) int8
    length: int  # the normaliser L of the targets ED/L
    alphabet_size: int  # 4 for raw sequences, 5 for aligned ones (gap symbol)
    distances: Any  # (n, n) unsigned, memory-mapped
    parts: dict[str, Any] = field(default_factory=dict)  # part -> row indices


def validate_split(
    split: dict[str, list[str]],
    ids: Sequence[str],
    source: str = "split",
    dropped: dict[str, str] | None = None,
    note: str = "",
    error: Callable[[str], NeuroseedError] | None = None,
) -> None:
    """Every id known, no id in two parts or twice in one, every part with at least 2 ids;
    ``dropped`` and ``note`` explain an unknown id. ``error(what)`` makes the exception
    (default: ``what`` after ``source``)."""
    fail = error or (lambda what: NeuroseedError(f"{source}: {what}"))
    known = set(ids)
    seen: dict[str, str] = {}
    for part in registry.PARTS:
        members = split.get(part, [])
        if len(members) < 2:
            raise fail(f"part '{part}' has {len(members)} ids (need at least 2)")
        for i in members:
            if i not in known:
                if dropped and i in dropped:
                    raise fail(
                        f"id '{i}' in '{part}' was removed by the sequence filters "
                        f"({dropped[i]}); change the filter or leave the id out of the split"
                    )
                raise fail(f"id '{i}' in '{part}' is not among the {len(known)} sequences{note}")
            if i in seen:
                raise fail(f"id '{i}' is in both '{seen[i]}' and '{part}'")
            seen[i] = part


def split_indices(split: dict[str, list[str]], ids, source: str | None = None) -> dict[str, Any]:
    """Row indices (into the sequence order) of each part of a split, checked as they are
    loaded (:func:`validate_split`; a split artifact ``source`` edited or damaged since it was
    written is refused by name)."""
    import numpy as np

    def bad(what: str) -> NeuroseedError:
        return damaged(source, what) if source else NeuroseedError(f"split: {what}")

    for p in registry.PARTS:
        if not isinstance(split.get(p) if isinstance(split, dict) else None, list):
            raise bad(f"no list of ids '{p}'")
    validate_split(split, ids, error=bad)
    pos = {i: k for k, i in enumerate(ids)}
    return {p: np.array([pos[i] for i in split[p]], dtype=np.int64) for p in registry.PARTS}


def load_dataset(encoded: str, distances_npy: str, split_json: str | None = None) -> Dataset:
    """``encoded.npz``, ``distances.npy`` and (optionally) a split, each checked, and
    checked against each other."""
    data = load_encoded(encoded)
    ids = [str(i) for i in data["ids"]]
    return Dataset(
        ids=ids,
        codes=data["codes"],
        length=int(data["padded_length"]),
        alphabet_size=int(data["alphabet_size"]) if "alphabet_size" in data else 4,
        distances=load_distances(distances_npy, len(ids)),
        parts=split_indices(read_json(split_json), ids, split_json) if split_json else {},
    )


def load_prepared(dataset: str, split: str, root: str | os.PathLike = paths.RESULTS) -> Dataset:
    """The encoding, matrix and split ``split`` the workflow made for ``dataset`` (under
    ``root``), each checked."""
    return load_dataset(
        paths.artifact("encoded", dataset, root=root),
        paths.artifact("distances", dataset, root=root),
        paths.artifact("split", dataset, root=root, split=split),
    )
