"""Phylogenetic trees: reading Newick, pruning to the chosen sequences, checking leaf names."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from neuroseed import NeuroseedError
from neuroseed.artifacts import load_distances
from neuroseed.io import read_fasta, write_text
from neuroseed.sources import tree_file


def read_tree(path: str | Path):
    """Read a Newick tree (leaf and internal names may be quoted) with ete3."""
    from ete3 import Tree
    from ete3.parser.newick import NewickError

    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: tree file not found")
    text = path.read_text().strip()
    if not text:
        raise NeuroseedError(f"{path}: tree file is empty")
    try:
        return Tree(text, format=1, quoted_node_names=True)
    except NewickError as exc:
        raise NeuroseedError(
            f"{path}: not a valid Newick tree ({str(exc).splitlines()[0]})"
        ) from exc


def _examples(names: Collection[str], k: int = 5) -> str:
    shown = sorted(names)[:k]
    more = f" and {len(names) - k} more" if len(names) > k else ""
    return ", ".join(shown) + more


def prune_tree(tree, ids: Collection[str], source: str = "tree"):
    """Return ``tree`` restricted to the leaves ``ids`` (branch lengths preserved).

    Every id must be a leaf; leaves that are not ids are removed.
    """
    leaves = tree.get_leaf_names()
    leaf_set = set(leaves)
    if len(leaf_set) != len(leaves):
        dup = {n for n in leaves if leaves.count(n) > 1} if len(leaves) < 5000 else {"(several)"}
        raise NeuroseedError(f"{source}: duplicate leaf names, e.g. {_examples(dup)}")
    missing = set(ids) - leaf_set
    if missing:
        raise NeuroseedError(
            f"{source}: {len(missing)} of {len(ids)} sequence ids are not leaves of the tree, "
            f"e.g. {_examples(missing)}"
        )
    if len(leaf_set) != len(ids):
        tree.prune([str(i) for i in ids], preserve_branch_length=True)
    return tree


def check_leaves(tree, ids: Collection[str], source: str = "tree") -> None:
    """Raise unless the tree's leaves are exactly ``ids``."""
    leaves = set(tree.get_leaf_names())
    ids = set(ids)
    if leaves != ids:
        parts = []
        if ids - leaves:
            parts.append(
                f"{len(ids - leaves)} ids missing from the tree, e.g. {_examples(ids - leaves)}"
            )
        if leaves - ids:
            parts.append(
                f"{len(leaves - ids)} leaves not among the sequences, "
                f"e.g. {_examples(leaves - ids)}"
            )
        raise NeuroseedError(
            f"{source}: tree leaves do not match the sequence ids: " + "; ".join(parts)
        )


def write_tree(tree, path: str | Path) -> None:
    write_text(path, tree.write(format=1, quoted_node_names=True) + "\n")


def prepare(source: dict, ids: Collection[str], tree_out: str | Path) -> None:
    """The tree stage: the configured tree (Greengenes' own, or the user's), pruned to ``ids``."""
    import logging

    path = tree_file(source)
    tree = prune_tree(read_tree(path), ids, source=str(path))
    check_leaves(tree, ids, source=str(path))
    logging.getLogger(__name__).info("%s pruned to %d leaves", path, len(tree))
    write_tree(tree, tree_out)


def upgma_tree(distances, ids: list[str]):
    """Rooted UPGMA (average-linkage) tree of an edit-distance matrix, branch lengths in ED/2."""
    import numpy as np
    from ete3 import Tree
    from scipy.cluster.hierarchy import average, to_tree
    from scipy.spatial.distance import squareform

    if len(ids) < 2:
        raise NeuroseedError("a tree needs at least 2 sequences")
    condensed = squareform(np.asarray(distances, dtype=np.float64), checks=False)
    root = to_tree(average(condensed))
    tree = Tree()
    stack = [(root, tree)]
    while stack:  # iterative: deep trees would overflow Python's recursion limit
        node, ete_node = stack.pop()
        if node.is_leaf():
            ete_node.name = ids[node.id]
            continue
        for child in (node.left, node.right):
            ete_child = ete_node.add_child(dist=(node.dist - child.dist) / 2)
            stack.append((child, ete_child))
    return tree


def build(distances_npy: str, fasta: str, tree_out: str) -> None:
    """The UPGMA stage for datasets without a tree of their own."""
    import logging

    ids = [rid for rid, _, _ in read_fasta(fasta)]
    tree = upgma_tree(load_distances(distances_npy, len(ids)), ids)
    check_leaves(tree, ids, source=tree_out)
    logging.getLogger(__name__).info(
        "UPGMA tree of %d sequences from exact edit distances", len(ids)
    )
    write_tree(tree, tree_out)
