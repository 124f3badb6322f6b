"""Phylogenetic trees (Biopython's ``Bio.Phylo``): reading Newick, pruning to the chosen
sequences, checking leaf names, UPGMA trees for datasets without one.

Trees are ``Bio.Phylo.Newick.Tree`` objects. The walks below are our own and iterative:
Bio.Phylo's traversals and writer recurse once per level, and a UPGMA tree of near-identical
reads can be deeper than Python's recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from pathlib import Path

from Bio.Phylo.Newick import Clade, Tree
from Bio.Phylo.NewickIO import NewickError, Parser, token_dict, tokenizer

from neuroseed import NeuroseedError
from neuroseed.artifacts import load_distances
from neuroseed.io import read_fasta, write_text
from neuroseed.sources import tree_file


def preorder(tree: Tree | Clade) -> Iterator[Clade]:
    """Every clade, each before its children, children in file order."""
    stack = [tree.root]
    while stack:
        clade = stack.pop()
        yield clade
        stack.extend(reversed(clade.clades))


def postorder(tree: Tree | Clade) -> Iterator[Clade]:
    """Every clade, each after its children, children in file order."""
    stack = [(tree.root, False)]
    while stack:
        clade, done = stack.pop()
        if done or not clade.clades:
            yield clade
        else:
            stack.append((clade, True))
            stack.extend((c, False) for c in reversed(clade.clades))


def leaves(tree: Tree | Clade) -> list[Clade]:
    return [c for c in preorder(tree) if not c.clades]


def leaf_names(tree: Tree | Clade) -> list[str]:
    """The leaves' names in file order ("" for a leaf without one)."""
    return [c.name or "" for c in leaves(tree)]


def parents(tree: Tree | Clade) -> dict[int, Clade]:
    """``id(clade)`` to its parent clade, for every clade but the root."""
    return {id(child): clade for clade in preorder(tree) for child in clade.clades}


# Double-quoted names are not Newick, but this workflow wrote its tree.nwk files with them
# before it read trees with Bio.Phylo (which reads single quotes only); they are turned into
# single-quoted names. Single-quoted names and comments are matched first and kept as they are.
_QUOTED = re.compile(r"'[^']*'|\[[^\]]*\]|\"((?:[^\"]|\"\")*)\"")


def _single_quoted(m: re.Match) -> str:
    if m.group(1) is None:
        return m.group()
    return "'" + m.group(1).replace('""', '"').replace("'", "''") + "'"


def newick_problem(text: str) -> str | None:
    """What is wrong with one Newick tree, or None. Bio.Phylo's reader skips characters it
    does not recognise and lets a second name replace the first; this check refuses those,
    with the position (1-based) of the problem."""
    depth, pos, named, ended, quote_end = 0, 0, False, False, -1
    for m in tokenizer.finditer(text):
        gap = text[pos : m.start()]
        if gap.strip():
            at = pos + len(gap) - len(gap.lstrip())
            if text[at] == ":":
                return f"a branch length expected at {at + 1}"
            return f"unexpected character {text[at]!r} at {at + 1}"
        token, pos = m.group(), m.end()
        if token.isspace() or token[0] in "[:":
            continue
        if ended:
            return f"text after the closing ';' at {m.start() + 1}"
        if token == "(":
            depth, named = depth + 1, False
        elif token == ",":
            if depth == 0:
                return f"',' outside parentheses at {m.start() + 1}"
            named = False
        elif token == ")":
            if depth == 0:
                return f"unbalanced ')' at {m.start() + 1}"
            depth, named = depth - 1, False
        elif token == ";":
            if depth:
                return "unbalanced parentheses: '(' not closed before ';'"
            ended = True
        else:  # a name; 'it''s' is two quoted tokens side by side, one name
            if named and not (token[0] == "'" and m.start() == quote_end):
                return f"two names for one node at {m.start() + 1}"
            named, quote_end = True, (m.end() if token[0] == "'" else -1)
    rest = text[pos:]
    if rest.strip():
        at = pos + len(rest) - len(rest.lstrip())
        return f"unexpected character {text[at]!r} at {at + 1}"
    return None if ended else "no closing ';'"


def read_tree(path: str | Path) -> Tree:
    """Read a Newick tree file with Bio.Phylo (names may be quoted; numeric internal labels
    become ``confidence``; a branch without a length has ``branch_length`` None)."""
    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: tree file not found")
    text = _QUOTED.sub(_single_quoted, path.read_text().strip())
    if not text:
        raise NeuroseedError(f"{path}: tree file is empty")
    problem = newick_problem(text)
    if problem is None:
        try:  # on one line: Bio.Phylo ends a tree at any line ending in ';', quoted or not
            return next(Parser.from_string(text.replace("\n", " ")).parse())
        except (NewickError, ValueError) as exc:  # ValueError: a length float() refuses
            problem = str(exc) or type(exc).__name__
    raise NeuroseedError(f"{path}: not a valid Newick tree ({problem})")


