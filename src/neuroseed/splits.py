"""Train/validation/test splits of sequence ids."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError

PARTS = ("train", "val", "test")


def random_split(
    ids: Sequence[str], val_fraction: float, test_fraction: float, seed: int
) -> dict[str, list[str]]:
    """Shuffle with ``seed`` and cut into train/val/test (ids kept in permutation order).

    With 2,000 ids, fractions 0.1/0.2 and seed 1 this is exactly the gg2000 benchmark split.
    """
    n = len(ids)
    n_val, n_test = round(n * val_fraction), round(n * test_fraction)
    n_train = n - n_val - n_test
    if min(n_train, n_val, n_test) < 2:
        raise NeuroseedError(
            f"split: {n} sequences with val_fraction {val_fraction} and test_fraction "
            f"{test_fraction} leave a part with fewer than 2 sequences"
        )
    perm = np.random.default_rng(seed).permutation(n)
    cuts = {
        "train": perm[:n_train],
        "val": perm[n_train : n_train + n_val],
        "test": perm[n_train + n_val :],
    }
    return {part: [ids[i] for i in cuts[part]] for part in PARTS}


def read_split_file(path: str | Path, ids: Sequence[str]) -> dict[str, list[str]]:
    """Read a split given by the user: JSON ``{"train": [...], "val": [...], "test": [...]}`` or a
    two-column TSV ``id<TAB>part``. Ids not named stay unused."""
    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: split file not found")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise NeuroseedError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
        if not isinstance(data, dict) or not all(isinstance(data.get(p), list) for p in PARTS):
            raise NeuroseedError(f"{path}: expected an object with lists 'train', 'val' and 'test'")
        split = {p: [str(x) for x in data[p]] for p in PARTS}
    else:
        split = {p: [] for p in PARTS}
        with open(path, newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
                if not row or row[0].startswith("#") or (lineno == 1 and row[:2] == ["id", "part"]):
                    continue
                if len(row) != 2 or row[1] not in PARTS:
                    raise NeuroseedError(
                        f"{path}:{lineno}: expected 'id<TAB>part' with part in {PARTS}, got {row!r}"
                    )
                split[row[1]].append(row[0])
    validate_split(split, ids, source=str(path))
    return split


def validate_split(split: dict[str, list[str]], ids: Sequence[str], source: str = "split") -> None:
    """Every id known, no id in two parts or twice in one, every part with at least 2 ids."""
    known = set(ids)
    seen: dict[str, str] = {}
    for part in PARTS:
        members = split.get(part, [])
        if len(members) < 2:
            raise NeuroseedError(
                f"{source}: part '{part}' has {len(members)} ids (need at least 2)"
            )
        for i in members:
            if i not in known:
                raise NeuroseedError(f"{source}: id '{i}' in '{part}' is not among the sequences")
            if i in seen:
                raise NeuroseedError(f"{source}: id '{i}' is in both '{seen[i]}' and '{part}'")
            seen[i] = part


def split_indices(split: dict[str, list[str]], ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Row indices (into the sequence order) of each part."""
    pos = {i: k for k, i in enumerate(ids)}
    return {p: np.array([pos[i] for i in split[p]], dtype=np.int64) for p in PARTS}


def make_split(options: dict, fasta: str, out_json: str) -> None:
    """The ``splits`` stage: a random split (or the user's split file) as JSON."""
    import logging

    from neuroseed.io import read_fasta, write_json

    ids = [r for r, _, _ in read_fasta(fasta)]
    if options.get("file"):
        split = read_split_file(options["file"], ids)
        params = {"method": "file", "file": str(options["file"])}
    else:
        split = random_split(
            ids, options["val_fraction"], options["test_fraction"], options["seed"]
        )
        validate_split(split, ids)
        params = {
            "method": "random",
            "val_fraction": options["val_fraction"],
            "test_fraction": options["test_fraction"],
            "seed": options["seed"],
        }
    logging.getLogger(__name__).info(
        "split %s: %s", params["method"], ", ".join(f"{p} {len(split[p])}" for p in PARTS)
    )
    write_json(out_json, {**split, "params": params})
