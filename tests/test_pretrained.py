"""The pretrained 16S model shipped with the package (docs/pretrained.md)."""

import gzip
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from neuroseed.edit_distance import edit_distance_matrix
from neuroseed.io import read_fasta
from neuroseed.model_file import PRETRAINED, export_model, pretrained_names, read_identity
from neuroseed.sources import greengenes_paths

NAME = "greengenes16s"


def test_the_pretrained_model_is_shipped_small_and_knows_what_it_is():
    assert NAME in pretrained_names()
    path = PRETRAINED / f"{NAME}.keras"
    assert path.stat().st_size <= 25 * 2**20
    ident = read_identity(path)
    assert (ident.encoder, ident.distance, ident.split) == ("kmer_net", "manhattan", "random-s1")
    assert ident.padded_length == 2033 and ident.alphabet == "ACGT"


def training_ids():
    with gzip.open(PRETRAINED / f"{NAME}.training_ids.txt.gz", "rt") as fh:
        return set(fh.read().split())


def test_the_training_ids_are_shipped_beside_it():
    ids = training_ids()
    assert len(ids) == 21400  # gg2000's 1,400 training sequences + the 20,000 of the pool
    assert ids <= {r for r, _, _ in read_fasta(greengenes_paths()[0])}


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    """100 queries and 400 references from Greengenes records the model never saw in training
    (not in its shipped training ids), with their exact edit distances."""
    tmp = tmp_path_factory.mktemp("unseen")
    seen = training_ids()
    records = [r for r in read_fasta(greengenes_paths()[0]) if r[0] not in seen]
    records = [r for r in records if len(r[2]) <= 2033]
    pick = np.random.default_rng(7).choice(len(records), 500, replace=False)
    chosen = [records[i] for i in pick]
    queries, refs = chosen[:100], chosen[100:]
    for name, recs in (("q.fasta", queries), ("refs.fasta", refs)):
        (tmp / name).write_text("".join(f">{r}\n{s}\n" for r, _, s in recs))
    exact = edit_distance_matrix([s for _, _, s in queries] + [s for _, _, s in refs])
    return tmp, [r for r, _, _ in queries], [r for r, _, _ in refs], exact[:100, 100:]


def search(tmp, backend, *extra):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, "-m", "neuroseed.cli", "search", "--model", NAME, "-k", "10", *extra]
    cmd += ["--refs", str(tmp / "refs.fasta"), "--query", str(tmp / "q.fasta"), "--threads", "2"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    hits = {}
    for query, _rank, ref, *_ in rows:
        hits.setdefault(query, []).append(ref)
    return hits


def top(hits, query_ids, ref_ids, exact, k):
    """Share of queries with a unique true nearest reference found in the first k hits."""
    found = []
    for q, row in enumerate(exact):
        nearest = np.flatnonzero(row == row.min())
        if len(nearest) == 1:
            found.append(ref_ids[nearest[0]] in hits[query_ids[q]][:k])
    return np.mean(found)


def test_search_by_name_finds_the_nearest_exactly(unseen):
    tmp, query_ids, ref_ids, exact = unseen
    hits = search(tmp, "tensorflow")
    assert set(hits) == set(query_ids) and all(len(h) >= 10 for h in hits.values())
    # calibrated for 99.5 %: below 97 % of these ~100 queries means it broke
    assert top(hits, query_ids, ref_ids, exact, 1) >= 0.97


def test_approximate_search_by_name_finds_relatives_on_every_backend(unseen):
    tmp, query_ids, ref_ids, exact = unseen
    hits = search(tmp, "tensorflow", "--approx")
    assert set(hits) == set(query_ids) and all(len(h) == 10 for h in hits.values())
    # the model card's figure for this kind of search is ~0.96; far below means it broke
    assert top(hits, query_ids, ref_ids, exact, 10) >= 0.9
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch not installed: the cross-backend half is skipped (CI installs it)")
    torch_hits = search(tmp, "torch", "--approx")
    same = np.mean([torch_hits[q] == hits[q] for q in query_ids])
    assert same >= 0.95  # float32 arithmetic differs slightly between backends


def test_export_drops_the_optimizer_and_keeps_the_identity(tmp_path):
    source = PRETRAINED / f"{NAME}.keras"
    ident = export_model(source, tmp_path / "copy.keras")
    assert read_identity(tmp_path / "copy.keras") == ident == read_identity(source)
    assert (tmp_path / "copy.keras").stat().st_size <= source.stat().st_size * 1.01


def test_the_index_finds_what_brute_force_finds(unseen):
    """The count sketch + exact ranking of neuroseed.index against brute force, on the
    pretrained model's 4,161-wide manhattan embeddings (100 candidates of 400 references)."""
    from neuroseed import embedding_search
    from neuroseed import index as ref_index
    from neuroseed.model_file import resolve

    tmp, _, _, _ = unseen
    trained = embedding_search.load_model(resolve(NAME))
    refs = [s for _, _, s in read_fasta(tmp / "refs.fasta")]
    queries = [s for _, _, s in read_fasta(tmp / "q.fasta")]
    ref_emb, query_emb = (embedding_search.embed(trained, s) for s in (refs, queries))
    index = ref_index.build(
        ref_emb, list(map(str, range(400))), refs, "manhattan", trained.scale, 2033, "", 64
    )
    assert len(index.count_cols) == 4096 and index.sketch.shape == (400, 64)
    idx, est = ref_index.search(index, query_emb, 10, candidates=100)
    brute, brute_est = embedding_search.shortlist(trained, query_emb, ref_emb, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, brute, strict=True)])
    assert recall >= 0.97
    np.testing.assert_allclose(est[:, 0], brute_est[:, 0], rtol=1e-4)


@pytest.mark.parametrize(
    "place, ok",
    [
        ("random-s1/kmer_net-manhattan/seed0", True),
        ("random-s1/linear-euclidean/seed0", False),  # another run's model copied over
        ("random-s1/kmer_net-manhattan/seed1", False),
        ("distance-d2-s1/kmer_net-manhattan/seed0", False),
        ("random-s1/kmer_net-manhattan/dim16/seed0", True),  # not a training place: unchecked
    ],
)
def test_a_model_in_another_runs_place_is_refused(tmp_path, place, ok):
    """The model's identity (inside the file) must be the run its path names."""
    import shutil

    from neuroseed import NeuroseedError
    from neuroseed.model_file import check_place, resolve

    model = tmp_path / "training" / place / "model.keras"
    model.parent.mkdir(parents=True)
    shutil.copyfile(resolve("greengenes16s"), model)
    if ok:
        check_place(model)
    else:
        with pytest.raises(NeuroseedError, match="holds kmer_net\\+manhattan seed 0 .*its place"):
            check_place(model)


def test_a_model_of_other_data_in_the_right_place_is_refused():
    """Same encoder, distance, seed and split, but trained on other data (another dataset's
    model copied in): a shape error deep in Keras, or, for a k-mer model that reads any width,
    estimates scaled by the wrong L."""
    from neuroseed import NeuroseedError
    from neuroseed.model_file import check_fits, identity, resolve

    model = resolve("greengenes16s")
    own = identity(model)
    check_fits(model, own.input_width, own.padded_length, 4)
    other_data = [(152, 152, 4), (own.input_width, 152, 4), (own.input_width, own.padded_length, 5)]
    for width, length, alphabet in other_data:
        with pytest.raises(NeuroseedError, match="a model of other data; delete it"):
            check_fits(model, width, length, alphabet)
