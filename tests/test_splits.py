import hashlib
import json

import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.splits import (
    PARTS,
    distance_split,
    leakage,
    random_split,
    read_split_file,
    split_indices,
    tree_split,
    validate_split,
)
from neuroseed.trees import leaf_names

IDS = [f"id{i}" for i in range(100)]


def test_random_split_is_a_partition():
    split = random_split(IDS, 0.1, 0.2, seed=3)
    members = [i for p in PARTS for i in split[p]]
    assert sorted(members) == sorted(IDS)  # every id once: no leak between parts
    assert [len(split[p]) for p in PARTS] == [70, 10, 20]


def test_random_split_is_deterministic_per_seed():
    assert random_split(IDS, 0.1, 0.2, 3) == random_split(IDS, 0.1, 0.2, 3)
    assert random_split(IDS, 0.1, 0.2, 3) != random_split(IDS, 0.1, 0.2, 4)


def test_gg2000_split_checksum():
    """With the gg2000 ids this reproduces the benchmark split byte for byte (docs/reference.md)."""
    from neuroseed.sequences import load_records
    from neuroseed.sources import greengenes_paths

    ids = [r.id for r in load_records(greengenes_paths()[0], 2000, 0)]
    split = random_split(ids, 0.1, 0.2, seed=1)
    assert hashlib.md5(json.dumps(split).encode()).hexdigest() == "cdea20486325b7b413f75d031eefbf74"


def test_tree_splits_of_gg2000_are_pinned():
    """Clades withheld at depths 0-8 on the Greengenes tree pruned to gg2000's sequences: the
    same splits as with the project's own Newick reader before Bio.Phylo read the trees."""
    from neuroseed.sequences import load_records
    from neuroseed.sources import greengenes_paths
    from neuroseed.trees import prune_tree, read_tree

    fasta, tree_path = greengenes_paths()
    ids = [r.id for r in load_records(fasta, 2000, 0)]
    tree = prune_tree(read_tree(tree_path), ids)
    splits = [tree_split(ids, tree, depth, 0.1, 0.2, seed=1) for depth in range(9)]
    digest = hashlib.md5(json.dumps(splits).encode()).hexdigest()
    assert digest == "5efc350a406f555fc9f8895477c20c10"


def test_too_small_parts_are_rejected():
    with pytest.raises(NeuroseedError, match="fewer than 2"):
        random_split(IDS[:6], 0.1, 0.2, 0)


def test_split_file_json_and_tsv(tmp_path):
    spec = {"train": IDS[:5], "val": IDS[5:7], "test": IDS[7:9]}
    j = tmp_path / "s.json"
    j.write_text(json.dumps(spec))
    assert read_split_file(j, IDS) == spec
    t = tmp_path / "s.tsv"
    t.write_text("id\tpart\n" + "".join(f"{i}\t{p}\n" for p in PARTS for i in spec[p]))
    assert read_split_file(t, IDS) == spec


@pytest.mark.parametrize(
    "spec, message",
    [
        (
            {"train": ["id0", "id1"], "val": ["id1", "id2"], "test": ["id3", "id4"]},
            "both 'train' and 'val'",
        ),
        (
            {"train": ["id0", "x"], "val": ["id1", "id2"], "test": ["id3", "id4"]},
            "'x' in 'train' is not among",
        ),
        ({"train": ["id0", "id5"], "val": ["id1"], "test": ["id3", "id4"]}, "part 'val' has 1 ids"),
    ],
)
def test_bad_split_files(tmp_path, spec, message):
    j = tmp_path / "s.json"
    j.write_text(json.dumps(spec))
    with pytest.raises(NeuroseedError, match=message):
        read_split_file(j, IDS)


def test_bad_tsv_row(tmp_path):
    t = tmp_path / "s.tsv"
    t.write_text("id0\ttraining\n")
    with pytest.raises(NeuroseedError, match=r"s.tsv:1: expected 'id<TAB>part'"):
        read_split_file(t, IDS)


def test_split_indices():
    split = {"train": ["id2", "id0"], "val": ["id1", "id3"], "test": ["id4", "id5"]}
    validate_split(split, IDS)
    assert split_indices(split, IDS)["train"].tolist() == [2, 0]


@pytest.mark.parametrize(
    "split, message",
    [
        ({"train": ["id2", "id4"], "val": ["id1", "id3"], "test": ["id4", "id5"]}, "both"),
        ({"train": ["id2", "x"], "val": ["id1", "id3"], "test": ["id4", "id5"]}, "'x' in 'train'"),
        ({"train": ["id2", "id0"], "val": ["id1", "id3"]}, "no list of ids 'test'"),
    ],
)
def test_a_split_artifact_is_checked_as_it_is_loaded(tmp_path, split, message):
    """A split written by the workflow and edited (or damaged) since is refused by name when a
    job loads it: its parts must still be disjoint lists of known ids."""
    path = tmp_path / "splits" / "random-s1.json"
    path.parent.mkdir()
    path.write_text(json.dumps(split))
    with pytest.raises(NeuroseedError, match=f"random-s1.json: damaged .*{message}") as err:
        split_indices(json.loads(path.read_text()), IDS, str(path))
    assert str(err.value).endswith("(rule split_sequences rebuilds it)")


