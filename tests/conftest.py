import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
