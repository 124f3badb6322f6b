import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neuroseed import NeuroseedError
from neuroseed.edit_distance import (
    compute_tile,
    compute_to_file,
    distance_dtype,
    edit_distance_matrix,
    levenshtein_reference,
    merge_tiles,
    unique_sequences,
)
from neuroseed.tiles import row_bounds, tile_jobs

SRC = Path(__file__).resolve().parents[1] / "src"


def test_reference_dp_hand_values():
    assert levenshtein_reference("kitten", "sitting") == 3
    assert levenshtein_reference("", "ACG") == 3
    assert levenshtein_reference("ACGT", "ACGT") == 0


def test_matrix_matches_naive_dp_on_random_strings():
    rng = np.random.default_rng(7)
    seqs = ["".join(rng.choice(list("ACGTN"), size=rng.integers(0, 60))) for _ in range(25)]
    seqs += [seqs[3]]  # a duplicate gives a zero off the diagonal
    m = edit_distance_matrix(seqs, workers=2)
    ref = np.array([[levenshtein_reference(a, b) for b in seqs] for a in seqs])
    assert np.array_equal(m, ref)
    assert np.array_equal(m, m.T) and not np.diag(m).any()
    assert m.dtype == np.uint8


def test_distance_dtype_is_smallest_that_fits():
    assert distance_dtype(255) == np.uint8
    assert distance_dtype(2033) == np.uint16
    assert distance_dtype(70000) == np.uint32