def test_a_split_file_with_a_part_twice_or_a_hash_id_keeps_every_id(tmp_path, caplog):
    """JSON keeps the last of a key given twice and TSV readers skip '#' lines: a part given
    twice is refused, a row whose id starts with '#' is a row, and ids the file does not name
    are counted in the log."""
    import logging

    j = tmp_path / "s.json"
    j.write_text(
        '{"train": ["id0", "id1"], "val": ["id2", "id3"], "test": ["id4", "id5"], '
        '"train": ["id6", "id7"]}'
    )
    with pytest.raises(NeuroseedError, match="s.json: key 'train' given twice"):
        read_split_file(j, IDS)
    ids = ["#a", *IDS[:6]]
    t = tmp_path / "s.tsv"
    rows = ["# a comment", "#a\ttrain", "id0\ttrain", "id1\tval", "id2\tval", "id3\ttest"]
    t.write_text("\n".join([*rows, "id4\ttest"]) + "\n")
    with caplog.at_level(logging.WARNING):
        split = read_split_file(t, ids)
    assert split["train"] == ["#a", "id0"]
    assert "names 6 of the 7 sequences; the other 1 are in no part" in caplog.text


def line_distances(n):
    """Sequences on a line: |i - j| apart, so nearest relatives are the neighbours."""
    i = np.arange(n)
    return np.abs(i[:, None] - i[None, :]).astype(np.uint16)


def balanced_tree(n_leaves):
    from Bio.Phylo.Newick import Clade, Tree

    names = [f"id{i}" for i in range(n_leaves)]
    clades = [Clade(name=x) for x in names]
    while len(clades) > 1:
        clades = [Clade(clades=[a, b]) for a, b in zip(clades[::2], clades[1::2], strict=True)]
    return Tree(root=clades[0]), names


def assert_partition(split, ids):
    members = [i for p in PARTS for i in split[p]]
    assert sorted(members) == sorted(ids) and len(members) == len(set(members))


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_distance_split_withholds_nearest_clusters(depth):
    ids = [f"id{i}" for i in range(100)]
    split, groups = distance_split(ids, line_distances(100), depth, 0.1, 0.2, seed=2)
    assert_partition(split, ids)
    size = 2**depth
    for part, target in (("test", 20), ("val", 10)):
        assert target <= len(split[part]) < target + size  # within one cluster's size
        for g in groups[part]:
            assert len(g) == size
            # a cluster is its seed and its nearest unassigned relatives: contiguous on the line
            pos = sorted(int(x[2:]) for x in g)
            assert pos[-1] - pos[0] <= 2 * size


def test_distance_split_depth0_is_random_and_deterministic():
    ids = [f"id{i}" for i in range(60)]
    d = line_distances(60)
    a, ga = distance_split(ids, d, 0, 0.1, 0.2, seed=5)
    b, _ = distance_split(ids, d, 0, 0.1, 0.2, seed=5)
    c, _ = distance_split(ids, d, 0, 0.1, 0.2, seed=6)
    assert a == b and a != c
    assert all(len(g) == 1 for g in ga["test"]) and [len(a[p]) for p in PARTS] == [42, 6, 12]


@pytest.mark.parametrize("depth", [0, 2, 4])
def test_tree_split_never_cuts_a_withheld_clade(depth):
    tree, ids = balanced_tree(128)
    split, groups = tree_split(ids, tree, depth, 0.1, 0.2, seed=1)
    assert_partition(split, ids)
    train = set(split["train"])
    for part, target in (("test", 26), ("val", 13)):
        assert target <= len(split[part]) < target + 2**depth
        for g in groups[part]:
            clade = tree.common_ancestor(g)
            assert not train & set(leaf_names(clade))  # the whole clade is withheld
    if depth == 4:  # in a balanced tree, clades of 16 are exactly the groups
        assert all(len(g) == 16 for g in groups["test"])


def test_tree_split_is_deterministic_per_seed():
    tree, ids = balanced_tree(64)
    assert tree_split(ids, tree, 2, 0.1, 0.2, 3) == tree_split(ids, tree, 2, 0.1, 0.2, 3)


def test_tree_split_with_mismatched_leaves_fails_clearly():
    tree, ids = balanced_tree(16)
    with pytest.raises(
        NeuroseedError, match=r"tree leaves do not match the sequence ids: 1 ids missing"
    ):
        tree_split([*ids[:-1], "stranger"], tree, 1, 0.2, 0.2, 0)


def test_leakage_reports_nearest_training_sequence():
    ids = [f"id{i}" for i in range(10)]
    split = {
        "train": ["id0", "id1", "id2", "id3", "id9"],
        "val": ["id4", "id5"],
        "test": ["id7", "id8"],
    }
    table = leakage(split, ids, line_distances(10), length=10)
    assert table["nearest_train_id"].tolist() == ["id9", "id9"]
    assert table["edit_distance"].tolist() == [2, 1]
    assert table["normalised_distance"].tolist() == [0.2, 0.1]


