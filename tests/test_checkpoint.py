"""A killed training run resumes after its last saved epoch (neuroseed.checkpoint)."""

import json
import logging

import numpy as np
import pytest
from conftest import toy_data, toy_stage_inputs

from neuroseed import checkpoint, training
from neuroseed.settings import defaults


def settings(
    model="linear", distance="hyperbolic", epochs=6, embedding_dim=8, learning_rate=0.02, **hparams
):
    return defaults(
        model=model,
        distance=distance,
        embedding_dim=embedding_dim,
        batch_size=8,
        epochs=epochs,
        partners=3,
        patience=3,
        learning_rate=learning_rate,
        seed=3,
        hparams=hparams,
    )


def killed_after(monkeypatch, epochs: int):
    """Training dies (as with Ctrl-C or a cluster's time limit) once ``epochs`` epochs ended."""
    save = checkpoint.Saver.on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        save(self, epoch, logs)
        if epoch + 1 == epochs:
            raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.Saver, "on_epoch_end", on_epoch_end)


def store(tmp_path, key="k"):
    return checkpoint.Store(tmp_path / checkpoint.NAME, key, "code", every=0.0)


@pytest.mark.parametrize(
    "run",
    [
        settings(),  # the sphere's learnable radius
        settings("mlp", "euclidean", hidden_units=8, dropout=0.3),  # a random generator's state
        settings("cnn", "square", channels=4, layers=2),
    ],
    ids=["linear-hyperbolic", "mlp-dropout", "cnn"],
)
def test_a_killed_run_resumes_and_ends_as_an_uninterrupted_one(tmp_path, monkeypatch, run):
    codes, d, parts, length = toy_data()
    model, history, metrics = training.train(run, codes, d, parts, length, verbose=0)
    with monkeypatch.context() as m:
        killed_after(m, 3)
        with pytest.raises(KeyboardInterrupt):
            training.train(run, codes, d, parts, length, verbose=0, store=store(tmp_path))
    assert (tmp_path / checkpoint.NAME).is_file()
    resumed = training.train(run, codes, d, parts, length, verbose=0, store=store(tmp_path))
    assert resumed[2]["resumed"] == [{"epoch": 3, "code": "code"}]
    assert metrics["resumed"] == []
    for a, b in zip(model.get_weights(), resumed[0].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert history.equals(resumed[1])
    for key in ("test_rmse_pct", "val_rmse_pct", "best_epoch", "epochs_run", "val_ranking"):
        assert metrics[key] == resumed[2][key], key


def test_early_stopping_continues_its_count_across_a_resume(tmp_path, monkeypatch):
    """Patience and the best weights come from the checkpoint: the run stops where an
    uninterrupted one stops and restores the same best epoch."""
    codes, d, parts, length = toy_data()
    run = settings(epochs=200, learning_rate=0.2)
    _, history, metrics = training.train(run, codes, d, parts, length, verbose=0)
    assert metrics["epochs_run"] < 200  # it did stop early
    with monkeypatch.context() as m:
        killed_after(m, metrics["epochs_run"] - 1)
        with pytest.raises(KeyboardInterrupt):
            training.train(run, codes, d, parts, length, verbose=0, store=store(tmp_path))
    _, resumed_history, resumed = training.train(
        run, codes, d, parts, length, verbose=0, store=store(tmp_path)
    )
    assert (resumed["epochs_run"], resumed["best_epoch"]) == (
        metrics["epochs_run"],
        metrics["best_epoch"],
    )
    assert resumed["test_rmse_pct"] == metrics["test_rmse_pct"]
    assert history.equals(resumed_history)


def test_a_checkpoint_of_other_settings_or_a_damaged_one_is_ignored(tmp_path, monkeypatch, caplog):
    codes, d, parts, length = toy_data()
    run = settings()
    with monkeypatch.context() as m:
        killed_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            training.train(run, codes, d, parts, length, verbose=0, store=store(tmp_path, "a"))
    with caplog.at_level(logging.WARNING):
        _, _, metrics = training.train(
            run, codes, d, parts, length, verbose=0, store=store(tmp_path, "b")
        )
    assert metrics["resumed"] == []
    assert "a checkpoint of other settings or inputs, ignored" in caplog.text
    (tmp_path / checkpoint.NAME).write_bytes(b"PK\x03\x04 cut short")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _, _, again = training.train(
            run, codes, d, parts, length, verbose=0, store=store(tmp_path, "b")
        )
    assert again["resumed"] == [] and again["test_rmse_pct"] == metrics["test_rmse_pct"]
    assert "unreadable checkpoint ignored" in caplog.text


def test_a_checkpoint_of_another_architecture_is_ignored(tmp_path, monkeypatch, caplog):
    codes, d, parts, length = toy_data()
    with monkeypatch.context() as m:
        killed_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            training.train(
                settings(embedding_dim=8), codes, d, parts, length, verbose=0,
                store=store(tmp_path),
            )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        _, _, metrics = training.train(
            settings(embedding_dim=4), codes, d, parts, length, verbose=0, store=store(tmp_path)
        )
    assert metrics["resumed"] == []
    assert "a checkpoint of another model's shape, ignored" in caplog.text


def test_the_training_stage_resumes_a_killed_job_and_then_drops_the_checkpoint(
    tmp_path, monkeypatch
):
    inputs = toy_stage_inputs(tmp_path)
    run = tmp_path / "training/random-s1/linear-hyperbolic/seed3"
    outputs = [str(run / n) for n in ("model.keras", "history.tsv", "metrics.json")]
    monkeypatch.setattr(checkpoint, "EVERY_SECONDS", 0.0)

    def stage():
        training.run_stage(
            settings(), *inputs, "random-s1", *outputs, threads=1,
            keep_previous=False,
        )  # fmt: skip

    with monkeypatch.context() as m:
        killed_after(m, 4)
        with pytest.raises(KeyboardInterrupt):
            stage()
    assert (run / checkpoint.NAME).is_file()
    stage()
    metrics = json.loads((run / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["resumed"]] == [4]
    assert not (run / checkpoint.NAME).exists()
