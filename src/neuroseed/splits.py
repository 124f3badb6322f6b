"""Train/validation/test splits of sequence ids."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.artifacts import load_dataset, load_distances, split_indices, validate_split
from neuroseed.io import atomic_path, loads_json, read_fasta, read_json, write_json
from neuroseed.registry import PARTS
from neuroseed.trees import check_leaves, parents, postorder, read_tree
from neuroseed.verify import Stop, verify


def random_split(
    ids: Sequence[str], val_fraction: float, test_fraction: float, seed: int
) -> dict[str, list[str]]:
    """Shuffle with ``seed`` and cut into train/val/test (ids kept in permutation order).

    With 2,000 ids, fractions 0.1/0.2 and seed 1 this is exactly the gg2000 benchmark split.
    """
    n = len(ids)
    n_val, n_test = _part_sizes(n, val_fraction, test_fraction)
    n_train = n - n_val - n_test
    perm = np.random.default_rng(seed).permutation(n)
    cuts = {
        "train": perm[:n_train],
        "val": perm[n_train : n_train + n_val],
        "test": perm[n_train + n_val :],
    }
    return {part: [ids[i] for i in cuts[part]] for part in PARTS}


def read_split_file(
    path: str | Path,
    ids: Sequence[str],
    dropped: dict[str, str] | None = None,
    note: str = "",
) -> dict[str, list[str]]:
    """Read a split given by the user: JSON ``{"train": [...], "val": [...], "test": [...]}`` or a
    two-column TSV ``id<TAB>part``. Ids not named stay unused; ``dropped`` (id -> why the
    sequence filters removed it) and ``note`` explain an id that is not among the sequences."""
    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: split file not found")
    if path.suffix.lower() == ".json":  # split.JSON from a desktop tool is JSON too
        try:
            text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not JSON
            data = loads_json(text, object_pairs_hook=_unique_keys(path))
        except json.JSONDecodeError as exc:
            raise NeuroseedError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
        except ValueError as exc:  # nested too deeply, or not UTF-8
            raise NeuroseedError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(data.get(p), list) for p in PARTS):
            raise NeuroseedError(f"{path}: expected an object with lists 'train', 'val' and 'test'")
        for part in PARTS:
            for k, x in enumerate(data[part]):
                # numeric ids (Greengenes') may come as integers; ["s0"], null or 1.0 would
                # become ids that name nothing ("['s0']", 'None', '1.0')
                if not isinstance(x, str) and (isinstance(x, bool) or not isinstance(x, int)):
                    raise NeuroseedError(
                        f"{path}: item {k} of '{part}' is {json.dumps(x)[:40]}, not an id; "
                        'give ids as strings, e.g. "s0"'
                    )
        split = {p: [str(x) for x in data[p]] for p in PARTS}
    else:
        split = {p: [] for p in PARTS}
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for lineno, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
                if not row or (lineno == 1 and row[:2] == ["id", "part"]):
                    continue
                # a comment only if it is not a row: an id may start with '#'
                if row[0].startswith("#") and not (len(row) == 2 and row[1] in PARTS):
                    continue
                if len(row) != 2 or row[1] not in PARTS:
                    raise NeuroseedError(
                        f"{path}:{lineno}: expected 'id<TAB>part' with part in {PARTS}, got {row!r}"
                    )
                split[row[1]].append(row[0])
    validate_split(split, ids, source=str(path), dropped=dropped, note=note)
    unnamed = len(set(ids)) - sum(len(v) for v in split.values())
    if unnamed:
        logging.getLogger(__name__).warning(
            "%s names %d of the %d sequences; the other %d are in no part (unused)",
            path,
            len(ids) - unnamed,
            len(ids),
            unnamed,
        )
    return split


def _unique_keys(path: Path):
    """A JSON object hook that refuses a key given twice (json keeps the last silently)."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise NeuroseedError(
                    f"{path}: key {key!r} given twice (the first one's ids would be lost); "
                    "give each part once"
                )
            out[key] = value
        return out

    return hook


