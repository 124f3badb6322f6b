"""Fixtures and helpers shared by the tests (import helpers with ``from conftest import ...``)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
WORKFLOW = ("Snakefile", "rules", "scripts", "config", "envs", "profiles", "report")


def copy_workflow(dest: Path, library: bool = False) -> Path:
    """The workflow (and with ``library`` its own copy of ``src/``) under ``dest``, with the
    tiny config; without ``library`` its jobs use this checkout's library."""
    for item in (*WORKFLOW, "src") if library else WORKFLOW:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=shutil.ignore_patterns("*.egg-info"))
        else:
            shutil.copy(src, dest / item)
    shutil.copy(ROOT / "tests" / "data" / "tiny.yaml", dest / "tiny.yaml")
    return dest


def smk(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``snakemake --cores 2 ARGS`` in ``workdir``; fails the test with its output unless
    ``check`` is off."""
    proc = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", *args], cwd=workdir, capture_output=True, text=True
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def relative(rng, root: str, low: int, high: int, trim: int = 0) -> str:
    """``root`` with ``low``..``high`` random substitutions (and up to ``trim`` bases cut off
    its end): a member of ``root``'s family."""
    s = list(root)
    for _ in range(rng.integers(low, high)):
        s[rng.integers(0, len(s))] = rng.choice(list("ACGT"))
    return "".join(s[: len(s) - rng.integers(0, trim)] if trim else s)


def toy_data(n=24, length=30, seed=0):
    """``n`` mutants of one random sequence: codes, edit distances, parts and length L."""
    from neuroseed.edit_distance import edit_distance_matrix
    from neuroseed.encoding import encode

    rng = np.random.default_rng(seed)
    root = "".join(rng.choice(list("ACGT"), size=length))
    seqs = []
    for _ in range(n):
        s = list(root)
        for _ in range(rng.integers(1, 8)):
            s[rng.integers(0, len(s))] = rng.choice(list("ACGT"))
        seqs.append("".join(s[: length - rng.integers(0, 4)]))
    codes, _ = encode(seqs)
    d = edit_distance_matrix(seqs)
    parts = {"train": np.arange(0, 14), "val": np.arange(14, 19), "test": np.arange(19, 24)}
    return codes, d, parts, codes.shape[1]


def toy_stage_inputs(folder: Path) -> list[str]:
    """The training stage's inputs (encoding, matrix, split) of :func:`toy_data` in ``folder``."""
    from neuroseed import io

    codes, d, parts, length = toy_data()
    ids = [f"s{i}" for i in range(len(codes))]
    np.savez_compressed(
        folder / "encoded.npz",
        ids=np.array(ids),
        codes=codes,
        lengths=np.full(len(codes), length),
        padded_length=length,
        alphabet_size=4,
    )
    io.save_npy(folder / "distances.npy", d.astype(np.uint16))
    io.write_json(folder / "split.json", {p: [ids[i] for i in parts[p]] for p in parts})
    return [str(folder / n) for n in ("encoded.npz", "distances.npy", "split.json")]


def toy_pool(codes, train):
    """A training pool for :func:`toy_data`: three mutants (10 % substitutions) of each of the
    ``train`` rows' sequences."""
    from neuroseed.encoding import decode, encode
    from neuroseed.sampling import TrainingPool

    train_seqs = decode(codes[train])
    rng = np.random.default_rng(5)
    pool_seqs = [
        "".join(rng.choice(list("ACGT")) if rng.random() < 0.1 else c for c in s)
        for s in train_seqs * 3
    ]
    pool_codes, _ = encode(pool_seqs, codes.shape[1])
    return TrainingPool(pool_codes, pool_seqs, train_seqs, workers=2)


@pytest.fixture
def fasta(tmp_path):
    """Write a FASTA file from ``(header, sequence)`` pairs and return its path."""

    def write(records, name="in.fasta"):
        path = tmp_path / name
        path.write_text("".join(f">{h}\n{s}\n" for h, s in records))
        return path

    return write


@pytest.fixture
def small_disk(tmp_path):
    """A 256 kB tmpfs: writing more fails with ENOSPC, as on a full disk (needs root)."""
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)
