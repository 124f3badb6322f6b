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
