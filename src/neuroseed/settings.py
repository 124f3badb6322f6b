"""Training settings of one run from the workflow config.

Pure Python (no numpy, no Keras): ``rules/common.smk`` imports it while Snakemake parses the
workflow, also where the library's dependencies live only in a conda environment.
"""

from __future__ import annotations

from typing import Any


def for_distance(value, distance: str):
    """An ``encoders.<name>`` setting is a value or a mapping distance -> value with a default."""
    return value.get(distance, value["default"]) if isinstance(value, dict) else value


def settings_from_config(config: dict, encoder: str, distance: str, seed: int) -> dict[str, Any]:
    """The fields of one run's :class:`neuroseed.training.TrainSettings`, from the validated
    workflow config."""
    hparams = {k: for_distance(v, distance) for k, v in config["encoders"][encoder].items()}
    t = config["training"]
    return {
        "model": encoder,
        "distance": distance,
        "seed": seed,
        "embedding_dim": t["embedding_dim"],
        "batch_size": t["batch_size"],
        "partners": t["partners"],
        "patience": t["patience"],
        # kmer is fitted in closed form: no epochs, no optimiser
        "epochs": hparams.pop("epochs", 1),
        "learning_rate": hparams.pop("learning_rate", 0.0),
        "weight_decay": hparams.pop("weight_decay", 0.0),
        "clipnorm": hparams.pop("clipnorm", 0.0),
        "hparams": hparams,
    }
