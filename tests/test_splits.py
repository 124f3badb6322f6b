import hashlib
import json

import pytest

from neuroseed import NeuroseedError
from neuroseed.splits import PARTS, random_split, read_split_file, split_indices, validate_split

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
    """With the gg2000 ids this reproduces the shared benchmark split byte for byte."""
    from neuroseed.sequences import greengenes_paths, load_records

    ids = [r.id for r in load_records(greengenes_paths()[0], 2000, 0)]
    split = random_split(ids, 0.1, 0.2, seed=1)
    assert hashlib.md5(json.dumps(split).encode()).hexdigest() == "cdea20486325b7b413f75d031eefbf74"


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
