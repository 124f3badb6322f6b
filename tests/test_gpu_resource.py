"""Training jobs declare a GPU only where one backs the declaration."""

import os
import subprocess

import pytest
from conftest import SNAKEMAKE, copy_workflow

from neuroseed.workflow import gpu_request, local_gpus


@pytest.fixture
def fake_gpus(tmp_path, monkeypatch):
    """A stand-in ``nvidia-smi`` listing ``n`` GPUs, first on PATH."""

    def install(n):
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        lines = "".join(f"echo 'GPU {k}: Fake GPU (UUID: GPU-{k})'\n" for k in range(n))
        (bin_dir / "nvidia-smi").write_text("#!/bin/sh\n" + lines)
        (bin_dir / "nvidia-smi").chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        return bin_dir

    return install


def test_local_gpus_counts_what_nvidia_smi_lists_and_cuda_visible_devices_allows(
    fake_gpus, monkeypatch
):
    fake_gpus(2)
    assert local_gpus() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert local_gpus() == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert local_gpus() == 0
    fake_gpus(0)
    assert local_gpus() == 0


def test_the_configured_request_holds_on_a_cluster_and_where_a_gpu_is(fake_gpus):
    fake_gpus(0)
    assert gpu_request(1, local_exec=True) == 0  # CPU-only machine: CPU jobs, side by side
    assert gpu_request(1, local_exec=False) == 1  # cluster nodes are not this machine
    fake_gpus(1)
    assert gpu_request(1, local_exec=True) == 1
    assert gpu_request(0, local_exec=True) == 0


def _declared_gpus(work, env):
    out = subprocess.run(
        [*SNAKEMAKE, "-n", "--cores", "2", "--configfile", "tiny.yaml"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    jobs = out.split("rule ")
    return {
        line.split("gpu=")[1].strip()
        for job in jobs
        if job.startswith("train_model:")
        for line in job.splitlines()
        if "resources:" in line
    }


@pytest.mark.workflow
def test_training_jobs_declare_a_gpu_only_on_a_machine_with_one(tmp_path, fake_gpus):
    """Without a GPU the profile's gpu resource no longer holds training jobs back."""
    (tmp_path / "work").mkdir()
    work = copy_workflow(tmp_path / "work")
    fake_gpus(1)
    with_gpu = {**os.environ}
    no_gpu = {**with_gpu, "CUDA_VISIBLE_DEVICES": ""}
    assert _declared_gpus(work, with_gpu) == {"1"}
    assert _declared_gpus(work, no_gpu) == {"0"}