def random_family(n, length, seed, dup_every=0):
    rng = np.random.default_rng(seed)
    root = rng.choice(list("ACGT"), size=length)
    seqs = []
    for k in range(n):
        if dup_every and k % dup_every == dup_every - 1:
            seqs.append(seqs[rng.integers(0, len(seqs))])
            continue
        s = root.copy()
        s[rng.integers(0, length, size=length // 10)] = rng.choice(list("ACGT"), size=length // 10)
        seqs.append("".join(s[: length - rng.integers(0, length // 5)]))
    return seqs


@pytest.mark.parametrize("block_size", [1, 3, 7, 1000])
def test_blocks_and_duplicates_give_the_exact_matrix(block_size):
    seqs = random_family(23, 40, seed=1, dup_every=4)
    assert len(set(seqs)) < len(seqs)
    ref = np.array([[levenshtein_reference(a, b) for b in seqs] for a in seqs])
    assert np.array_equal(edit_distance_matrix(seqs, workers=2, block_size=block_size), ref)


def test_unique_sequences_maps_back():
    uniq, inverse = unique_sequences(["AC", "GT", "AC", "T"])
    assert uniq == ["AC", "GT", "T"] and inverse.tolist() == [0, 1, 0, 2]


def test_file_engine_is_atomic_and_matches_memory(tmp_path):
    seqs = random_family(40, 60, seed=2, dup_every=5)
    out = tmp_path / "d.npy"
    compute_to_file(seqs, out, workers=2, block_size=8)
    assert np.array_equal(np.load(out), edit_distance_matrix(seqs))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npy"]


def test_stale_partial_from_other_input_is_not_reused(tmp_path):
    out = tmp_path / "d.npy"
    first = random_family(20, 50, seed=3)
    (tmp_path / ".d.npy.partial").write_bytes(b"garbage")
    (tmp_path / ".d.npy.progress").write_text('{"n": 20}\n0 0\n')
    compute_to_file(first, out, block_size=4)
    assert np.array_equal(np.load(out), edit_distance_matrix(first))


KILLED_RUN = """
import sys, numpy as np
sys.path.insert(0, {src!r})
from neuroseed.edit_distance import compute_to_file
seqs = [line.strip() for line in open({seqs!r})]
compute_to_file(seqs, {out!r}, workers=1, block_size=6)
"""


def test_killed_run_resumes_to_a_bit_identical_file(tmp_path, caplog):
    """kill -9 in the middle, rerun: completed blocks are kept and the file is identical."""
    seqs = random_family(150, 1500, seed=4, dup_every=7)
    (tmp_path / "seqs.txt").write_text("\n".join(seqs))
    out = tmp_path / "d.npy"
    progress = tmp_path / ".d.npy.progress"
    code = KILLED_RUN.format(src=str(SRC), seqs=str(tmp_path / "seqs.txt"), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if progress.exists() and len(progress.read_text().splitlines()) > 40:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not out.exists()
    done_before = len(progress.read_text().splitlines()) - 1
    assert done_before > 0

    with caplog.at_level(logging.INFO, logger="neuroseed.edit_distance"):
        compute_to_file(seqs, out, workers=2, block_size=6)
    assert f"{done_before} blocks already done" in caplog.text
    fresh = tmp_path / "fresh.npy"
    compute_to_file(seqs, fresh, workers=2, block_size=6)
    assert out.read_bytes() == fresh.read_bytes()
    assert not progress.exists()


DISK_FULL_RUN = """
import sys
from neuroseed import NeuroseedError
from neuroseed.edit_distance import compute_to_file
seqs = [line.strip() for line in open({seqs!r})]
try:
    compute_to_file(seqs, {out!r}, workers=1, block_size=64)
except NeuroseedError as exc:
    print(exc)
    sys.exit(1)
"""


def test_a_full_disk_fails_at_once_with_the_file_named(tmp_path, small_disk):
    """The memory map's space is reserved up front: a full disk is one line naming the file,
    not a SIGBUS mid-run (the matrix, 600 x 600 uint16, needs 720 kB of a 256 kB disk)."""
    seqs = random_family(600, 300, seed=5)
    (tmp_path / "seqs.txt").write_text("\n".join(seqs))
    out = small_disk / "distances.npy"
    code = DISK_FULL_RUN.format(seqs=str(tmp_path / "seqs.txt"), out=str(out))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])  # not -SIGBUS
    assert proc.stdout.strip() == (
        f"{out}: cannot reserve 0.7 MB for the edit-distance matrix (No space left on device); "
        "free space (or raise the file-size limit) and rerun"
    )
    assert not out.exists() and not (small_disk / ".distances.npy.partial").exists()


@pytest.mark.parametrize("blocks", [1, 2, 3, 4, 5, 8])
def test_tile_jobs_cover_the_upper_triangle_once_in_jobs_of_equal_size(blocks):
    jobs = tile_jobs(blocks)
    assert len(jobs) == blocks * (blocks - 1) // 2 + (blocks + 1) // 2
    tiles = [t for job in jobs for t in job]
    assert sorted(tiles) == [(i, j) for i in range(blocks) for j in range(i, blocks)]
    # a diagonal tile holds half the pairs of an off-diagonal one: two make a job, except the
    # middle one of an odd grid
    work = sorted(sum(0.5 if i == j else 1.0 for i, j in job) for job in jobs)
    alone = [0.5] if blocks % 2 else []  # the middle diagonal tile of an odd grid
    assert work == alone + [1.0] * (len(jobs) - len(alone))
    assert row_bounds(10, 4) == [0, 2, 5, 7, 10]


@pytest.mark.parametrize("blocks", [1, 3, 4, 7, 30, 60])
def test_tiles_merge_to_the_bytes_of_one_job(tmp_path, blocks):
    """Duplicates, blocks of unequal size, more blocks than distinct sequences (empty tiles)
    and sub-blocks inside tiles: the merged file is byte for byte the one-job file."""
    seqs = random_family(41, 50, seed=5, dup_every=4)
    one = tmp_path / "one.npy"
    compute_to_file(seqs, one, workers=2, block_size=5)
    tiles = [tmp_path / f"t{k}.npz" for k in range(len(tile_jobs(blocks)))]
    for job, path in enumerate(tiles):
        compute_tile(seqs, blocks, job, path, workers=2, block_size=4)
    merged = tmp_path / "merged.npy"
    merge_tiles(seqs, blocks, tiles, merged)
    assert merged.read_bytes() == one.read_bytes()
    assert not list(tmp_path.glob(".*"))  # no partial or temporary file left


def test_a_tile_of_other_sequences_is_refused_and_nothing_is_written(tmp_path):
    seqs = random_family(20, 30, seed=6)
    tiles = [tmp_path / f"t{k}.npz" for k in range(len(tile_jobs(2)))]
    for job, path in enumerate(tiles):
        compute_tile(seqs if job else seqs[::-1], 2, job, path)
    out = tmp_path / "d.npy"
    with pytest.raises(NeuroseedError, match=r"t0.npz: computed for other sequences .*rerun$"):
        merge_tiles(seqs, 2, tiles, out)
    assert not out.exists() and not list(tmp_path.glob(".*"))
    with pytest.raises(NeuroseedError, match="tile 3 does not exist with 2 blocks"):
        compute_tile(seqs, 2, 3, tmp_path / "t3.npz")
