"""An interrupted retrain loses nothing: finished runs are kept and restored (neuroseed.kept)."""

import json
from pathlib import Path

import pytest
from conftest import ROOT, toy_stage_inputs

from neuroseed import io, training
from neuroseed.config import with_defaults
from neuroseed.settings import TrainSettings, settings_from_config


@pytest.fixture
def stage(tmp_path):
    """The training stage's inputs for a toy dataset, and a call of the stage on them."""
    import yaml

    inputs = toy_stage_inputs(tmp_path)
    config = with_defaults(yaml.safe_load((ROOT / "config/config.yaml").read_text()))
    run = tmp_path / "training/random-s1/kmer-euclidean/seed0"
    outputs = [run / "model.keras", run / "history.tsv", run / "metrics.json"]

    def call(k=3, keep_previous=True):
        config["encoders"]["kmer"]["k"] = k
        settings = TrainSettings(**settings_from_config(config, "kmer", "euclidean", 0))
        for out in outputs:  # as Snakemake does when a job starts
            out.unlink(missing_ok=True)
        training.run_stage(
            settings, *inputs, "random-s1", *map(str, outputs), threads=1,
            keep_previous=keep_previous,
        )  # fmt: skip
        return outputs

    return call, tmp_path


def no_training(*args, **kwargs):
    raise AssertionError("trained, where the kept run should have been restored")


def interrupted(*args, **kwargs):
    raise KeyboardInterrupt


def test_an_interrupted_retrain_keeps_the_previous_model_and_a_rerun_restores_it(
    stage, monkeypatch
):
    call, _ = stage
    first = {p.name: p.read_bytes() for p in call(k=3)}
    with monkeypatch.context() as m:  # a retrain with new settings, stopped half-way
        m.setattr(training, "train", interrupted)
        with pytest.raises(KeyboardInterrupt):
            call(k=4)
    with monkeypatch.context() as m:  # the config reverted: the previous run comes back
        m.setattr(training, "train", no_training)
        outputs = call(k=3)
    assert {p.name: p.read_bytes() for p in outputs} == first


def test_a_changed_input_or_setting_is_never_restored(stage, monkeypatch):
    call, work = stage
    call(k=3)
    monkeypatch.setattr(training, "train", no_training)
    with pytest.raises(AssertionError, match="trained"):
        call(k=4)  # another setting
    split = json.loads((work / "split.json").read_text())
    split["val"], split["test"] = split["test"], split["val"]
    io.write_json(work / "split.json", split)
    with pytest.raises(AssertionError, match="trained"):
        call(k=3)  # another input
    with pytest.raises(AssertionError, match="trained"):
        call(k=3, keep_previous=False)


def test_only_the_last_finished_run_is_kept(stage):
    call, _ = stage
    call(k=3)
    outputs = call(k=4)
    kept = [p for p in (outputs[0].parent / ".kept").iterdir()]
    assert len(kept) == 1
    assert (kept[0] / "model.keras").read_bytes() == outputs[0].read_bytes()
    assert sorted(p.name for p in kept[0].iterdir()) == sorted(
        ["complete", "history.tsv", "metrics.json", "model.keras"]
    )


def test_a_generation_cut_short_is_not_restored(stage, monkeypatch):
    call, _ = stage
    outputs = call(k=3)
    (next((outputs[0].parent / ".kept").iterdir()) / "complete").unlink()
    monkeypatch.setattr(training, "train", no_training)
    with pytest.raises(AssertionError, match="trained"):
        call(k=3)


def test_restored_outputs_are_newer_than_the_inputs(stage, monkeypatch):
    """Else Snakemake would see them outdated and rerun the job, forever."""
    call, work = stage
    call(k=3)
    for name in ("encoded.npz", "distances.npy", "split.json"):
        (work / name).touch()
    monkeypatch.setattr(training, "train", no_training)
    outputs = call(k=3)
    newest_input = max((work / n).stat().st_mtime for n in ("encoded.npz", "split.json"))
    assert all(Path(p).stat().st_mtime >= newest_input for p in outputs)
