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
        "batch_size": hparams.pop("batch_size", t["batch_size"]),
        "partners": t["partners"],
        "patience": t["patience"],
        # kmer is fitted in closed form: no epochs, no optimiser
        "epochs": hparams.pop("epochs", 1),
        "learning_rate": hparams.pop("learning_rate", 0.0),
        "weight_decay": hparams.pop("weight_decay", 0.0),
        "clipnorm": hparams.pop("clipnorm", 0.0),
        "hparams": hparams,
    }


def search_space(config: dict, encoder: str) -> dict[str, list]:
    """``hparam_search.space.<encoder>``, checked: every searched setting is one the encoder
    has (or ``batch_size``) and lists values of one type."""
    space = config["hparam_search"]["space"].get(encoder)
    if not space:
        raise ValueError(f"hparam_search.space.{encoder}: no search space for encoder '{encoder}'")
    known = set(config["encoders"][encoder]) | {"batch_size"}
    for name, values in space.items():
        if name not in known:
            raise ValueError(
                f"hparam_search.space.{encoder}.{name}: not a setting of encoder '{encoder}' "
                f"(choose from {', '.join(sorted(known))})"
            )
        if len({type(v) for v in values}) != 1:
            raise ValueError(
                f"hparam_search.space.{encoder}.{name}: values must all be of one type"
            )
    return space


def search_settings(config: dict, encoder: str, distance: str) -> dict[str, Any]:
    """The base training settings of a hyperparameter search (trials change searched values)."""
    settings = settings_from_config(config, encoder, distance, config["hparam_search"]["seed"])
    epochs = config["hparam_search"]["epochs"]
    if epochs:
        settings["epochs"] = epochs
    return settings
