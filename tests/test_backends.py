"""Distances and every encoder under the non-default Keras backends (torch, jax) when installed.

CI installs the CPU build of torch (.ci/run); each backend runs in its own process because
Keras fixes its backend at import.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).parent / "backends" / "check.py"


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_geometry_and_training_under_backend(backend, tmp_path):
    """... and the CNN it trained searches under TensorFlow (the default backend)."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (CI installs torch; `pip install {backend}`)")
    env = {**os.environ, "KERAS_BACKEND": backend}
    model = tmp_path / "model.keras"
    proc = subprocess.run(
        [sys.executable, str(CHECK), str(model)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"backend {backend}: all checks passed" in proc.stderr
    fasta = tmp_path / "seqs.fasta"
    seqs = ["ACGTACGTTGCAACGTAAGT", "TTGACCATGCAAGTCCATGA", "GGGCCCAATTGGCCAATTGG"]
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
    search = [sys.executable, "-m", "neuroseed.cli", "search", str(model), "--refs", str(fasta)]
    tf_env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    proc = subprocess.run(
        [*search, "--query", str(fasta), "-k", "1"], env=tf_env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    hits = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    assert [(h[0], h[2]) for h in hits] == [(f"s{i}", f"s{i}") for i in range(3)]