def _part_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    n_val, n_test = round(n * val_fraction), round(n * test_fraction)
    if min(n - n_val - n_test, n_val, n_test) < 2:
        raise NeuroseedError(
            f"split: {n} sequences with val_fraction {val_fraction} and test_fraction "
            f"{test_fraction} leave a part with fewer than 2 sequences"
        )
    return n_val, n_test


def _withhold(
    ids: Sequence[str],
    group_of: Callable[[int, np.ndarray], np.ndarray],
    val_fraction: float,
    test_fraction: float,
    seed: int,
    depth: int = 0,
) -> tuple[dict[str, list[str]], dict[str, list[list[str]]]]:
    """Fill test, then validation, with whole groups around random unassigned seeds.

    ``group_of(seed_index, unassigned_mask)`` returns the indices withheld together (the seed
    included, all unassigned). A part stops at its target size, overshooting by less than one
    group; train is what remains.
    """
    n = len(ids)
    n_val, n_test = _part_sizes(n, val_fraction, test_fraction)
    rng = np.random.default_rng(seed)
    unassigned = np.ones(n, dtype=bool)
    split: dict[str, list[str]] = {}
    groups: dict[str, list[list[str]]] = {}
    for part, target in (("test", n_test), ("val", n_val)):
        members: list[int] = []
        groups[part] = []
        while len(members) < target:
            candidates = np.flatnonzero(unassigned)
            if len(candidates) <= 2:
                raise NeuroseedError(
                    f"split: groups of about {2**depth} sequences (split.depth {depth}) leave "
                    f"none of the {n} sequences to withhold for '{part}'; lower split.depth"
                )
            group = group_of(int(rng.choice(candidates)), unassigned)
            unassigned[group] = False
            members.extend(int(g) for g in group)
            groups[part].append([ids[g] for g in group])
        split[part] = [ids[m] for m in members]
    split = {"train": [ids[i] for i in np.flatnonzero(unassigned)], **split}
    if len(split["train"]) < 2:
        raise NeuroseedError(
            f"split: withholding whole groups of about {2**depth} sequences (split.depth {depth}) "
            f"left fewer than 2 of the {n} sequences for training; lower split.depth"
        )
    return {p: split[p] for p in PARTS}, groups


def distance_split(
    ids: Sequence[str],
    distances: np.ndarray,
    depth: int,
    val_fraction: float,
    test_fraction: float,
    seed: int,
) -> tuple[dict[str, list[str]], dict[str, list[list[str]]]]:
    """Withhold clusters of 2**depth sequences: a random seed and its nearest unassigned
    relatives by exact edit distance (ties by position). Depth 0 is a random split."""
    size = 2**depth

    def group_of(s: int, unassigned: np.ndarray) -> np.ndarray:
        free = np.flatnonzero(unassigned)
        free = free[free != s]
        nearest = free[np.argsort(distances[s, free], kind="stable")[: size - 1]]
        return np.concatenate([[s], nearest]).astype(np.int64)

    return _withhold(ids, group_of, val_fraction, test_fraction, seed, depth)