def test_upgma_tree_groups_the_closest_sequences():
    from neuroseed.trees import upgma_tree

    d = np.array([[0, 1, 8, 9], [1, 0, 8, 9], [8, 8, 0, 2], [9, 9, 2, 0]])
    tree = upgma_tree(d, ["a", "b", "c", "d"])
    pair = tree.common_ancestor("a", "b")
    assert sorted(leaf_names(pair)) == ["a", "b"]
    assert [c.branch_length for c in pair.clades] == pytest.approx([0.5, 0.5])  # ED/2 each


def test_a_split_file_id_removed_by_a_filter_is_explained(tmp_path):
    path = tmp_path / "split.tsv"
    path.write_text(
        "".join(f"{i}\t{p}\n" for i, p in zip(IDS[:6] + ["short1"], PARTS * 3, strict=False))
    )
    dropped = {"short1": "5 nt, shorter than sequences.min_length 100"}
    with pytest.raises(NeuroseedError) as err:
        read_split_file(path, IDS, dropped)
    assert str(err.value) == (
        f"{path}: id 'short1' in 'train' was removed by the sequence filters (5 nt, shorter than "
        "sequences.min_length 100); change the filter or leave the id out of the split"
    )
    with pytest.raises(NeuroseedError, match="is not among the 100 sequences \\(source.n_seq"):
        read_split_file(path, IDS, {}, " (source.n_sequences drew 100 of 200 records; null ...)")


def test_a_split_depth_too_deep_for_the_data_names_the_key():
    ids = [f"id{i}" for i in range(48)]
    with pytest.raises(NeuroseedError) as err:
        distance_split(ids, line_distances(48), 20, 0.2, 0.2, seed=0)
    assert "(split.depth 20)" in str(err.value) and "lower split.depth" in str(err.value)


def test_files_with_a_byte_order_mark_are_read(tmp_path):
    """Desktop tools start UTF-8 files with a byte-order mark: it is not part of the first id."""
    from neuroseed.io import read_fasta

    fasta = tmp_path / "in.fasta"
    fasta.write_text("\ufeff>s0\nACGT\n>s1\nACGA\n", encoding="utf-8")
    assert [r[0] for r in read_fasta(fasta)] == ["s0", "s1"]
    spec = {"train": IDS[:2], "val": IDS[2:4], "test": IDS[4:6]}
    t = tmp_path / "s.tsv"
    t.write_text("\ufeff" + "".join(f"{i}\t{p}\n" for p in PARTS for i in spec[p]))
    assert read_split_file(t, IDS) == spec
    j = tmp_path / "s.json"
    j.write_text("\ufeff" + json.dumps(spec))
    assert read_split_file(j, IDS) == spec
    capitals = tmp_path / "split.JSON"  # read as JSON, not as a TSV
    capitals.write_text(json.dumps(spec))
    assert read_split_file(capitals, IDS) == spec


def test_a_split_json_nested_too_deeply_or_with_items_that_are_no_ids_is_one_line(tmp_path):
    """Python's JSON parser recurses: a crafted file raised RecursionError; and [["id0"]], null
    or 1.0 became ids that name nothing ("['id0']", 'None', '1.0')."""
    j = tmp_path / "s.json"
    j.write_text('{"train": ' + "[" * 100_000 + "]" * 100_000 + ', "val": [], "test": []}')
    with pytest.raises(NeuroseedError, match="s.json: not valid JSON .nested too deeply"):
        read_split_file(j, IDS)
    for item in ['["id0"]', "null", "1.0", "true", '{"id": "id0"}']:
        j.write_text(f'{{"train": ["id1", {item}], "val": ["id2", "id3"], "test": ["id4", "id5"]}}')
        with pytest.raises(NeuroseedError) as err:
            read_split_file(j, IDS)
        assert str(err.value).startswith(f"{j}: item 1 of 'train' is ") and "not an id" in str(
            err.value
        )


def test_a_split_tsv_with_quoted_fields_reads_the_ids_inside(tmp_path):
    """Spreadsheets and pandas quote fields ("id0"<TAB>"train"); the quotes are not the id's.
    Numeric ids given as JSON numbers are ids too (Greengenes' are numbers)."""
    t = tmp_path / "s.tsv"
    parts = ["train", "train", "val", "val", "test", "test"]
    t.write_text("".join(f'"{i}"\t"{p}"\n' for i, p in zip(IDS, parts, strict=False)))
    split = read_split_file(t, IDS[:6])
    assert split == {"train": IDS[:2], "val": IDS[2:4], "test": IDS[4:6]}
    j = tmp_path / "n.json"
    j.write_text('{"train": [11, 12], "val": [13, 14], "test": [15, 16]}')
    split = read_split_file(j, ["11", "12", "13", "14", "15", "16"])
    assert split["train"] == ["11", "12"]
