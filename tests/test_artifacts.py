"""Damaged artifacts are named with the rule that rebuilds them, never read as if whole."""

import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.artifacts import (
    check_dataset_artifacts,
    load_distances,
    load_encoded,
    npy_problem,
    npz_problem,
)


@pytest.fixture
def matrix(tmp_path):
    path = tmp_path / "distances.npy"
    np.save(path, np.arange(100, dtype=np.uint16).reshape(10, 10))
    return path


def test_a_whole_matrix_loads_memory_mapped(matrix):
    assert npy_problem(matrix) is None
    d = load_distances(matrix, 10)
    assert isinstance(d, np.memmap) and d[3, 4] == 34


def test_a_truncated_matrix_is_named_with_its_rule(matrix):
    data = matrix.read_bytes()
    matrix.write_bytes(data[:-50])
    assert npy_problem(matrix) == f"{len(data) - 50:,} bytes where its header (10, 10) needs 328"
    with pytest.raises(NeuroseedError) as err:
        load_distances(matrix, 10)
    assert str(err.value) == (
        f"{matrix}: damaged ({len(data) - 50:,} bytes where its header (10, 10) needs 328); "
        "delete it and run snakemake again "
        "(rule compute_edit_distance or merge_edit_distance rebuilds it)"
    )


@pytest.mark.parametrize(
    "content, what",
    [(b"", "not a numpy .npy file"), (b"\x93NUMPY\x01\x00\xff", "unreadable header")],
)
def test_garbage_is_not_a_matrix(matrix, content, what):
    matrix.write_bytes(content)
    assert npy_problem(matrix).startswith(what)


def test_a_matrix_of_another_dataset_is_rejected(matrix):
    with pytest.raises(NeuroseedError, match="matrix of 10 sequences, but the dataset has 12"):
        load_distances(matrix, 12)
    np.save(matrix, np.zeros((3, 4), dtype=np.uint8))
    with pytest.raises(NeuroseedError, match=r"shape \(3, 4\) is not a square matrix"):
        load_distances(matrix)
    np.save(matrix, np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(NeuroseedError, match="dtype float32 is not an unsigned integer"):
        load_distances(matrix)


def encoded(path, n=4, ids=None):
    np.savez_compressed(
        path,
        codes=np.zeros((n, 7), dtype=np.int8),
        lengths=np.full(n, 7, dtype=np.int32),
        ids=np.array(ids if ids is not None else [f"s{i}" for i in range(n)]),
        padded_length=np.int64(7),
    )
    return path


def test_encoded_loads_and_checks_its_arrays(tmp_path):
    path = encoded(tmp_path / "encoded.npz")
    assert npz_problem(path) is None and load_encoded(path)["codes"].shape == (4, 7)
    encoded(path, ids=["a", "b"])
    with pytest.raises(NeuroseedError, match=r"damaged \(codes \(4, 7\), 2 ids, 4 lengths\)"):
        load_encoded(path)


def test_a_truncated_encoding_is_named_with_its_rule(tmp_path):
    path = encoded(tmp_path / "encoded.npz")
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(NeuroseedError) as err:
        load_encoded(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: damaged (not a readable .npz archive")
    assert msg.endswith("delete it and run snakemake again (rule encode_sequences rebuilds it)")


def test_the_dataset_check_finds_a_damaged_artifact(tmp_path, monkeypatch, matrix):
    monkeypatch.chdir(tmp_path)
    check_dataset_artifacts("d")  # nothing there yet: fine
    folder = tmp_path / "results" / "d" / "edit_distance"
    folder.mkdir(parents=True)
    (folder / "distances.npy").write_bytes(matrix.read_bytes()[:-1])
    with pytest.raises(NeuroseedError, match="results/d/edit_distance/distances.npy: damaged"):
        check_dataset_artifacts("d")


def test_a_damaged_json_artifact_is_named(tmp_path):
    from neuroseed.io import read_json

    path = tmp_path / "metrics.json"
    path.write_text('{"test_rmse_pct": 2.')
    with pytest.raises(NeuroseedError) as err:
        read_json(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: damaged (not valid JSON: ")
    assert msg.endswith("delete it and run snakemake again (rule train_model rebuilds it)")


def test_a_json_artifact_nested_too_deeply_is_named_not_a_recursion_error(tmp_path):
    from neuroseed.io import read_json

    path = tmp_path / "metrics.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(NeuroseedError, match="metrics.json: damaged .not valid JSON: nested"):
        read_json(path)
