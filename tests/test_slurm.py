"""Cluster execution on a real single-node SLURM cluster (slurm-wlm + munge on localhost).

Needs root to install and start the daemons; CI runs as root, so there it always runs.
"""

import filecmp
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, copy_workflow, smk

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


def slurm_command(*args: str) -> list[str]:
    return [
        sys.executable, "-m", "snakemake", "--profile", "profiles/slurm",
        "--default-resources", "slurm_partition=debug", "slurm_account=none",
        "mem_mb=1000", "runtime=10",
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--seconds-between-status-checks", "2",
        "--jobs", "4", "--retries", "0",
        *args,
    ]  # fmt: skip


def slurm_snakemake(work: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = slurm_command(*args)
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


def tile_dataset(work: Path, blocks: int) -> str:
    """1,000 Greengenes records, each followed by the reverse of its first half (~2,150 nt), so
    that a tile job computes for seconds and can be killed mid-run; a config cutting their
    matrix into ``blocks`` row blocks (tile jobs of one thread)."""
    from neuroseed.sequences import load_records
    from neuroseed.sources import greengenes_paths

    records = load_records(greengenes_paths()[0], 1000, 0)
    with open(work / "tiles.fasta", "w") as fh:
        for r in records:
            fh.write(f">{r.id}\n{r.sequence + r.sequence[::-1][: len(r.sequence) // 2]}\n")
    config = {
        "dataset": "tiles",
        "source": {"type": "fasta", "fasta": "tiles.fasta", "n_sequences": None},
        "edit_distance": {"blocks": blocks},
        "threads": {"edit_distance": 1},
    }
    (work / "tiles.yaml").write_text(json.dumps(config))
    return "tiles.yaml"


def kill_a_running_tile(work: Path, proc: subprocess.Popen, before: int) -> int:
    """``scancel`` the first tile job seen computing (its log names it); its tile number."""
    logs = work / "results" / "tiles" / "logs" / "edit_distance_tile"
    deadline, seen = time.monotonic() + 300, []
    while time.monotonic() < deadline and proc.poll() is None:
        for log in sorted(logs.glob("*.log")) if logs.exists() else ():
            text = log.read_text()
            if " of 8 " in text and "done in" not in text:
                tile = int(log.stem)
                seen = slurm_jobs_since(before)
                for job in seen:
                    if re.fullmatch(rf"rule_edit_distance_tile\S*\D{tile}", job["Comment"]):
                        subprocess.run(["scancel", job["JobID"]], check=True)
                        return tile
        time.sleep(0.1)
    raise AssertionError(f"no tile job was seen computing: {seen}")


def test_tiles_as_slurm_jobs_equal_one_job_and_a_killed_tile_reruns_alone(cluster, tmp_path):
    """``edit_distance.blocks: 4``: 8 tile jobs through sbatch and a merge give the same bytes as
    the one-job rule; a tile killed mid-run fails the run, the others' files stay, and the rerun
    submits that tile and the merge only."""
    target = "results/tiles/edit_distance/distances.npy"
    (tmp_path / "tiles").mkdir()
    (tmp_path / "one").mkdir()
    work = copy_workflow(tmp_path / "tiles")
    config = tile_dataset(work, blocks=4)
    before = max((int(j.split()[0]) for j in slurm_job_names()), default=0)
    cmd = slurm_command(target, "--configfile", config)
    with subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        killed = kill_a_running_tile(work, proc, before)
        output = proc.communicate(timeout=600)[0].decode()
    assert proc.returncode != 0, output[-3000:]
    tiles = work / "results" / "tiles" / "edit_distance" / "tiles"
    assert sorted(p.name for p in tiles.iterdir()) == sorted(
        f"{k}.npz" for k in range(8) if k != killed
    ), output[-3000:]
    assert not (work / target).exists()
    first = [j for j in slurm_jobs_since(before) if "edit_distance_tile" in j["Comment"]]
    assert len(first) == 8 and sum(j["State"] == "CANCELLED" for j in first) == 1, first

    middle = max(int(j["JobID"]) for j in slurm_jobs_since(before))
    proc = slurm_snakemake(work, target, "--configfile", config)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rerun = sorted(j["Comment"] for j in slurm_jobs_since(middle))
    assert rerun == [
        f"rule_edit_distance_tile_wildcards_tiles_{killed}",
        "rule_merge_edit_distance_wildcards_tiles",
    ], rerun
    assert not tiles.exists() or not any(tiles.iterdir())  # temporary: gone after the merge
    # and their absence asks for nothing
    assert "Nothing to be done" in smk(work, "-n", target, "--configfile", config).stdout

    one = copy_workflow(tmp_path / "one")
    tile_dataset(one, blocks=1)
    smk(one, target, "--configfile", config)
    assert filecmp.cmp(work / target, one / target, shallow=False)
