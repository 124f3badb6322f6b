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
def test_geometry_and_training_under_backend(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (CI installs torch; `pip install {backend}`)")
    env = {**os.environ, "KERAS_BACKEND": backend}
    proc = subprocess.run(
        [sys.executable, str(CHECK)], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"backend {backend}: all checks passed" in proc.stderr
