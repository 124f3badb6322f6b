import pytest
from Bio.Phylo.Newick import Clade, Tree

from neuroseed import NeuroseedError
from neuroseed.trees import (
    check_leaves,
    leaf_names,
    leaves,
    parents,
    postorder,
    preorder,
    prune_tree,
    read_tree,
    write_tree,
)

NEWICK = "((a:1,b:2)'f__[Odd name]':0.5,(c:1,(d:1,e:1):1)0.9:1);"


def path_length(tree, a, b=None):
    """Sum of branch lengths between leaves ``a`` and ``b`` (``b`` None: the root)."""

    parent = parents(tree)

    def to_root(name):
        clade = next(c for c in leaves(tree) if c.name == name)
        path = {}
        total = 0.0
        while id(clade) in parent:
            total += clade.branch_length
            clade = parent[id(clade)]
            path[id(clade)] = total
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
    assert sorted(leaf_names(tree)) == ["a", "b", "d"]
    # c and e are gone; d's path from the root (1 + 1 + 1) is merged but keeps its length
    assert path_length(tree, "d") == pytest.approx(3.0)
    assert path_length(tree, "a", "d") == pytest.approx(4.5)
    out = tmp_path / "p.nwk"
    write_tree(tree, out)
    again = read_tree(out)
    assert sorted(leaf_names(again)) == ["a", "b", "d"]
    assert any(c.name == "f__[Odd name]" for c in preorder(again))


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


def test_newick_names_lengths_and_comments(tmp_path):
    path = tmp_path / "t.nwk"
    path.write_text("(('it''s':1.5,'say \"hi\"':2e-1)[a comment]inner,bare_name)'root';")
    tree = read_tree(path)
    assert tree.root.name == "root"
    inner, bare = tree.root.clades
    assert inner.name == "inner" and [c.name for c in inner.clades] == ["it's", 'say "hi"']
    assert [c.branch_length for c in inner.clades] == [1.5, 0.2]
    assert inner.comment == "a comment"
    assert bare.name == "bare_name" and bare.branch_length is None  # none given: none invented
    write_tree(tree, tmp_path / "again.nwk")  # written quoted, read back the same
    again = read_tree(tmp_path / "again.nwk")
    assert leaf_names(again) == ["it's", 'say "hi"', "bare_name"]
    assert [c.name for c in postorder(again)][-2:] == ["bare_name", "root"]
    assert again.root.clades[0].comment == "a comment"


def test_written_trees_are_read_by_bio_phylo_itself(tmp_path):
    """tree.nwk opens in Bio.Phylo as it is: names with spaces or brackets single-quoted,
    support values (numeric internal labels, as in Greengenes' tree) kept."""
    from Bio import Phylo

    path = tmp_path / "t.nwk"
    path.write_text("(('k__Bacteria; p__X':0.5,b:0.25)0.964:0.125,'c d':1);")
    write_tree(read_tree(path), tmp_path / "out.nwk")
    tree = Phylo.read(tmp_path / "out.nwk", "newick")
    assert [c.name for c in tree.get_terminals()] == ["k__Bacteria; p__X", "b", "c d"]
    assert tree.root.clades[0].confidence == 0.964
    assert [c.branch_length for c in tree.find_clades()][1:] == [0.125, 0.5, 0.25, 1.0]


def test_double_quoted_names_are_read(tmp_path):
    """The workflow wrote tree.nwk with double-quoted names before it used Bio.Phylo; those
    files (and a user's like them) are still read."""
    path = tmp_path / "t.nwk"
    path.write_text('(("a":1,"say ""hi""":2)"0.9":1,\'it\'\'s "x"\':1);')
    tree = read_tree(path)
    assert leaf_names(tree) == ["a", 'say "hi"', 'it\'s "x"']
    assert tree.root.clades[0].confidence == 0.9


def test_deep_trees_need_no_recursion(tmp_path):
    depth = 20000  # a caterpillar: deeper than Python's recursion limit
    path = tmp_path / "deep.nwk"
    path.write_text("(" * depth + "x:1" + "".join(f",l{k}:1):1" for k in range(depth)) + ";")
    tree = read_tree(path)
    assert len(leaf_names(tree)) == depth + 1
    prune_tree(tree, ["x", "l0", f"l{depth - 1}"])
    assert sorted(leaf_names(tree)) == sorted(["x", "l0", f"l{depth - 1}"])
    assert path_length(tree, "x") == pytest.approx(depth)  # every merged branch kept
    write_tree(tree, tmp_path / "t.nwk")
    assert sorted(leaf_names(read_tree(tmp_path / "t.nwk"))) == sorted(leaf_names(tree))


@pytest.mark.parametrize(
    "text, problem",
    [
        ("(a,b));", "unbalanced ')' at 6"),
        ("(a,b)c d;", "two names for one node at 8"),
        ("(a:x,b);", "a branch length expected at 3"),
        ("(a,b);extra", "text after the closing ';' at 7"),
        ("a,b;", "',' outside parentheses at 2"),
        ("(a,b)", "no closing ';'"),
        ("(a,b)c;d", "text after the closing ';' at 8"),
        ("(a,b)[open comment;", "unexpected character '[' at 6"),
    ],
)
def test_malformed_newick_is_refused(tmp_path, text, problem):
    """Bio.Phylo's reader would skip the stray characters or take the second name; ours
    names the problem and where it is."""
    path = tmp_path / "t.nwk"
    path.write_text(text)
    with pytest.raises(NeuroseedError) as err:
        read_tree(path)
    assert str(err.value) == f"{path}: not a valid Newick tree ({problem})"


def test_walks_go_in_file_order():
    b, c = Clade(name="b"), Clade(name="c")
    inner = Clade(clades=[b, c])
    a = Clade(name="a", branch_length=0.5)
    tree = Tree(root=Clade(clades=[a, inner]))
    assert [x.name for x in preorder(tree)] == [None, "a", None, "b", "c"]
    assert [x.name for x in postorder(tree)] == ["a", "b", "c", None, None]
    assert [x.name for x in leaves(tree)] == ["a", "b", "c"]
    parent = parents(tree)
    assert parent[id(b)] is inner and parent[id(a)] is tree.root and id(tree.root) not in parent
