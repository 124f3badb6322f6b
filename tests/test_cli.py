"""The ``neuroseed`` command: embed and search with a trained model, and its errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from neuroseed.cli import main
from neuroseed.edit_distance import edit_distance_matrix
from neuroseed.encoding import encode
from neuroseed.training import TrainSettings, train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small CNN + hyperbolic model saved as the workflow saves it, with its sequences."""
    rng = np.random.default_rng(0)
    root = "".join(rng.choice(list("ACGT"), size=60))
    seqs = []
    for _ in range(30):
        s = list(root)
        for _ in range(rng.integers(1, 12)):
            s[rng.integers(0, len(s))] = rng.choice(list("ACGT"))
        seqs.append("".join(s[: 60 - rng.integers(0, 6)]))
    codes, _ = encode(seqs)
    d = edit_distance_matrix(seqs)
    parts = {"train": np.arange(20), "val": np.arange(20, 25), "test": np.arange(25, 30)}
    settings = TrainSettings(
        model="cnn",
        distance="hyperbolic",
        embedding_dim=8,
        batch_size=16,
        epochs=3,
        partners=5,
        learning_rate=0.01,
        hparams={"channels": 4, "layers": 2},
    )
    model, _, metrics = train(settings, codes, d, parts, codes.shape[1], verbose=0)
    out = tmp_path_factory.mktemp("model")
    model.save(out / "model.keras")
    (out / "metrics.json").write_text(json.dumps(metrics))
    (out / "refs.fasta").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(seqs[:25])))
    (out / "queries.fasta").write_text("".join(f">q{i}\n{s}\n" for i, s in enumerate(seqs[25:])))
    return out, seqs, model


def test_embed_matches_the_models_encoder(trained):
    out, seqs, model = trained
    assert (
        main(["embed", str(out / "model.keras"), str(out / "refs.fasta"), "-o", str(out / "e.npy")])
        == 0
    )
    emb = np.load(out / "e.npy")
    from neuroseed.models import split_siamese

    encoder, _ = split_siamese(model)
    codes, _ = encode(seqs[:25], encoder.input_shape[1])
    np.testing.assert_allclose(emb, encoder.predict(codes, verbose=0), rtol=1e-5, atol=1e-7)
    assert (out / "e.ids.txt").read_text().split() == [f"r{i}" for i in range(25)]


def test_search_ranks_by_estimate_and_reranks_exactly(trained):
    out, seqs, _ = trained
    args = ["search", str(out / "model.keras"), "--refs", str(out / "refs.fasta")]
    args += ["--query", str(out / "queries.fasta"), "-k", "3", "-o", str(out / "hits.tsv")]
    assert main(args) == 0
    import pandas as pd

    hits = pd.read_csv(out / "hits.tsv", sep="\t")
    assert len(hits) == 15 and list(hits["rank"][:3]) == [1, 2, 3]
    for _, group in hits.groupby("query"):
        assert group["estimated_ed"].is_monotonic_increasing

    assert main([*args[:-1], str(out / "exact.tsv"), "--rerank", "25"]) == 0
    exact = pd.read_csv(out / "exact.tsv", sep="\t")
    # re-ranking all 25 references is exact nearest-neighbour search
    for q in range(5):
        truth = sorted(edit_distance_matrix([seqs[25 + q], *seqs[:25]])[0, 1:])[:3]
        assert list(exact[exact["query"] == f"q{q}"]["exact_ed"]) == truth


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing", "model file not found"),
        ("alphabet", "invalid character 'X'"),
        ("too_long", "longer than the model's input"),
        ("no_metrics", "give it with --length"),
    ],
)
def test_bad_input_is_one_clear_error(trained, tmp_path, capsys, case, message):
    out, seqs, _ = trained
    model = out / "model.keras"
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGT\n")
    if case == "missing":
        model = tmp_path / "nope.keras"
    elif case == "alphabet":
        fasta.write_text(">a\nACGXACGT\n")
    elif case == "too_long":
        fasta.write_text(">a\n" + "A" * 500 + "\n")
    else:
        model = tmp_path / "model.keras"
        model.write_bytes((out / "model.keras").read_bytes())
    assert main(["embed", str(model), str(fasta), "-o", str(tmp_path / "e.npy")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("neuroseed embed: error:") and message in err[-1]
    assert not (tmp_path / "e.npy").exists()


def test_console_script_help():
    proc = subprocess.run(
        [sys.executable, "-m", "neuroseed.cli", "search", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--rerank" in proc.stdout
