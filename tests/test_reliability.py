"""Bad input and faults through the whole workflow: one line naming the file or key, before any
job where possible, and nothing stale trusted or good output lost (docs/reliability.md)."""

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, copy_workflow, smk

pytestmark = pytest.mark.workflow

IDS = [f"r{i}" for i in range(12)]
TREE = "(((r0:1,r1:1):1,(r2:1,r3:1):1):1,((r4:1,r5:1):1,(r6:1,r7:1):1):1,((r8:1,r9:1):1,(r10:1,r11:1):1):1);"  # noqa: E501
SPLIT = "".join(
    f"{i}\t{p}\n" for i, p in zip(IDS, ["train"] * 6 + ["val"] * 3 + ["test"] * 3, strict=True)
)
TRAINED = "results/own/training/file/kmer-euclidean/seed0"


def own_sequences(n=12, length=150, seed=0):
    rng = np.random.default_rng(seed)
    root = rng.choice(list("ACGT"), size=length)
    out = []
    for _ in range(n):
        s = root.copy()
        s[rng.integers(0, length, size=10)] = rng.choice(list("ACGT"), size=10)
        out.append("".join(s))
    return out


def write_own(work: Path, **overrides) -> None:
    seqs = own_sequences()
    (work / "own.fasta").write_text("".join(f">{i}\n{s}\n" for i, s in zip(IDS, seqs, strict=True)))
    (work / "own.nwk").write_text(TREE + "\n")
    (work / "split.tsv").write_text(SPLIT)
    config = {
        "dataset": "own",
        "source": {"type": "fasta", "fasta": "own.fasta", "tree": "own.nwk", "n_sequences": None},
        "split": {"file": "split.tsv"},
        "training": {"encoders": ["kmer"], "distances": ["euclidean"]},
        "encoders": {"kmer": {"k": 3}},
        "threads": {"edit_distance": 1, "training": 1},
        **overrides,
    }
    (work / "own.yaml").write_text(json.dumps(config))


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    """A user FASTA with its own tree and split file, through to one trained model."""
    work = copy_workflow(tmp_path_factory.mktemp("own"))
    write_own(work)
    smk(
        work, "results/own/sequences/tree.nwk", f"{TRAINED}/model.keras", "--configfile", "own.yaml"
    )
    return work


@contextmanager
def edited(path: Path, content: str | bytes):
    """Edit a file in place, then put back its content and modification time."""
    before, stat = path.read_bytes(), path.stat()
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    try:
        yield
    finally:
        path.write_bytes(before)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def dry_run_jobs(work: Path, *targets: str) -> dict[str, str]:
    """rule name -> its 'reason:' line for every job a dry run would schedule."""
    out = smk(work, "-n", *targets, "--configfile", "own.yaml").stdout
    jobs, rule = {}, None
    for line in out.splitlines():
        if line.startswith("rule "):
            rule = line[5:].rstrip(":")
        elif line.strip().startswith("reason:") and rule:
            jobs[rule] = line.strip()
    return jobs


def test_a_finished_run_has_nothing_to_do(own_run):
    assert dry_run_jobs(own_run, "results/own/sequences/tree.nwk", f"{TRAINED}/model.keras") == {}


def test_editing_the_split_file_reruns_the_split_and_the_models(own_run):
    swapped = SPLIT.replace("r0\ttrain", "r0\tval").replace("r6\tval", "r6\ttrain")
    with edited(own_run / "split.tsv", swapped):
        jobs = dry_run_jobs(own_run, f"{TRAINED}/model.keras")
    assert set(jobs) == {"split_sequences", "train_model"}, jobs
    assert "split.tsv" in jobs["split_sequences"]


def test_editing_the_tree_reruns_its_pruning(own_run):
    with edited(own_run / "own.nwk", TREE.replace("(r0:1,r1:1)", "(r0:2,r1:1)") + "\n"):
        jobs = dry_run_jobs(own_run, "results/own/sequences/tree.nwk", f"{TRAINED}/model.keras")
    assert set(jobs) == {"prune_tree"}, jobs
    assert "own.nwk" in jobs["prune_tree"]


