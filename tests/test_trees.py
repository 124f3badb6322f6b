import pytest

from neuroseed import NeuroseedError
from neuroseed.trees import check_leaves, prune_tree, read_tree, write_tree

NEWICK = "((a:1,b:2)'f__[Odd name]':0.5,(c:1,(d:1,e:1):1)0.9:1);"


def test_prune_keeps_branch_lengths_and_quoted_names(tmp_path):
    path = tmp_path / "t.nwk"
    path.write_text(NEWICK)
    tree = prune_tree(read_tree(path), ["a", "b", "d"])
    assert sorted(tree.get_leaf_names()) == ["a", "b", "d"]
    # c and e are gone; d's path from the root (1 + 1 + 1) is merged but keeps its length
    assert tree.get_distance("d") == pytest.approx(3.0)
    assert tree.get_distance("a", "d") == pytest.approx(4.5)
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
