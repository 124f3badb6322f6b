"""Random hyperparameter search: trial settings, scoring on validation, resuming, feed-back."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, toy_data

from neuroseed import training, tuning
from neuroseed.settings import defaults, settings_from_config, tuning_settings, tuning_space
from neuroseed.tuning import apply_trial, best_settings, search


def default_config():
    from neuroseed.config import with_defaults

    return with_defaults(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))


def test_trial_values_go_to_training_fields_or_encoder_settings():
    base = replace(defaults("cnn", "hyperbolic"), hparams={"channels": 32, "layers": 4})
    s = apply_trial(base, {"learning_rate": 0.003, "batch_size": 64, "channels": 16})
    assert (s.learning_rate, s.batch_size) == (0.003, 64)
    assert s.hparams == {"channels": 16, "layers": 4}
    assert base.hparams["channels"] == 32  # the base is not changed


def test_tuning_space_is_checked_against_the_encoder():
    config = default_config()
    assert set(tuning_space(config, "cnn")) == {
        "learning_rate",
        "channels",
        "kernel_size",
        "batch_size",
    }
    config["tuning"]["space"]["linear"]["filters"] = [8]
    with pytest.raises(ValueError, match="tuning.space.linear.filters: not a setting"):
        tuning_space(config, "linear")
    config["tuning"]["space"]["mlp"]["hidden_units"] = [64, 0.5]
    with pytest.raises(ValueError, match="one type"):
        tuning_space(config, "mlp")
    with pytest.raises(ValueError, match="no search space"):
        tuning_space(config, "gru")


def test_tuning_settings_use_the_tuning_epochs_and_seed():
    config = default_config()
    config["tuning"].update(epochs=3, seed=4)
    s = tuning_settings(config, "linear", "hyperbolic")
    assert (s["epochs"], s["seed"], s["weight_decay"]) == (3, 4, 0.3)
    config["tuning"]["epochs"] = None
    assert tuning_settings(config, "linear", "hyperbolic")["epochs"] == 20


def test_per_encoder_batch_size_overrides_the_training_one():
    config = default_config()
    assert settings_from_config(config, "mlp", "cosine", 0)["batch_size"] == 128
    config["encoders"]["mlp"]["batch_size"] = {"default": 128, "cosine": 64}
    assert settings_from_config(config, "mlp", "cosine", 0)["batch_size"] == 64
    assert "batch_size" not in settings_from_config(config, "mlp", "cosine", 0)["hparams"]


def test_best_settings_change_only_the_searched_distance():
    config = default_config()
    trials = pd.DataFrame(
        {
            "model": ["linear"] * 3,
            "distance": ["hyperbolic"] * 3,
            "trial": [0, 1, 2],
            "learning_rate": [0.001, 0.03, 0.01],
            "batch_size": [64, 256, 128],
            "val_rmse_pct": [3.0, 2.5, float("nan")],
        }
    )
    other = {"model": "cnn", "distance": "hyperbolic", "trial": 0, "channels": 16}
    trials = pd.concat([trials, pd.DataFrame([{**other, "val_rmse_pct": 2.0}])])
    fragment = best_settings(trials, config)["encoders"]
    assert fragment["cnn"] == {"channels": {"default": 32, "hyperbolic": 16}}
    assert isinstance(fragment["cnn"]["channels"]["hyperbolic"], int)
    best = fragment["linear"]
    # the configured mapping is kept, only the searched distance's entry is set
    configured = dict(config["encoders"]["linear"]["learning_rate"])
    assert best["learning_rate"] == {**configured, "hyperbolic": 0.03}
    assert configured["euclidean"] == 0.0001
    assert best["batch_size"] == {"default": 128, "hyperbolic": 256}
    config["encoders"]["linear"].update(best)
    for distance, lr, batch in [("hyperbolic", 0.03, 256), ("euclidean", 0.0001, 128)]:
        s = settings_from_config(config, "linear", distance, 0)
        assert (s["learning_rate"], s["batch_size"]) == (lr, batch)


def test_search_scores_on_validation_and_resumes(tmp_path, monkeypatch):
    codes, d, parts, length = toy_data()
    settings = defaults(
        model="linear", distance="hyperbolic", embedding_dim=8, epochs=2, partners=3, seed=1
    )
    space = {"learning_rate": [0.001, 0.01, 0.1], "batch_size": [8, 16]}
    seen = []
    fit = training.fit_siamese

    def spy(trial_settings, codes, distances, fit_parts, *args, **kwargs):
        seen.append(fit_parts)
        return fit(trial_settings, codes, distances, fit_parts, *args, **kwargs)

    monkeypatch.setattr(training, "fit_siamese", spy)
    table = search(settings, space, 3, codes, d, parts, length, tmp_path / "state")
    assert len(table) == 3 and len(seen) == 3
    assert table["val_rmse_pct"].map(math.isfinite).all()
    assert set(table.columns) == {
        "model",
        "distance",
        "trial",
        "learning_rate",
        "batch_size",
        "val_rmse_pct",
    }
    assert all(len(p["test"]) == 0 for p in seen)  # trials never see the test part
    assert np.array_equal(seen[0]["val"], parts["val"])
    again = search(settings, space, 3, codes, d, parts, length, tmp_path / "state")
    assert len(seen) == 3  # finished trials are not rerun
    pd.testing.assert_frame_equal(table, again)


def test_state_key_changes_with_the_space():
    s = defaults(model="linear", distance="cosine")
    assert tuning.state_key(s, {"a": [1]}, 2) != tuning.state_key(s, {"a": [2]}, 2)
