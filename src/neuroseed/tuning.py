"""Random hyperparameter search (keras-tuner) for one encoder and distance.

Trials train on the training part and are scored on the validation part (best epoch's
validation %RMSE); the test part is never looked at, so the test %RMSE of a run trained with
the chosen settings stays an honest estimate. The best settings are written as a config
fragment that ``--configfile`` feeds back into training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroseed import NeuroseedError
from neuroseed.artifacts import load_dataset
from neuroseed.io import atomic_path
from neuroseed.runtime import configure_backend
from neuroseed.settings import TrainSettings, for_distance

log = logging.getLogger(__name__)

OBJECTIVE = "val_rmse_pct"


def apply_trial(settings: TrainSettings, values: dict[str, Any]) -> TrainSettings:
    """``settings`` with a trial's values: top-level training fields or encoder ``hparams``."""
    top = {"learning_rate", "weight_decay", "clipnorm", "batch_size", "epochs"}
    fields = {k: v for k, v in values.items() if k in top}
    hparams = {**settings.hparams, **{k: v for k, v in values.items() if k not in top}}
    return replace(settings, **fields, hparams=hparams)


def state_key(settings: TrainSettings, space: dict[str, list], trials: int) -> str:
    """Short digest of everything a search depends on: its resumable state lives under it."""
    blob = json.dumps(
        {"settings": settings.__dict__, "space": space, "trials": trials},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def search(
    settings: TrainSettings,
    space: dict[str, list],
    trials: int,
    codes: np.ndarray,
    distances: np.ndarray,
    parts: dict[str, np.ndarray],
    length: int,
    state_dir: str | Path,
    alphabet_size: int = 4,
) -> pd.DataFrame:
    """Run ``trials`` random trials over ``space``; one row per trial (values and score).

    Finished trials are kept in ``state_dir`` (keras-tuner's own records), so an interrupted
    search resumes where it stopped.
    """
    # here, not above: plot_tuning reads trial tables without loading TensorFlow
    import keras
    import keras_tuner

    from neuroseed.training import fit_siamese

    hp = keras_tuner.HyperParameters()
    for name, values in space.items():
        hp.Choice(name, values)
    fit_parts = {"train": parts["train"], "val": parts["val"], "test": parts["val"][:0]}

    class Search(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            trial_settings = apply_trial(settings, trial.hyperparameters.values)
            keras.utils.set_random_seed(settings.seed)
            log.info("trial %s: %s", trial.trial_id, trial.hyperparameters.values)
            _, history, _ = fit_siamese(
                trial_settings, codes, distances, fit_parts, length, alphabet_size, verbose=2
            )
            score = float(history["val_rmse_pct"].min())
            if not math.isfinite(score):
                raise keras_tuner.errors.FailedTrialError(
                    f"trial {trial.trial_id}: validation %RMSE is not finite"
                )
            log.info("trial %s: validation %%RMSE %.4f", trial.trial_id, score)
            return {OBJECTIVE: score}

    tuner = Search(
        objective=keras_tuner.Objective(OBJECTIVE, direction="min"),
        max_trials=trials,
        seed=settings.seed,
        hyperparameters=hp,
        tune_new_entries=False,
        directory=str(state_dir),
        project_name=f"{settings.model}-{settings.distance}",
        overwrite=False,
        max_consecutive_failed_trials=trials,
    )
    tuner.search()
    rows = []
    for trial in tuner.oracle.trials.values():
        score = trial.score if trial.status == "COMPLETED" else float("nan")
        rows.append(
            {"trial": int(trial.trial_id), **trial.hyperparameters.values, OBJECTIVE: score}
        )
    if not rows or all(math.isnan(r[OBJECTIVE]) for r in rows):
        raise NeuroseedError(
            f"hyperparameter search {settings.model}+{settings.distance}: no trial finished"
        )
    table = pd.DataFrame(rows).sort_values("trial", ignore_index=True)
    table.insert(0, "distance", settings.distance)
    table.insert(0, "model", settings.model)
    return table


def collect_trials(paths: list[str]) -> pd.DataFrame:
    """Every trial of every searched encoder, one table."""
    return pd.concat([pd.read_csv(p, sep="\t") for p in paths], ignore_index=True)


def best_settings(trials: pd.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """The best trial's values as a config fragment: ``encoders.<name>.<setting>`` becomes
    ``{default: <configured value>, <distance>: <best>}``, so feeding it back with
    ``--configfile`` changes only the runs with that encoder and distance."""
    fragment: dict[str, Any] = {}
    for (model, distance), group in trials.groupby(["model", "distance"]):
        group = group.dropna(axis=1, how="all")  # settings searched for other encoders
        best = group.loc[group[OBJECTIVE].idxmin()]
        section = fragment.setdefault(model, {})
        configured = config["encoders"].get(model, {})
        for name in group.columns.drop(["model", "distance", "trial", OBJECTIVE]):
            value = best[name]
            value = value.item() if hasattr(value, "item") else value
            if isinstance(value, float) and group[name].map(float.is_integer).all():
                value = int(value)  # an integer setting read back as float next to NaN
            previous = configured.get(name, config["training"].get(name))
            rest = previous if isinstance(previous, dict) else {}
            section[name] = {**rest, "default": for_distance(previous, "default"), distance: value}
    return {"encoders": fragment}


def run_stage(
    settings: TrainSettings,
    space: dict[str, list],
    trials: int,
    encoded: str,
    distances_npy: str,
    split_json: str,
    trials_out: str,
    state_dir: str,
    threads: int,
) -> None:
    """The ``tuning`` stage: search one encoder + distance, write every trial's score."""
    configure_backend(threads, settings.seed)
    data = load_dataset(encoded, distances_npy, split_json)
    state = Path(state_dir) / state_key(settings, space, trials)
    table = search(
        settings,
        space,
        trials,
        data.codes,
        data.distances,
        data.parts,
        data.length,
        state,
        data.alphabet_size,
    )
    with atomic_path(trials_out) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
