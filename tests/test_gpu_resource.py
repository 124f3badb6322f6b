"""Training jobs ask for training.gpu GPUs; only a machine with GPUs caps them at its count."""

import os
import subprocess

import pytest
from conftest import SNAKEMAKE, copy_workflow

from neuroseed.jobs import gpu_limit, local_gpus


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


def test_only_a_machine_running_gpu_jobs_itself_caps_them_at_its_gpus(fake_gpus):
    fake_gpus(2)
    assert gpu_limit(1, cluster_jobs=None) == 2
    assert gpu_limit(1, cluster_jobs=50) is None  # a cluster's nodes are not this machine
    assert gpu_limit(0, cluster_jobs=None) is None  # no GPU jobs
    fake_gpus(0)
    assert gpu_limit(1, cluster_jobs=None) is None  # CPU-only: side by side as cores allow


def _snakemake(work, env, *args, configs=("tiny.yaml",)) -> str:
    """Snakemake's output for the tiny config (and ``configs``) in ``work``, with ``env`` (2
    cores unless ``args`` name a profile)."""
    cores = [] if "--profile" in args else ["--cores", "2"]
    out = subprocess.run(
        [*SNAKEMAKE, *args, *cores, "--configfile", *configs],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout + out.stderr


def _declared_gpus(work, env, *args, configs=("tiny.yaml",)):
    out = _snakemake(work, env, "-n", *args, configs=configs)
    jobs = out.split("rule ")
    return {
        line.split("gpu=")[1].split(",")[0].strip()
        for job in jobs
        if job.startswith("train_model:")
        for line in job.splitlines()
        if "resources:" in line
    }


@pytest.fixture
def work(tmp_path):
    """A copy of the workflow with the tiny config."""
    (tmp_path / "work").mkdir()
    return copy_workflow(tmp_path / "work")


@pytest.mark.workflow
def test_training_jobs_ask_for_the_configured_gpus_wherever_they_run(work, fake_gpus):
    """The request is ``training.gpu`` here and on SLURM (``--gpus=1``), also when the
    submitting machine has no GPU (before: 0, so cluster jobs got no GPU)."""
    fake_gpus(0)
    env = {**os.environ}
    assert _declared_gpus(work, env) == {"1"}
    assert _declared_gpus(work, env, "--profile", "profiles/slurm") == {"1"}
    (work / "cpu.yaml").write_text("training: {gpu: 0}\n")
    assert _declared_gpus(work, env, configs=("tiny.yaml", "cpu.yaml")) == {"0"}


def test_the_workflow_profile_leaks_nothing_into_the_slurm_profile():
    """Snakemake applies ``profiles/default`` (the workflow profile) key by key on top of any
    ``--profile``: it must not undo the cluster's settings nor cap its GPU jobs."""
    import yaml
    from conftest import ROOT

    default = yaml.safe_load((ROOT / "profiles/default/config.yaml").read_text())
    slurm = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    merged = {**slurm, **default}
    assert merged["keep-going"] is True and merged["executor"] == "slurm"
    assert "resources" not in merged  # no global limit: the cluster places GPU jobs
    assert set(default) <= {"cores", "printshellcmds", "rerun-incomplete", "show-failed-logs"}


def _provided_gpus(work, env, *args):
    """The ``gpu`` limit a real (one small job) run of the workflow reports, or None."""
    import re

    (work / "results" / "tiny" / "config.yaml").unlink(missing_ok=True)
    out = _snakemake(work, env, "results/tiny/config.yaml", *args)
    found = re.search(r'gpu=(?:Resource\("gpu", )?(\d+)', out)
    return int(found.group(1)) if found else None


@pytest.mark.workflow
def test_a_machine_runs_as_many_gpu_jobs_at_once_as_it_has_gpus(work, fake_gpus):
    fake_gpus(2)
    env = {**os.environ}
    assert _provided_gpus(work, env) == 2
    assert _provided_gpus(work, env, "--resources", "gpu=8") == 8  # the user's limit holds
    assert _provided_gpus(work, {**env, "CUDA_VISIBLE_DEVICES": ""}) is None  # CPU jobs
    assert _provided_gpus(work, env, "--jobs", "4") is None  # read as cluster submission


def test_training_jobs_take_at_most_half_the_local_cores():
    """Two training jobs side by side on a machine running the jobs itself; a cluster job gets
    threads.training whatever the submitting machine has."""
    from neuroseed.jobs import training_threads

    assert training_threads(4, 2, None) == 1
    assert training_threads(4, 3, None) == 1
    assert training_threads(4, 16, None) == 4
    assert training_threads(4, 1, None) == 1
    assert training_threads(4, 2, 100) == 4  # --jobs: a cluster
    assert training_threads(4, None, None) == 4  # no --cores (a dry run)
