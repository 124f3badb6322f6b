"""The last finished training run's outputs, kept beside them: an interrupted retrain loses
nothing.

Snakemake deletes a job's outputs when the job starts, so a retrain stopped half-way (Ctrl-C, a
killed cluster job, a crash) would leave no model at all. Each finished run therefore also
keeps its outputs under ``<run>/.kept/<fingerprint>/`` (hard links: no extra space), and a job
whose fingerprint (its settings, the content of every input, the library's code and the Keras
backend) matches a kept one restores those outputs instead of training again. A changed input
or setting never matches, so nothing stale is reused; ``training.keep_previous: false``
always trains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from neuroseed.io import atomic_path, file_sha256

KEPT = ".kept"
DONE = "complete"  # written last: a generation without it was cut short and is never restored
log = logging.getLogger(__name__)


def fingerprint(
    settings: Any, inputs: Iterable[str | os.PathLike | None], code: bool = True
) -> str:
    """What a training run's outputs depend on: settings, input contents, backend and (with
    ``code``) the library's code."""
    import keras

    parts = {
        "settings": settings,
        "inputs": [None if p is None else file_sha256(p) for p in inputs],
        "code": code_digest() if code else None,
        "keras": [keras.__version__, keras.backend.backend()],
    }
    return _digest(parts)


def code_digest() -> str:
    """A digest of the library's code (every module of the package and its subpackages)."""
    return _digest([file_sha256(p) for p in sorted(Path(__file__).parent.rglob("*.py"))])


def _digest(parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def restore(outputs: Sequence[str | os.PathLike], key: str) -> bool:
    """Put the outputs kept under ``key`` back in place (fresh timestamps, so the next run
    sees them up to date); False when there are none."""
    kept = _folder(outputs, key)
    if not (kept / DONE).is_file() or not all((kept / Path(o).name).is_file() for o in outputs):
        return False
    for out in outputs:
        with atomic_path(out) as tmp:
            tmp.unlink(missing_ok=True)
            _link_or_copy(kept / Path(out).name, tmp)
        os.utime(out)
    log.info("restored the outputs kept from a finished run with the same inputs and settings")
    return True


def keep(outputs: Sequence[str | os.PathLike], key: str) -> None:
    """Keep the finished outputs under ``key`` and drop the generations kept before."""
    kept = _folder(outputs, key)
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir(parents=True)
    for out in outputs:
        _link_or_copy(Path(out), kept / Path(out).name)
    (kept / DONE).write_text("")
    for other in kept.parent.iterdir():
        if other != kept:
            shutil.rmtree(other, ignore_errors=True)


def _folder(outputs: Sequence[str | os.PathLike], key: str) -> Path:
    return Path(outputs[0]).parent / KEPT / key


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copyfile(src, dst)
