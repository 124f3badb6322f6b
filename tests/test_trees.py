import pytest

from neuroseed import NeuroseedError
from neuroseed.trees import Node, check_leaves, parse_newick, prune_tree, read_tree, write_tree

NEWICK = "((a:1,b:2)'f__[Odd name]':0.5,(c:1,(d:1,e:1):1)0.9:1);"


def path_length(tree, a, b=None):
    """Sum of branch lengths between leaves ``a`` and ``b`` (``b`` None: the root)."""

    def to_root(name):
        node = next(n for n in tree.iter_leaves() if n.name == name)
        path = {}
        total = 0.0
        while node.up is not None:
            path[id(node.up)] = total = total + node.dist
            node = node.up
        return path, total

    pa, ta = to_root(a)
    if b is None:
        return ta
    pb, tb = to_root(b)
    return min(pa[k] + pb[k] for k in pa.keys() & pb.keys())


def test_prune_keeps_branch_lengths_and_quoted_names(tmp_path):
    path = tmp_path / "t.nwk"
    path.write_text(NEWICK)
    tree = prune_tree(read_tree(path), ["a", "b", "d"])
    assert sorted(tree.get_leaf_names()) == ["a", "b", "d"]
    # c and e are gone; d's path from the root (1 + 1 + 1) is merged but keeps its length
    assert path_length(tree, "d") == pytest.approx(3.0)
    assert path_length(tree, "a", "d") == pytest.approx(4.5)
    out = tmp_path / "p.nwk"
    write_tree(tree, out)
    again = read_tree(out)
    assert sorted(again.get_leaf_names()) == ["a", "b", "d"]
    assert any(n.name == "f__[Odd name]" for n in again.traverse())


def test_missing_ids_are_a_clear_error(tmp_path):
    path = tmp_path / "t.nwk"
    path.write_text(NEWICK)
    with pytest.raises(
        NeuroseedError, match=r"2 of 3 sequence ids are not leaves of the tree, e.g. x, y"
    ):
        prune_tree(read_tree(path), ["a", "x", "y"], source=str(path))


def test_check_leaves_lists_both_sides(tmp_path):
    path = tmp_path / "t.nwk"
    path.write_text("(a:1,b:1);")
    with pytest.raises(
        NeuroseedError, match=r"1 ids missing from the tree, e.g. z; 1 leaves not among"
    ):
        check_leaves(read_tree(path), ["a", "z"])


@pytest.mark.parametrize("text, message", [("", "empty"), ("((a,b);", "not a valid Newick")])
def test_bad_tree_files(tmp_path, text, message):
    path = tmp_path / "t.nwk"
    path.write_text(text)
    with pytest.raises(NeuroseedError, match=message):
        read_tree(path)


@pytest.mark.parametrize(
    "text, message",
    [("(a:1,(b:1,c:1);", "not a valid Newick"), ("hello world", "not a valid Newick")],
)
def test_truncated_or_text_trees_are_not_newick(tmp_path, text, message):
    path = tmp_path / "t.nwk"
    path.write_text(text)
    with pytest.raises(NeuroseedError, match=f"{path}: {message}"):
        read_tree(path)


def test_a_missing_tree_file_is_named(tmp_path):
    with pytest.raises(NeuroseedError, match=f"{tmp_path / 'no.nwk'}: tree file not found"):
        read_tree(tmp_path / "no.nwk")


def test_duplicate_leaf_names_are_an_error(tmp_path):
    path = tmp_path / "t.nwk"
    path.write_text("((a:1,b:1):1,(a:1,c:1):1);")
    with pytest.raises(NeuroseedError, match="t.nwk: duplicate leaf names, e.g. a"):
        prune_tree(read_tree(path), ["a", "b"], source=str(path))


def test_newick_names_lengths_and_comments():
    tree = parse_newick("(('it''s':1.5,\"say \"\"hi\"\"\":2e-1)[a comment]inner,bare_name)'root';")
    assert tree.name == "root" and tree.up is None
    inner, bare = tree.children
    assert inner.name == "inner" and [c.name for c in inner.children] == ["it's", 'say "hi"']
    assert [c.dist for c in inner.children] == [1.5, 0.2]
    assert bare.name == "bare_name" and bare.dist == 1.0  # no length given: 1, as ete3
    again = parse_newick(tree.write())  # written quoted, read back the same
    assert again.get_leaf_names() == ["it's", 'say "hi"', "bare_name"]
    assert [n.name for n in again.traverse("postorder")][-2:] == ["bare_name", "root"]


def test_deep_trees_need_no_recursion(tmp_path):
    depth = 20000  # a caterpillar: deeper than Python's recursion limit
    text = "(" * depth + "x:1" + "".join(f",l{k}:1)" for k in range(depth)) + ";"
    tree = parse_newick(text)
    assert len(tree) == depth + 1
    prune_tree(tree, ["x", "l0", f"l{depth - 1}"])
    assert sorted(tree.get_leaf_names()) == sorted(["x", "l0", f"l{depth - 1}"])
    assert path_length(tree, "x") == pytest.approx(depth)  # every merged branch kept
    write_tree(tree, tmp_path / "t.nwk")


@pytest.mark.parametrize(
    "text", ["(a,b));", "(a,b)c d;", "(a:x,b);", "(a,b);extra", "a,b;", "(a,b)"]
)
def test_malformed_newick_is_refused(text):
    from neuroseed.trees import NewickError

    with pytest.raises(NewickError):
        parse_newick(text)


def test_nodes_build_and_traverse_in_order():
    root = Node()
    a = root.add_child("a", 0.5)
    inner = root.add_child("", 1.0)
    inner.add_child("b"), inner.add_child("c")
    assert [n.name for n in root.traverse()] == ["", "a", "", "b", "c"]
    assert [n.name for n in root.traverse("postorder")] == ["a", "b", "c", "", ""]
    assert a.up is root and a.is_leaf() and not inner.is_leaf()
    assert root.common_ancestor(["b", "c"]) is inner and root.common_ancestor(["a", "b"]) is root
    assert root.common_ancestor(["a"]) is a
    with pytest.raises(ValueError, match="not leaves of the tree"):
        root.common_ancestor(["a", "z"])
