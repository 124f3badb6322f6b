"""Cluster execution on a real single-node SLURM cluster (slurm-wlm + munge on localhost).

Needs root to install and start the daemons; CI runs as root, so there it always runs.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_workflow

CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"
pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(os.geteuid() != 0, reason="starting a SLURM cluster needs root"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    state = tmp_path_factory.mktemp("slurm-state")
    subprocess.run(["bash", str(CLUSTER), "start", str(state)], check=True, timeout=300)
    yield state
    subprocess.run(["bash", str(CLUSTER), "stop", str(state)], check=False, timeout=60)


def slurm_snakemake(work: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, "-m", "snakemake", "--profile", "profiles/slurm",
        "--default-resources", "slurm_partition=debug", "slurm_account=none",
        "mem_mb=1000", "runtime=10",
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--seconds-between-status-checks", "2",
        "--jobs", "4", "--retries", "0",
        *args,
    ]  # fmt: skip
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=600)


def slurm_job_names() -> list[str]:
    out = subprocess.run(
        ["squeue", "-t", "all", "-h", "-o", "%i %j %T"], capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def slurm_jobs_since(before: int) -> list[dict]:
    """SLURM's record of the jobs after job id ``before``: id, comment (Snakemake writes the
    rule there), state, GPUs and memory asked for, start and end."""
    fields = ("JobID", "Comment", "State", "tres-per-job", "MinMemory", "StartTime", "EndTime")
    out = subprocess.run(
        ["squeue", "-t", "all", "-h", "-O", ",".join(f"{f}:200|" for f in fields)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jobs = [
        dict(zip(fields, (v.strip() for v in line.split("|")), strict=False))
        for line in out.splitlines()
    ]
    return [j for j in jobs if int(j["JobID"]) > before]


def test_tiny_workflow_runs_through_slurm(cluster, tmp_path):
    """The default ``training.gpu: 1``: every training job asks SLURM for one GPU (the test
    cluster has two fake ones), the other jobs for none; GPU jobs run side by side."""
    work = copy_workflow(tmp_path)
    # one CPU per training job, so that two fit the test node's two CPUs (and two fake GPUs)
    (work / "one_thread.yaml").write_text(json.dumps({"threads": {"training": 1}}))
    before = max((int(j.split()[0]) for j in slurm_job_names()), default=0)
    # the stages and every training run, not the evaluation jobs (CI time): 13 SLURM jobs
    targets = [f"results/tiny/{p}" for p in ("figures/rmse.png", "figures/training_curves.pdf")]
    proc = slurm_snakemake(
        work,
        *targets,
        "results/tiny/sequences/tree.nwk",
        "--configfile",
        "tiny.yaml",
        "one_thread.yaml",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    res = work / "results" / "tiny"
    for path in (
        "figures/rmse.png",
        "figures/training_curves.pdf",
        "tables/rmse.tsv",
        "training/random-s1/cnn-hyperbolic/seed0/model.keras",
        "edit_distance/distances.npy",
        "sequences/tree.nwk",
    ):
        assert (res / path).stat().st_size > 0, path
    # every job went through sbatch: SLURM knows them, and each left a SLURM log with its job id
    jobs = [j for j in slurm_job_names() if int(j.split()[0]) > before]
    steps = re.findall(r"(\d+) of (\d+) steps \(100%\) done", proc.stdout + proc.stderr)
    assert steps, proc.stderr[-3000:]
    assert len(jobs) == int(steps[-1][1]) >= 11, (steps[-1], jobs)
    assert all("COMPLETED" in j for j in jobs), jobs
    logs = list((work / ".snakemake" / "slurm_logs").rglob("*.log"))
    ids_in_logs = {m for p in logs for m in re.findall(r"(\d+)\.log$", p.name)}
    ids_in_squeue = {j.split()[0] for j in jobs}
    assert ids_in_squeue <= ids_in_logs, (ids_in_squeue, ids_in_logs)
    assert any("train_model" in str(p) for p in logs)
    recorded = slurm_jobs_since(before)
    training = [j for j in recorded if "rule_train_model" in j["Comment"]]
    models = list((res / "training").glob("*/*/seed*/model.keras"))
    assert len(training) == len(models) >= 4, (training, models)
    assert all(j["tres-per-job"] == "gres:gpu:1" for j in training), [
        (j["Comment"][-30:], j["tres-per-job"]) for j in training
    ]
    # memory: the heavy rules' estimate from their input (neuroseed.capacity), others the default
    from neuroseed import capacity

    estimate = capacity.training(str(res / "edit_distance" / "distances.npy"), 0, True)
    assert {j["MinMemory"] for j in training} == {f"{estimate['mem_mb']}M"}, training
    others = [j for j in recorded if j not in training]
    assert others and all(j["tres-per-job"] in ("", "N/A") for j in others), others
    # nothing holds GPU jobs back beyond the cluster's own two GPUs: some ran at the same time
    spans = sorted((j["StartTime"], j["EndTime"]) for j in training)
    assert any(
        later[0] < earlier[1] for earlier, later in zip(spans[:-1], spans[1:], strict=True)
    ), spans


def test_failing_slurm_job_fails_the_workflow_and_names_its_log(cluster, tmp_path):
    work = copy_workflow(tmp_path)
    (work / "bad.fasta").write_text(">a\nACGTACGT\n>b\nACXTACGT\n")
    (work / "bad.yaml").write_text(
        json.dumps(
            {
                "dataset": "bad",
                "source": {"type": "fasta", "fasta": "bad.fasta", "n_sequences": None},
            }
        )
    )
    proc = slurm_snakemake(
        work, "results/bad/sequences/sequences.fasta", "--configfile", "bad.yaml"
    )
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "Error in rule prepare_sequences" in text
    assert "results/bad/logs/prepare_sequences.log" in text  # the rule's log, named
    assert re.search(r"slurm_logs/rule_prepare_sequences/\S+/\d+\.log", text), text[-3000:]
    assert "invalid character 'X'" in text  # show-failed-logs prints the log's one-line error
