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
from pathlib import Path

from neuroseed import NeuroseedError

# Which rule writes which artifact (by file name), for the message that says how to rebuild it.
RULES = {
    "distances.npy": "compute_edit_distance",
    "encoded.npz": "encode_sequences",
    "sequences.fasta": "prepare_sequences",
    "provenance.json": "prepare_sequences",
    "metrics.json": "train_model",
}
ENCODED_KEYS = ("codes", "lengths", "ids", "padded_length")


def damaged(path: str | os.PathLike, what: str) -> NeuroseedError:
    rule = RULES.get(Path(path).name)
    fix = f" (rule {rule} rebuilds it)" if rule else ""
    return NeuroseedError(f"{path}: damaged ({what}); delete it and run snakemake again{fix}")


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
    base = Path("results") / dataset
    checks = (
        (base / "edit_distance" / "distances.npy", npy_problem),
        (base / "encoding" / "encoded.npz", npz_problem),
    )
    for path, problem in checks:
        if path.is_file() and (what := problem(path)):
            raise damaged(path, what)


def load_distances(path: str | os.PathLike, n: int | None = None):
    """The edit-distance matrix, memory-mapped; checked for size, shape and dtype."""
    import numpy as np

    if not Path(path).is_file():
        raise NeuroseedError(f"{path}: not found (rule compute_edit_distance writes it)")
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
            "and run snakemake again (rule compute_edit_distance rebuilds it)"
        )
    return matrix


def load_encoded(path: str | os.PathLike) -> dict:
    """``encoded.npz`` as a dict of arrays, checked for its keys and consistent shapes."""
    import zlib

    import numpy as np

    if what := npz_problem(path):
        raise damaged(path, what)
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise damaged(path, f"{type(exc).__name__}: {exc}") from None
    codes, ids = arrays["codes"], arrays["ids"]
    if codes.ndim != 2 or len(ids) != len(codes) or len(arrays["lengths"]) != len(codes):
        raise damaged(
            path, f"codes {codes.shape}, {len(ids)} ids, {len(arrays['lengths'])} lengths"
        )
    return arrays
