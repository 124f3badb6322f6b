"""Training settings of one run from the workflow config.

Pure Python (no numpy, no Keras): ``rules/common.smk`` imports it while Snakemake parses the
workflow, also where the library's dependencies live only in a conda environment. Every value
comes from the config, whose defaults are the schema's (:func:`defaults` for library use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuroseed.config import with_defaults
from neuroseed.registry import TRAINED


@dataclass
class TrainSettings:
    """One training run. No field has a default of its own: they come from the config."""

    model: str
    distance: str
    seed: int
    embedding_dim: int
    batch_size: int
    partners: int
    patience: int
    # None for an encoder fitted in closed form (kmer): no epochs, no optimiser
    epochs: int | None
    learning_rate: float | None
    weight_decay: float | None
    clipnorm: float | None
    hparams: dict[str, Any]
    # share of pool-training partners drawn among near relatives (training.pool.near)
    near_partners: float
    loss: str  # mse | relative
    groups: int  # 0: random pairs; N: all pairs within groups of N sequences


def for_distance(value, distance: str):
    """An ``encoders.<name>`` setting is a value or a mapping distance -> value with a default."""
    return value.get(distance, value["default"]) if isinstance(value, dict) else value


def seeds(config: dict, distance: str) -> list[int]:
    """The seeds of ``distance``'s runs (``training.seeds``: one list, or one per distance)."""
    return for_distance(config["training"]["seeds"], distance)


def settings_from_config(config: dict, encoder: str, distance: str, seed: int) -> dict[str, Any]:
    """The fields of one run's :class:`TrainSettings`, from the validated workflow config."""
    hparams = {k: for_distance(v, distance) for k, v in config["encoders"][encoder].items()}
    t = config["training"]
    near = t["pool"]["near"] if t["pool"]["size"] and encoder in TRAINED else 0.0
    return {
        "near_partners": float(near),
        "model": encoder,
        "distance": distance,
        "seed": seed,
        "embedding_dim": t["embedding_dim"],
        "batch_size": hparams.pop("batch_size", t["batch_size"]),
        "partners": t["partners"],
        "patience": t["patience"],
        "loss": t["loss"],
        "groups": t["groups"],
        # absent for an encoder fitted in closed form
        "epochs": hparams.pop("epochs", None),
        "learning_rate": hparams.pop("learning_rate", None),
        "weight_decay": hparams.pop("weight_decay", None),
        "clipnorm": hparams.pop("clipnorm", None),
        "hparams": hparams,
    }


def encoder_hparams(encoder: str, distance: str) -> dict[str, Any]:
    """The schema's default architecture settings of ``encoder`` with ``distance``."""
    return defaults(encoder, distance).hparams


def defaults(model: str, distance: str, **changes) -> TrainSettings:
    """The default settings of a run (the schema's, as in the workflow; the seed is the first
    of ``training.seeds``), with ``changes``; ``hparams`` given are merged into the encoder's."""
    config = with_defaults({})
    seed = changes.pop("seed", seeds(config, distance)[0])
    fields = settings_from_config(config, model, distance, seed)
    fields["hparams"].update(changes.pop("hparams", {}))
    return TrainSettings(**{**fields, **changes})


def tuning_space(config: dict, encoder: str) -> dict[str, list]:
    """``tuning.space.<encoder>``, checked: every searched setting is one the encoder
    has (or ``batch_size``) and lists values of one type."""
    space = config["tuning"]["space"].get(encoder)
    if not space:
        raise ValueError(f"tuning.space.{encoder}: no search space for encoder '{encoder}'")
    known = set(config["encoders"][encoder]) | {"batch_size"}
    for name, values in space.items():
        if name not in known:
            raise ValueError(
                f"tuning.space.{encoder}.{name}: not a setting of encoder '{encoder}' "
                f"(choose from {', '.join(sorted(known))})"
            )
        if len({type(v) for v in values}) != 1:
            raise ValueError(f"tuning.space.{encoder}.{name}: values must all be of one type")
    return space


def tuning_settings(config: dict, encoder: str, distance: str) -> dict[str, Any]:
    """The base training settings of a hyperparameter search (trials change searched values)."""
    settings = settings_from_config(config, encoder, distance, config["tuning"]["seed"])
    epochs = config["tuning"]["epochs"]
    if epochs:
        settings["epochs"] = epochs
    return settings
