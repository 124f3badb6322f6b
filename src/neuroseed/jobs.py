"""How the workflow's jobs run: the library they import, their threads and GPUs (for the rules),
and, for ``scripts/*.py``, logging into the rule's log and one-line errors on the console."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from neuroseed import NeuroseedError

# TensorFlow's C++ start-up chatter would drown the useful lines of a rule log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def prefer_checkout(src: str) -> None:
    """Job scripts import the library in ``src`` (this checkout's), not whichever ``neuroseed``
    the environment has installed: every job process inherits PYTHONPATH."""
    paths = [src, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def local_gpus() -> int:
    """NVIDIA GPUs this machine offers its jobs: those ``nvidia-smi -L`` lists, none when
    ``CUDA_VISIBLE_DEVICES`` hides them all."""
    import shutil
    import subprocess

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    listed = sum(line.startswith("GPU ") for line in out.splitlines())
    if visible is not None:
        listed = min(listed, len([d for d in visible.split(",") if d.strip()]))
    return listed


def gpu_limit(configured: int, cluster_jobs: int | None) -> int | None:
    """How many GPU jobs Snakemake itself lets run at once (its global ``gpu`` resource), or
    None for no limit. Training jobs always ask for ``training.gpu`` GPUs (on SLURM: sbatch
    ``--gpus``). Only a machine running them itself (``cluster_jobs``, Snakemake's ``--jobs``
    node count, unset) that has GPUs caps them at its count; a CPU-only one runs them side by
    side as the cores allow, and on a cluster the scheduler places them. Decided while the
    Snakefile is read, when the executor is not known yet: hence ``--jobs``, which Snakemake
    also reads as cluster submission (use ``--cores`` or ``--resources gpu=N`` locally)."""
    if not configured or cluster_jobs is not None:
        return None
    return local_gpus() or None


def training_threads(configured: int, cores: int | None, cluster_jobs: int | None) -> int:
    """Threads of a training job: ``threads.training``, and on a machine running the jobs
    itself (``--cores``, no ``--jobs``) at most half its cores, so that two training jobs run
    side by side. On 2 cores the default run took 559 s with two CNN jobs of one thread at once
    against 644 s with one job of two threads at a time (docs/benchmarks.md, "The default
    run"). On a cluster every job gets ``threads.training``."""
    if cluster_jobs is not None or not cores:
        return configured
    return max(1, min(configured, cores // 2))


def run(main: Callable[[Any], None], smk: Any) -> None:
    """Run ``main(snakemake)`` with stdout/stderr and logging sent to the rule's log file.

    A :class:`NeuroseedError` (bad input or configuration) ends the job with its message on one
    line, on the console and in the log; any other exception also leaves its traceback in the log.
    """
    console = os.fdopen(os.dup(2), "w")
    logfile = smk.log[0] if len(smk.log) else None
    if logfile:
        os.makedirs(os.path.dirname(logfile) or ".", exist_ok=True)
        fh = open(logfile, "w", buffering=1)
        sys.stdout.flush()
        sys.stderr.flush()
        # Redirect the file descriptors too, so Keras progress and C-level messages land in the log.
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    rule = getattr(smk, "rule", "script")
    try:
        main(smk)
    except NeuroseedError as exc:
        logging.getLogger(rule).error("%s", exc)
        print(f"error in rule {rule}: {exc}", file=console, flush=True)
        sys.exit(1)
    except OSError as exc:  # disk full, permissions, file-size limit: say which file
        logging.getLogger(rule).error("%s", traceback.format_exc())
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error in rule {rule}: {where}{exc.strerror or exc}", file=console, flush=True)
        sys.exit(1)
    except Exception as exc:
        logging.getLogger(rule).error("%s", traceback.format_exc())
        where = f" (traceback in {logfile})" if logfile else ""
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"error in rule {rule}: {type(exc).__name__}: {first}{where}", file=console, flush=True
        )
        sys.exit(1)