def _label(clade: Clade) -> str:
    name = clade.name
    if not name and clade.confidence is not None and clade.clades:
        return f"{clade.confidence:0.6g}"
    if not name:
        return ""
    bare = token_dict["unquoted node label"].fullmatch(name)
    return name if bare else "'" + name.replace("'", "''") + "'"


def newick(tree: Tree | Clade) -> str:
    """Newick text: names quoted where they must be (single quotes, as Bio.Phylo writes and
    reads them), numeric internal labels as written, branch lengths to 6 significant
    digits, comments kept."""
    out: list[str] = []
    stack: list[Clade | str] = [tree.root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        tail = _label(item)
        if item.branch_length is not None:
            tail += f":{item.branch_length:0.6g}"
        if getattr(item, "comment", None):
            tail += f"[{item.comment}]"
        if item.clades:
            out.append("(")
            stack.append(")" + tail)
            for k, child in enumerate(reversed(item.clades)):
                stack.append(child)
                if k < len(item.clades) - 1:
                    stack.append(",")
        else:
            out.append(tail)
    return "".join(out) + ";"


def _joined(outer: float | None, inner: float | None) -> float | None:
    """The length of two branches made one (None where neither has a length)."""
    if outer is None and inner is None:
        return None
    return (outer or 0.0) + (inner or 0.0)


def _prune(tree: Tree, keep: Collection[str]) -> None:
    """Keep only the leaves ``keep`` (and the root): a clade left with one child is replaced
    by it, the child's branch growing by the clade's, so every kept leaf keeps its path
    length; the root stays even with one child."""
    keep = set(keep)
    root = tree.root
    counts: dict[int, int] = {}
    replaced: dict[int, Clade] = {}
    for clade in postorder(tree):
        if not clade.clades:
            counts[id(clade)] = int(clade.name in keep)
            continue
        clade.clades = [replaced.get(id(c), c) for c in clade.clades if counts[id(c)]]
        counts[id(clade)] = sum(counts[id(c)] for c in clade.clades)
        if len(clade.clades) == 1 and clade is not root:
            child = clade.clades[0]  # takes the clade's place, its branch longer
            child.branch_length = _joined(clade.branch_length, child.branch_length)
            replaced[id(clade)] = child


def _examples(names: Collection[str], k: int = 5) -> str:
    shown = [name or "(a leaf without a name)" for name in sorted(names)[:k]]
    more = f" and {len(names) - k} more" if len(names) > k else ""
    return ", ".join(shown) + more


def prune_tree(tree: Tree, ids: Collection[str], source: str = "tree") -> Tree:
    """Return ``tree`` restricted to the leaves ``ids`` (branch lengths preserved).

    Every id must be a leaf; leaves that are not ids are removed.
    """
    leaves = leaf_names(tree)
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
        _prune(tree, [str(i) for i in ids])
    return tree


def check_leaves(tree: Tree, ids: Collection[str], source: str = "tree") -> None:
    """Raise unless the tree's leaves are exactly ``ids``."""
    leaves = set(leaf_names(tree))
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


def write_tree(tree: Tree, path: str | Path) -> None:
    write_text(path, newick(tree) + "\n")


def prepare(source: dict, ids: Collection[str], tree_out: str | Path) -> None:
    """The tree stage: the configured tree (Greengenes' own, or the user's), pruned to ``ids``."""
    import logging

    path = tree_file(source)
    tree = prune_tree(read_tree(path), ids, source=str(path))
    check_leaves(tree, ids, source=str(path))
    logging.getLogger(__name__).info("%s pruned to %d leaves", path, len(ids))
    write_tree(tree, tree_out)


def upgma_tree(distances, ids: list[str]) -> Tree:
    """Rooted UPGMA (average-linkage) tree of an edit-distance matrix, branch lengths in ED/2."""
    import numpy as np
    from scipy.cluster.hierarchy import average, to_tree
    from scipy.spatial.distance import squareform

    if len(ids) < 2:
        raise NeuroseedError("a tree needs at least 2 sequences")
    condensed = squareform(np.asarray(distances, dtype=np.float64), checks=False)
    root = to_tree(average(condensed))
    tree = Tree(root=Clade(), rooted=True)
    stack = [(root, tree.root)]
    while stack:  # iterative: deep trees would overflow Python's recursion limit
        node, clade = stack.pop()
        if node.is_leaf():
            clade.name = ids[node.id]
            continue
        for child in (node.left, node.right):
            clade.clades.append(Clade(branch_length=(node.dist - child.dist) / 2))
            stack.append((child, clade.clades[-1]))
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
