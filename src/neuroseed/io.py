"""File input/output: FASTA, JSON and atomic writes ; no half-written file survives a crash."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from neuroseed import NeuroseedError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=suffix or "".join(path.suffixes), dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def write_yaml(path: str | os.PathLike, obj: Any) -> None:
    import yaml

    write_text(path, yaml.safe_dump(obj, sort_keys=False))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def read_json(path: str | os.PathLike) -> Any:
    with open(path) as fh:
        return json.load(fh)


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, array)


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def read_fasta(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """Read ``(id, description, sequence)`` records; ids are the first word of the header.

    Raises :class:`NeuroseedError` for a missing or empty file, a file that is not FASTA,
    records without a sequence and duplicate ids.
    """
    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: FASTA file not found")
    records: list[tuple[str, str, str]] = []
    header: str | None = None
    chunks: list[str] = []
    with open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                if header is not None:
                    records.append(_record(path, header, chunks))
                header, chunks = line[1:].strip(), []
                if not header:
                    raise NeuroseedError(f"{path}:{lineno}: FASTA header without an id")
            elif header is None:
                raise NeuroseedError(f"{path}:{lineno}: not FASTA (sequence before the first '>')")
            else:
                chunks.append(line)
    if header is not None:
        records.append(_record(path, header, chunks))
    if not records:
        raise NeuroseedError(f"{path}: FASTA file is empty")
    seen: set[str] = set()
    for rid, _, _ in records:
        if rid in seen:
            raise NeuroseedError(f"{path}: duplicate sequence id '{rid}'")
        seen.add(rid)
    return records


def _record(path: Path, header: str, chunks: list[str]) -> tuple[str, str, str]:
    rid = header.split()[0]
    seq = "".join(chunks)
    if not seq:
        raise NeuroseedError(f"{path}: record '{rid}' has no sequence")
    return rid, header, seq


def write_fasta(path: str | os.PathLike, records: Iterable[tuple[str, str]]) -> None:
    """Write ``(header, sequence)`` pairs, one sequence line per record."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        for header, seq in records:
            fh.write(f">{header}\n{seq}\n")
