"""Cluster resources of the heavy rules (neuroseed.capacity): sized from the input, per attempt."""

import numpy as np

from neuroseed import capacity


def write_fasta(path, n, length, width=60):
    seq = "ACGT" * (length // 4) + "A" * (length % 4)
    lines = []
    for i in range(n):
        lines.append(f">s{i}")
        lines += [seq[k : k + width] for k in range(0, length, width)]  # wrapped records
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_fasta_shape_counts_wrapped_records_and_rereads_a_changed_file(tmp_path):
    path = write_fasta(tmp_path / "a.fasta", 7, 130)
    assert capacity.fasta_shape(path) == (7, 130)
    write_fasta(tmp_path / "a.fasta", 3, 2000)
    import os

    os.utime(path, (1, 1))  # another version of the file: not the cached answer
    assert capacity.fasta_shape(path) == (3, 2000)


def test_edit_distance_grows_with_the_pairs_and_shrinks_with_threads(tmp_path):
    small = capacity.edit_distance(write_fasta(tmp_path / "s.fasta", 2000, 2000), 2)
    big = capacity.edit_distance(write_fasta(tmp_path / "b.fasta", 20000, 2000), 2)
    # memory: the uint16 matrix (8 MB -> 800 MB) on top of the job's base
    assert big["mem_mb"] - capacity.BASE_MB == 100 * (small["mem_mb"] - capacity.BASE_MB)
    assert big["mem_mb"] > 1.5 * 2 * 20000**2 / 1e6
    # gg2000 (2,000 x 2,033) took 53 s on 2 threads: the estimate leaves room, at least 10 min
    assert small["runtime"] == capacity.MIN_MINUTES
    assert 90 * 60 < big["runtime"] * 60 < 2 * 100 * 126e-6 * 20000**2 / 2 / 2 + 60
    assert capacity.edit_distance(str(tmp_path / "b.fasta"), 16)["runtime"] < big["runtime"] / 7


def test_a_tile_job_asks_for_its_share_and_the_merge_for_the_matrix(tmp_path):
    fasta = write_fasta(tmp_path / "b.fasta", 20000, 2000)
    one = capacity.edit_distance(fasta, 2)
    tile = capacity.edit_distance_tile(fasta, 2, 4)
    # a job of (N/4)^2 pairs: an eighth of the N^2/2 pairs, so an eighth of the time
    assert abs(tile["runtime"] * 8 - one["runtime"]) <= 8
    # up to two 5,000 x 5,000 uint16 tiles in memory (100 MB) on top of the base, not the matrix
    assert tile["mem_mb"] == capacity.BASE_MB + 150
    merge = capacity.merge_edit_distance(fasta, 4)
    assert merge["mem_mb"] > one["mem_mb"] and merge["runtime"] >= capacity.MIN_MINUTES


def test_training_counts_the_matrix_and_the_pool(tmp_path):
    np.save(tmp_path / "d.npy", np.zeros((3000, 3000), np.uint16))  # 18 MB
    plain = capacity.training(str(tmp_path / "d.npy"), 0, trained=True)
    pooled = capacity.training(str(tmp_path / "d.npy"), 97000, trained=True)
    assert plain["mem_mb"] == capacity.KERAS_MB + 19  # measured: 1.2 GB (kmer_net, gg2000)
    assert pooled["mem_mb"] - plain["mem_mb"] == 970  # measured: +0.53 GB for 77,000 more
    assert capacity.training(str(tmp_path / "d.npy"), 0, trained=False)["runtime"] == 30


def test_a_retry_asks_for_more(tmp_path):
    fasta = write_fasta(tmp_path / "a.fasta", 5000, 1500)

    def estimate(wildcards, input, threads):
        return capacity.edit_distance(input, threads)

    resources = capacity.per_attempt(estimate)
    first = {k: f(None, fasta, 2, 1) for k, f in resources.items()}
    assert first == capacity.edit_distance(fasta, 2)
    third = {k: f(None, fasta, 2, 3) for k, f in resources.items()}
    assert third == {k: 3 * v for k, v in first.items()}