def tree_split(
    ids: Sequence[str],
    tree,
    depth: int,
    val_fraction: float,
    test_fraction: float,
    seed: int,
) -> tuple[dict[str, list[str]], dict[str, list[list[str]]]]:
    """Withhold whole clades of about 2**depth leaves: from a random unassigned leaf, climb to
    the clade whose unassigned leaf count is nearest 2**depth (in ratio) and withhold all of
    them. Earlier withheld clades nested inside stay whole. Depth 0 is a random split."""
    check_leaves(tree, ids, source="split.tree")
    pos = {name: k for k, name in enumerate(ids)}
    leaves_of: dict[int, np.ndarray] = {}  # by id(clade)
    leaf_clade = {}
    for clade in postorder(tree):
        if clade.clades:
            leaves_of[id(clade)] = np.concatenate([leaves_of[id(c)] for c in clade.clades])
        else:
            leaves_of[id(clade)] = np.array([pos[clade.name]], dtype=np.int64)
            leaf_clade[pos[clade.name]] = clade
    parent = parents(tree)
    size = 2**depth

    def group_of(s: int, unassigned: np.ndarray) -> np.ndarray:
        clade, below = leaf_clade[s], None
        while True:
            count = int(unassigned[leaves_of[id(clade)]].sum())
            if count >= size or id(clade) not in parent:
                break
            below, clade = (clade, count), parent[id(clade)]
        if below is not None and size * size < below[1] * count:  # below is nearer in ratio
            clade = below[0]
        members = np.sort(leaves_of[id(clade)])  # dataset order: not the tree file's order
        return members[unassigned[members]]

    return _withhold(ids, group_of, val_fraction, test_fraction, seed, depth)


def leakage(split: dict[str, list[str]], ids: Sequence[str], distances: np.ndarray, length: int):
    """For every test sequence: its nearest training sequence and their ED and ED/L."""
    import pandas as pd

    idx = split_indices(split, ids)
    sub = distances[np.ix_(idx["test"], idx["train"])]
    nearest = sub.argmin(axis=1)
    ed = sub[np.arange(len(nearest)), nearest].astype(np.int64)
    return pd.DataFrame(
        {
            "id": split["test"],
            "nearest_train_id": [split["train"][k] for k in nearest],
            "edit_distance": ed,
            "normalised_distance": ed / length,
        }
    )


def make_split(
    options: dict,
    fasta: str,
    out_json: str,
    distances_npy: str | None = None,
    tree_path: str | None = None,
    split_file: str | None = None,
    provenance: str | None = None,
) -> None:
    """The ``splits`` stage: a random, distance-based or tree-based split, or the user's
    ``split_file`` (``provenance`` of the sequences tells which ids the filters dropped)."""
    import logging

    ids = [r for r, _, _ in read_fasta(fasta)]
    method = options["method"]
    groups = None
    fractions = (options["val_fraction"], options["test_fraction"], options["seed"])
    if method == "file":
        dropped, note = None, ""
        if provenance:
            prov = read_json(provenance)
            dropped = prov["cleaning"].get("dropped", {})
            if prov["drawn"] < prov["records_in_source"]:
                note = (
                    f" (source.n_sequences drew {prov['drawn']} of {prov['records_in_source']} "
                    "records; null keeps all)"
                )
        split = read_split_file(split_file, ids, dropped, note)
        params = {"method": "file", "file": str(split_file)}
    elif method == "random":
        split = random_split(ids, *fractions)
        params = {"method": "random"}
    elif method == "distance":
        distances = load_distances(distances_npy, len(ids))
        split, groups = distance_split(ids, distances, options["depth"], *fractions)
        params = {"method": "distance", "depth": options["depth"]}
    elif method == "tree":
        split, groups = tree_split(ids, read_tree(tree_path), options["depth"], *fractions)
        params = {"method": "tree", "depth": options["depth"], "tree": str(tree_path)}
    else:
        raise NeuroseedError(f"split.method: unknown method '{method}'")
    if method != "file":
        params.update(
            val_fraction=options["val_fraction"],
            test_fraction=options["test_fraction"],
            seed=options["seed"],
        )
    validate_split(split, ids)
    logging.getLogger(__name__).info(
        "split %s: %s%s",
        params,
        ", ".join(f"{p} {len(split[p])}" for p in PARTS),
        ""
        if groups is None
        else f"; {len(groups['test'])} test and {len(groups['val'])} val groups",
    )
    out = {**split, "params": params}
    if groups is not None:
        out["groups"] = groups
    write_json(out_json, out)