def test_a_model_deleted_under_the_workflow_is_restored_not_retrained(own_run):
    """What an interrupted retrain leaves (Snakemake deleted the outputs when the job began):
    the rerun restores the kept run, byte for byte, and the run is then up to date."""
    run = own_run / TRAINED
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    for name in before:
        (run / name).unlink()
    smk(own_run, f"{TRAINED}/model.keras", "--configfile", "own.yaml")
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    log = own_run / "results/own/logs/train_model/file/kmer-euclidean-seed0.log"
    assert "restored the outputs kept from a finished run" in log.read_text()
    assert dry_run_jobs(own_run, "results/own/sequences/tree.nwk", f"{TRAINED}/model.keras") == {}


def error_lines(proc) -> list[str]:
    return [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.startswith(("config:", "error in rule", "results/"))
    ]


def test_a_truncated_matrix_stops_the_run_before_any_job_deletes_models(own_run):
    """A damaged distances.npy (a full disk, a bad copy) is named before any job runs; the
    models downstream of it are kept, as is everything else."""
    matrix = own_run / "results/own/edit_distance/distances.npy"
    model = own_run / TRAINED / "model.keras"
    whole = matrix.read_bytes()
    with edited(matrix, whole[: len(whole) // 2]):
        proc = smk(own_run, f"{TRAINED}/model.keras", "--configfile", "own.yaml", check=False)
        assert proc.returncode != 0 and model.is_file()
    assert error_lines(proc) == [
        f"results/own/edit_distance/distances.npy: damaged ({len(whole) // 2} bytes where its "
        f"header (12, 12) needs {len(whole)}); delete it and run snakemake again (rule "
        "compute_edit_distance or merge_edit_distance rebuilds it)"
    ], proc.stderr


def test_a_split_file_naming_a_filtered_sequence_names_the_filter(tmp_path):
    work = copy_workflow(tmp_path)
    write_own(work)
    with open(work / "own.fasta", "a") as fh:
        fh.write(">tiny\nACGTA\n")  # under sequences.min_length (100)
    (work / "split.tsv").write_text(SPLIT + "tiny\ttrain\n")
    proc = smk(work, "results/own/splits/file.json", "--configfile", "own.yaml", check=False)
    assert error_lines(proc) == [
        "error in rule split_sequences: split.tsv: id 'tiny' in 'train' was removed by the "
        "sequence filters (5 nt, shorter than sequences.min_length 100); change the filter or "
        "leave the id out of the split"
    ], proc.stderr


@pytest.mark.parametrize(
    "config, message",
    [
        ({"dataset": ".."}, "config: dataset: '..' is not a usable name"),
        ({"split": {"val_fraction": float("nan")}}, "config: split.val_fraction: nan is not a "),
        (
            {"encoders": {"cnn": {"learning_rate": float("inf")}}},
            "config: encoders.cnn.learning_rate: inf",
        ),
    ],
)
def test_a_bad_config_fails_before_any_job_in_one_line(tmp_path, config, message):
    work = copy_workflow(tmp_path)
    # YAML, for .nan and .inf (JSON has neither)
    import yaml

    (work / "bad.yaml").write_text(yaml.safe_dump(config))
    before = sorted(p.name for p in work.iterdir())
    proc = smk(work, "--configfile", "config/config.yaml", "bad.yaml", check=False)
    assert proc.returncode != 0
    lines = error_lines(proc)
    assert len(lines) == 1 and lines[0].startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr
    # nothing written: no results/, nothing in the repository root (dataset '..')
    assert sorted(p.name for p in work.iterdir() if p.name != ".snakemake") == before


def test_job_scripts_import_the_checkouts_own_library(tmp_path):
    """Two checkouts side by side: each runs its own src/, not the installed neuroseed."""
    work = copy_workflow(tmp_path)
    shutil.copytree(ROOT / "src" / "neuroseed", work / "src" / "neuroseed")
    marker = tmp_path / "imported.txt"
    with open(work / "src" / "neuroseed" / "__init__.py", "a") as fh:
        fh.write(
            "\nimport sys as _sys\n"
            f"with open({str(marker)!r}, 'a') as _fh:\n"
            "    _fh.write(f'{__file__} {_sys.argv[0]}\\n')\n"
        )
    smk(work, "results/tiny/config.yaml", "--configfile", "tiny.yaml")
    lines = [line.split() for line in marker.read_text().splitlines()]
    # the job script (run from .snakemake/scripts/) imported this copy, as Snakemake itself did
    job = [module for module, program in lines if ".snakemake/scripts/" in program]
    assert job == [str(work / "src" / "neuroseed" / "__init__.py")], lines
