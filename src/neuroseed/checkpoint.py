"""Training that resumes where it stopped: a killed 500-epoch run loses at most a minute.

A cluster's time limit, Ctrl-C or a crash would otherwise throw away hours of training, since
a training job starts from its first epoch. While a run trains, its state at the end of an
epoch (every variable of the model and the optimiser, the early-stopping state with its best
weights, the epochs' history, the start's weights and ranking, the seconds spent) is saved at
most once a minute to ``<run>/.checkpoint.npz``, atomically. The next job of the same run
continues after that epoch and ends exactly as an uninterrupted run would (the same weights,
history and metrics: each epoch's pairs are drawn from the seed and the epoch's number, and the
random generators' states are model variables). The checkpoint is deleted once the run's
outputs are saved.

A checkpoint is resumed only where its key (the run's settings, the content of every input, the
Keras version and backend) matches and every variable has the saved shape; the library's code
is recorded, not matched, so an update of the workflow between two jobs does not throw the
epochs away, and the run's ``metrics.json`` says where it resumed and whether the code changed
(``resumed``). Anything else is ignored with a warning and training starts afresh.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from neuroseed import paths
from neuroseed.io import atomic_path

NAME = paths.CHECKPOINT
EVERY_SECONDS = 60.0  # a save costs milliseconds, an epoch of the paper's CNN ~20 s on 2 cores
log = logging.getLogger(__name__)


@dataclass
class State:
    """A run's state after ``epoch`` finished epochs."""

    epoch: int
    rows: list[dict[str, float]]  # the history, one row per epoch
    model: list[np.ndarray]  # every model variable, random generators' states included
    optimizer: list[np.ndarray]
    best: float | None  # early stopping: best monitored value, its epoch, epochs since
    best_epoch: int
    wait: int
    best_weights: list[np.ndarray] | None
    start_weights: list[np.ndarray]
    start_ranking: float | None
    seconds: float  # training time spent before this job
    resumed: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Store:
    """Where a run's checkpoint lives and what it must match (``key``); ``code``: a digest of
    the library's code, recorded with each resume."""

    path: Path
    key: str
    code: str
    every: float = EVERY_SECONDS

    @classmethod
    def beside(cls, output: str | os.PathLike, key: str, code: str) -> Store:
        return cls(Path(output).parent / NAME, key, code, EVERY_SECONDS)

    def save(self, state: State) -> None:
        arrays = {}
        for name in ("model", "optimizer", "best_weights", "start_weights"):
            for i, a in enumerate(getattr(state, name) or []):
                arrays[f"{name}_{i}"] = np.asarray(a)
        meta = {
            "key": self.key,
            "code": self.code,
            "epoch": state.epoch,
            "rows": state.rows,
            "best": state.best,
            "best_epoch": state.best_epoch,
            "wait": state.wait,
            "has_best_weights": state.best_weights is not None,
            "start_ranking": state.start_ranking,
            "seconds": state.seconds,
            "resumed": state.resumed,
            "counts": {n: len(getattr(state, n) or []) for n in ("model", "optimizer")},
        }
        with atomic_path(self.path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)

    def load(self) -> State | None:
        """The saved state, or None (no checkpoint, another run's, or unreadable: said)."""
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta["key"] != self.key:
                    log.warning("%s: a checkpoint of other settings or inputs, ignored", self.path)
                    return None

                def arrays(name: str, n: int) -> list[np.ndarray]:
                    return [z[f"{name}_{i}"] for i in range(n)]

                n_model, n_opt = meta["counts"]["model"], meta["counts"]["optimizer"]
                n_weights = len([k for k in z.files if k.startswith("start_weights_")])
                return State(
                    epoch=int(meta["epoch"]),
                    rows=meta["rows"],
                    model=arrays("model", n_model),
                    optimizer=arrays("optimizer", n_opt),
                    best=meta["best"],
                    best_epoch=int(meta["best_epoch"]),
                    wait=int(meta["wait"]),
                    best_weights=(
                        arrays("best_weights", n_weights) if meta["has_best_weights"] else None
                    ),
                    start_weights=arrays("start_weights", n_weights),
                    start_ranking=meta["start_ranking"],
                    seconds=float(meta["seconds"]),
                    resumed=[*meta["resumed"], {"epoch": int(meta["epoch"]), "code": meta["code"]}],
                )
        except Exception as err:  # a cache: losing it costs time, never a result
            log.warning("%s: unreadable checkpoint ignored (%s)", self.path, err)
            return None

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def restore(state: State, model, optimizer) -> bool:
    """Put ``state``'s variables into ``model`` and its (built) ``optimizer``; False, with
    nothing changed, where the shapes differ (the saved run was another architecture)."""
    targets = [*model.variables, *optimizer.variables]
    saved = [*state.model, *state.optimizer]
    if len(targets) != len(saved) or any(
        tuple(v.shape) != a.shape for v, a in zip(targets, saved, strict=True)
    ):
        log.warning("a checkpoint of another model's shape, ignored")
        return False
    for v, a in zip(targets, saved, strict=True):
        v.assign(a)
    return True


class EarlyStopping(keras.callbacks.EarlyStopping):
    """Keras's early stopping that can continue from a checkpoint's state."""

    def __init__(self, state: State | None = None, **kwargs):
        super().__init__(**kwargs)
        self.state = state

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.state is not None:
            s = self.state
            self.best, self.best_epoch, self.wait = s.best, s.best_epoch, s.wait
            self.best_weights = s.best_weights


class Saver(keras.callbacks.Callback):
    """Saves the run's state after an epoch, at most every ``store.every`` seconds; the last
    callback of an epoch, so the validation, early-stopping and next epoch's pairs are in."""

    def __init__(self, store: Store, early: EarlyStopping, base: State):
        super().__init__()
        self.store, self.early, self.base = store, early, base
        self.began = self.last = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self.base.rows.append({k: float(v) for k, v in (logs or {}).items()})
        now = time.monotonic()
        # the epoch that stops training is never saved: a resume repeats it exactly
        if self.model.stop_training or now - self.last < self.store.every:
            return
        e = self.early
        state = State(
            epoch=epoch + 1,
            rows=self.base.rows,
            model=[keras.ops.convert_to_numpy(v) for v in self.model.variables],
            optimizer=[keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables],
            best=None if e.best is None else float(e.best),
            best_epoch=int(e.best_epoch),
            wait=int(e.wait),
            best_weights=e.best_weights,
            start_weights=self.base.start_weights,
            start_ranking=self.base.start_ranking,
            seconds=self.base.seconds + now - self.began,
            resumed=self.base.resumed,
        )
        self.store.save(state)
        self.last = time.monotonic()