def pool_leakage(table, split: dict[str, list[str]], fasta: str, pool_npz: str, threads: int):
    """``table`` (:func:`leakage`) with each test sequence's nearest training-pool sequence
    (exact edit distance, by exhaustive search) and which of the two is nearer: what a model
    trained on the train part plus the pool has seen closest to each test sequence."""
    by_id = {rid: seq.upper() for rid, _, seq in read_fasta(fasta)}
    with np.load(pool_npz) as pool:
        pool_ids = [str(i) for i in pool["ids"]]
        pool_seqs = [s.decode() for s in pool["sequences"]]
    queries = [by_id[i] for i in split["test"]]
    lengths = np.array([len(s) for s in pool_seqs])
    order = [np.argsort(np.abs(lengths - len(q)), kind="stable") for q in queries]
    zeros = [np.zeros(len(pool_seqs))] * len(queries)
    answers = verify(queries, pool_seqs, order, zeros, 1, Stop(), threads)
    table["nearest_pool_id"] = [pool_ids[a.refs[0]] for a in answers]
    table["pool_edit_distance"] = [int(a.exact[0]) for a in answers]
    in_pool = table["pool_edit_distance"] < table["edit_distance"]
    table["nearest_in"] = np.where(in_pool, "pool", "train")
    table["nearest_seen_edit_distance"] = np.minimum(
        table["edit_distance"], table["pool_edit_distance"]
    )
    return table


def report_leakage(
    split_json: str,
    encoded_npz: str,
    distances_npy: str,
    out_tsv: str,
    out_json: str,
    pool_npz: str | None = None,
    fasta: str | None = None,
    threads: int = 1,
) -> None:
    """The leakage report of a split: nearest-train distances of the test set, with quantiles;
    with a training pool (``pool_npz``, and the dataset's ``fasta``) the nearest pool sequence
    too, since a model trained on the pool has seen it."""
    import logging

    data = load_dataset(encoded_npz, distances_npy)
    split = read_json(split_json)
    table = leakage(split, data.ids, data.distances, data.length)
    if pool_npz:
        table = pool_leakage(table, split, fasta, pool_npz, threads)
    q = table["normalised_distance"].quantile([0.0, 0.25, 0.5, 0.75, 1.0])
    summary = {
        "split": split.get("params", {}),
        "test_sequences": len(table),
        "nearest_train_normalised_distance": dict(
            zip(["min", "q25", "median", "q75", "max"], q.tolist(), strict=True)
        ),
        "nearest_train_edit_distance_median": float(table["edit_distance"].median()),
        "identical_to_a_training_sequence": int((table["edit_distance"] == 0).sum()),
    }
    if pool_npz:
        seen = table["nearest_seen_edit_distance"] / data.length
        q_seen = seen.quantile([0.0, 0.25, 0.5, 0.75, 1.0])
        summary["pool"] = str(pool_npz)
        summary["nearest_seen_normalised_distance"] = dict(
            zip(["min", "q25", "median", "q75", "max"], q_seen.tolist(), strict=True)
        )
        summary["nearest_seen_in_pool"] = int((table["nearest_in"] == "pool").sum())
        summary["identical_to_a_seen_sequence"] = int(
            (table["nearest_seen_edit_distance"] == 0).sum()
        )
        logging.getLogger(__name__).info(
            "leakage with the training pool: median nearest seen ED/L %.4f; for %d of %d test "
            "sequences the nearest seen sequence is in the pool, %d are identical to one",
            q_seen[0.5],
            summary["nearest_seen_in_pool"],
            len(table),
            summary["identical_to_a_seen_sequence"],
        )
    logging.getLogger(__name__).info(
        "leakage: median nearest-train ED/L %.4f (q25 %.4f, q75 %.4f); %d of %d test sequences "
        "have an identical training sequence",
        q[0.5],
        q[0.25],
        q[0.75],
        summary["identical_to_a_training_sequence"],
        len(table),
    )
    with atomic_path(out_tsv) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    write_json(out_json, summary)
