"""Phylogenetic trees: reading Newick, pruning to the chosen sequences, checking leaf names."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from pathlib import Path

from neuroseed import NeuroseedError
from neuroseed.artifacts import load_distances
from neuroseed.io import read_fasta, write_text
from neuroseed.sources import tree_file


class Node:
    """A node of a rooted tree: ``name``, ``dist`` (branch length to its parent; 1.0 where a
    Newick file gives none), ``children`` in file order, ``up`` (None at the root)."""

    __slots__ = ("name", "dist", "children", "up")

    def __init__(self, name: str = "", dist: float = 1.0):
        self.name, self.dist = name, dist
        self.children: list[Node] = []
        self.up: Node | None = None

    def add_child(self, name: str = "", dist: float = 1.0) -> Node:
        child = Node(name, dist)
        child.up = self
        self.children.append(child)
        return child

    def is_leaf(self) -> bool:
        return not self.children

    def traverse(self, order: str = "preorder") -> Iterator[Node]:
        """Every node below and including this one, ``preorder`` or ``postorder`` (children in
        order, each node after them); iterative, so deep trees do not exhaust the stack."""
        if order == "preorder":
            stack = [self]
            while stack:
                node = stack.pop()
                yield node
                stack.extend(reversed(node.children))
        elif order == "postorder":
            stack = [(self, False)]
            while stack:
                node, done = stack.pop()
                if done or not node.children:
                    yield node
                else:
                    stack.append((node, True))
                    stack.extend((c, False) for c in reversed(node.children))
        else:
            raise ValueError(f"unknown traversal order '{order}'")

    def iter_leaves(self) -> Iterator[Node]:
        return (n for n in self.traverse() if not n.children)

    def get_leaf_names(self) -> list[str]:
        return [n.name for n in self.iter_leaves()]

    def common_ancestor(self, names: Collection[str]) -> Node:
        """The deepest node below which are all the leaves ``names`` (a leaf for one name)."""
        wanted = set(names)
        leaves = [n for n in self.iter_leaves() if n.name in wanted]
        if not leaves or len(leaves) < len(wanted):
            raise ValueError(f"not leaves of the tree: {sorted(wanted - {n.name for n in leaves})}")
        path = []
        node: Node | None = leaves[0]
        while node is not None:
            path.append(node)
            node = node.up
        depth = {id(n): k for k, n in enumerate(path)}
        best = 0
        for leaf in leaves[1:]:
            node = leaf
            while id(node) not in depth:
                node = node.up
            best = max(best, depth[id(node)])
        return path[best]

    def __len__(self) -> int:
        return sum(1 for _ in self.iter_leaves())

    def prune(self, names: Collection[str]) -> None:
        """Keep only the leaves ``names`` (and this node): a node left with one child is
        replaced by it, the child's branch growing by the node's, so every kept leaf keeps its
        path length; this node (the root) stays even with one child."""
        keep = set(names)
        counts: dict[int, int] = {}
        for node in self.traverse("postorder"):
            if node.children:
                node.children = [c for c in node.children if counts[id(c)]]
                counts[id(node)] = sum(counts[id(c)] for c in node.children)
                if len(node.children) == 1 and node is not self:
                    child = node.children[0]  # takes the node's place, its branch longer
                    node.name, node.dist = child.name, node.dist + child.dist
                    node.children = child.children
                    for c in node.children:
                        c.up = node
            else:
                counts[id(node)] = int(node.name in keep)

    def write(self) -> str:
        """Newick with every name in double quotes (an unnamed root without) and branch
        lengths (not the root's)."""
        out: list[str] = []
        stack: list[Node | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
                continue
            label = '"' + item.name.replace('"', '""') + '"'
            if item is self:
                label = label if item.name else ""
            else:
                label += f":{item.dist:0.6g}"
            if item.children:
                out.append("(")
                stack.append(")" + label)
                for k, child in enumerate(reversed(item.children)):
                    stack.append(child)
                    if k < len(item.children) - 1:
                        stack.append(",")
            else:
                out.append(label)
        return "".join(out) + ";"


_TOKEN = re.compile(
    r"""\s*(?:(\[[^\]]*\])|'((?:[^']|'')*)'|"((?:[^"]|"")*)"|([(),:;])|([^\s(),:;\[\]'"]+))"""
)


class NewickError(ValueError):
    pass


def parse_newick(text: str) -> Node:
    """A tree from Newick text: quoted (single or double quotes, doubled inside) or bare names
    on leaves and internal nodes, ``:length`` branch lengths, ``[comments]`` ignored."""
    root = node = Node()
    named = after_colon = ended = False
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise NewickError(f"unexpected character {text[pos]!r} at {pos + 1}")
            break
        pos = m.end()
        comment, single, double, punct, bare = m.groups()
        if comment is not None:
            continue
        if ended:
            raise NewickError(f"text after the closing ';' at {m.start() + 1}")
        if after_colon:
            if bare is None:
                raise NewickError(f"a branch length expected at {m.start() + 1}")
            try:
                node.dist = float(bare)
            except ValueError:
                raise NewickError(f"not a branch length: {bare!r}") from None
            after_colon = False
        elif punct == "(":
            node, named = node.add_child(), False
        elif punct == ",":
            if node.up is None:
                raise NewickError(f"',' outside parentheses at {m.start() + 1}")
            node, named = node.up.add_child(), False
        elif punct == ")":
            if node.up is None:
                raise NewickError(f"unbalanced ')' at {m.start() + 1}")
            node, named = node.up, False
        elif punct == ":":
            after_colon = True
        elif punct == ";":
            if node is not root:
                raise NewickError("unbalanced parentheses: '(' not closed before ';'")
            ended = True
        else:
            if named:
                raise NewickError(f"two names for one node at {m.start() + 1}")
            if single is not None:
                node.name = single.replace("''", "'")
            elif double is not None:
                node.name = double.replace('""', '"')
            else:
                node.name = bare
            named = True
    if not ended:
        raise NewickError("no closing ';'")
    return root


def read_tree(path: str | Path) -> Node:
    """Read a Newick tree file (leaf and internal names may be quoted)."""
    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: tree file not found")
    text = path.read_text().strip()
    if not text:
        raise NeuroseedError(f"{path}: tree file is empty")
    try:
        return parse_newick(text)
    except NewickError as exc:
        raise NeuroseedError(f"{path}: not a valid Newick tree ({exc})") from exc


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
        tree.prune([str(i) for i in ids])
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


def write_tree(tree: Node, path: str | Path) -> None:
    write_text(path, tree.write() + "\n")


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
    from scipy.cluster.hierarchy import average, to_tree
    from scipy.spatial.distance import squareform

    if len(ids) < 2:
        raise NeuroseedError("a tree needs at least 2 sequences")
    condensed = squareform(np.asarray(distances, dtype=np.float64), checks=False)
    root = to_tree(average(condensed))
    tree = Node()
    stack = [(root, tree)]
    while stack:  # iterative: deep trees would overflow Python's recursion limit
        node, tree_node = stack.pop()
        if node.is_leaf():
            tree_node.name = ids[node.id]
            continue
        for child in (node.left, node.right):
            stack.append((child, tree_node.add_child(dist=(node.dist - child.dist) / 2)))
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
