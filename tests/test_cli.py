"""The ``neuroseed`` command: embed and search with a trained model, and its errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import relative

import neuroseed
from neuroseed.cli import main
from neuroseed.edit_distance import edit_distance_matrix
from neuroseed.encoding import encode
from neuroseed.settings import defaults
from neuroseed.training import train

BLAST6 = "qseqid sseqid pident length mismatch gapopen qstart qend sstart send evalue bitscore"
BLAST6 = BLAST6.split()


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
    settings = defaults(
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


def test_search_is_exact_by_default_and_approximate_on_request(trained):
    out, seqs, _ = trained
    args = ["search", str(out / "model.keras"), "--refs", str(out / "refs.fasta")]
    args += ["--query", str(out / "queries.fasta"), "-k", "3", "-o", str(out / "hits.tsv")]
    assert main([*args, "--approx"]) == 0
    import pandas as pd

    hits = pd.read_csv(out / "hits.tsv", sep="\t")
    assert list(hits.columns) == ["query", "rank", "reference", "estimated_ed"]
    assert len(hits) == 15 and list(hits["rank"][:3]) == [1, 2, 3]
    for _, group in hits.groupby("query"):
        assert group["estimated_ed"].is_monotonic_increasing

    for extra in ([], ["--rerank", "25"], ["--exhaustive"]):
        assert main([*args[:-1], str(out / "exact.tsv"), *extra]) == 0
        exact = pd.read_csv(out / "exact.tsv", sep="\t")
        assert list(exact.columns) == [
            "query",
            "rank",
            "reference",
            "exact_ed",
            "estimated_ed",
            "verified",
            "certified",
        ]
        for q in range(5):
            row = edit_distance_matrix([seqs[25 + q], *seqs[:25]])[0, 1:]
            third = sorted(row)[2]
            mine = exact[exact["query"] == f"q{q}"]
            # the 3 nearest and every reference tied with the third, ranks shared by ties
            assert list(mine["exact_ed"]) == sorted(row[row <= third])
            assert list(mine["rank"]) == [1 + sum(row < d) for d in mine["exact_ed"]]
            # 25 references: so few that every one is verified, so the answer is certified
            assert set(mine["verified"]) == {25} and set(mine["certified"]) == {"yes"}


def test_search_calibrates_its_stop_on_the_references(tmp_path, capsys, caplog):
    """With more references than EXHAUSTIVE_UP_TO the stop is calibrated leave-one-out on
    them, and the answer is still the exact nearest for (nearly) every query."""
    import logging

    import pandas as pd

    from neuroseed import embedding_search

    rng = np.random.default_rng(3)
    roots = ["".join(rng.choice(list("ACGT"), size=300)) for _ in range(30)]

    refs = [relative(rng, roots[i % 30], 5, 40, trim=20) for i in range(300)]
    queries = [relative(rng, roots[i], 5, 40, trim=20) for i in range(20)]
    (tmp_path / "r.fa").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(refs)))
    (tmp_path / "q.fa").write_text("".join(f">q{i}\n{s}\n" for i, s in enumerate(queries)))
    assert len(refs) > embedding_search.EXHAUSTIVE_UP_TO
    argv = ["search", "greengenes16s", "--refs", str(tmp_path / "r.fa")]
    argv += ["--query", str(tmp_path / "q.fa"), "-k", "1", "-o", str(tmp_path / "h.tsv")]
    with caplog.at_level(logging.INFO):
        assert main(argv) == 0
    assert "stop calibrated on 300 references searched leave-one-out" in caplog.text
    hits = pd.read_csv(tmp_path / "h.tsv", sep="\t")
    truth = edit_distance_matrix(queries + refs)[:20, 20:].min(1)
    found = hits.groupby("query")["exact_ed"].min().reindex([f"q{i}" for i in range(20)])
    assert (found.values == truth).mean() >= 0.95
    assert hits["verified"].max() < 300  # the stop came before every reference


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


def test_standard_error_holds_only_the_commands_lines(trained):
    """TensorFlow's start-up notices are hidden (--verbose shows them), --quiet leaves warnings
    and errors only, and --version says the version; the table is the same each way."""
    out, _, _ = trained
    search = [sys.executable, "-m", "neuroseed.cli", "search", str(out / "model.keras")]
    search += ["--refs", str(out / "refs.fasta"), "--query", str(out / "queries.fasta")]
    said = subprocess.run(search, capture_output=True, text=True)
    assert said.returncode == 0 and said.stdout.count("\n") >= 6, said.stderr
    lines = said.stderr.splitlines()
    assert lines and all(line.startswith("neuroseed: ") for line in lines), said.stderr
    quiet = subprocess.run([*search, "--quiet"], capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, said.stdout, "")
    version = subprocess.run(search[:3] + ["--version"], capture_output=True, text=True)
    assert version.stdout.strip() == f"neuroseed {neuroseed.__version__}"


def test_blast6_and_userfields_describe_the_same_hits(trained, capsys):
    """--outfmt blast6 rows (read as BLAST's -outfmt 6, the docs' pandas example) and
    --userfields give the default table's hits and exact edit distances."""
    import io

    import pandas as pd

    out, _, _ = trained
    search = ["search", str(out / "model.keras"), "--refs", str(out / "refs.fasta")]
    search += ["--query", str(out / "queries.fasta"), "-k", "3"]
    tables = {}
    for name, extra in [
        ("tsv", []),
        ("blast6", ["--outfmt", "blast6"]),
        ("user", ["--userfields", "query+target+ed+id+alnlen"]),
    ]:
        assert main([*search, *extra]) == 0
        tables[name] = capsys.readouterr().out
    tsv = pd.read_csv(io.StringIO(tables["tsv"]), sep="\t")
    blast = pd.read_csv(io.StringIO(tables["blast6"]), sep="\t", header=None, names=BLAST6)
    user = pd.read_csv(
        io.StringIO(tables["user"]),
        sep="\t",
        header=None,
        names=["query", "target", "ed", "id", "alnlen"],
    )
    assert len(tsv) == len(blast) == len(user) >= 15
    assert list(blast.qseqid) == list(tsv["query"]) and list(blast.sseqid) == list(tsv.reference)
    assert list(user.ed) == list(tsv.exact_ed)
    ids = 100 * (blast.length - tsv.exact_ed) / blast.length
    assert np.allclose(blast.pident, ids.round(1)) and np.allclose(user.id, ids.round(1))
    assert (blast.evalue == -1).all() and (blast.bitscore == 0).all() and (blast.qstart == 1).all()


def _one_line_error(capsys, argv):
    """Run the command, expecting exit code 1 and one error line, no traceback; the line."""
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("neuroseed") for line in err), err
    assert err[-1].startswith(f"neuroseed {argv[0]}: error:")
    return err[-1]


def _model_copy(trained, tmp_path):
    out, _, _ = trained
    model = tmp_path / "model.keras"
    model.write_bytes((out / "model.keras").read_bytes())
    return model


@pytest.mark.parametrize(
    "metrics, problem",
    [
        ("{not json", "not valid JSON"),
        ('{"epochs": 3}', "no integer padded_length"),
        ("[60]", "no integer padded_length"),
    ],
    ids=["not_json", "no_key", "not_an_object"],
)
def test_bad_metrics_json_is_one_line(trained, tmp_path, capsys, metrics, problem):
    model = _model_copy(trained, tmp_path)
    (tmp_path / "metrics.json").write_text(metrics)
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGT\n")
    line = _one_line_error(capsys, ["embed", str(model), str(fasta), "-o", str(tmp_path / "e.npy")])
    assert f"{tmp_path / 'metrics.json'}: {problem}" in line and "--length" in line


@pytest.mark.parametrize("content", ["truncated", "garbage", "empty"])
def test_unreadable_model_file_says_so(trained, tmp_path, capsys, content):
    out, _, _ = trained
    data = (out / "model.keras").read_bytes()
    model = tmp_path / "model.keras"
    model.write_bytes(
        {"truncated": data[: len(data) // 2], "garbage": b"hello\n" * 50}.get(content, b"")
    )
    line = _one_line_error(capsys, ["embed", str(model), str(tmp_path / "in.fa"), "-o", "e.npy"])
    assert f"{model}: not a readable .keras file (truncated or not a zip archive)" in line
    assert "File not found" not in line


def test_foreign_keras_model_is_not_neuroseed(tmp_path, capsys):
    import keras

    model = tmp_path / "other.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).save(model)
    line = _one_line_error(capsys, ["embed", str(model), str(tmp_path / "in.fa"), "-o", "e.npy"])
    assert f"{model}: " in line and "no NeuroSEED encoder and distance head" in line


def _double(x):
    return x * 2


def _edit_config(source, target, config: bytes) -> None:
    """Copy a .keras archive with its config.json replaced."""
    import zipfile

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, config if item.filename == "config.json" else zin.read(item))


@pytest.mark.parametrize(
    "case", ["lambda", "lambda_function", "config_nonsense", "config_list", "config_not_json"]
)
def test_unsafe_or_malformed_keras_file_is_one_line(trained, tmp_path, capsys, case):
    import keras

    out, _, _ = trained
    model = tmp_path / "model.keras"
    if case.startswith("lambda"):
        function = (lambda x: x * 2) if case == "lambda" else _double
        keras.Sequential([keras.Input((4,)), keras.layers.Lambda(function)]).save(model)
    else:
        config = {
            "config_nonsense": b'{"class_name": "Nonsense", "config": 42}',
            "config_list": b"[1, 2, 3]",
            "config_not_json": b"not json",
        }[case]
        _edit_config(out / "model.keras", model, config)
    line = _one_line_error(capsys, ["embed", str(model), str(tmp_path / "in.fa"), "-o", "e.npy"])
    assert f"{model}: not a loadable Keras model (" in line and "NeuroSEED workflow" in line
    # safe loading stays on, and the command does not suggest turning it off
    assert "safe_mode" not in line and len(line) < 400


@pytest.mark.parametrize("command", ["embed", "search"])
@pytest.mark.parametrize("where", ["directory", "under_a_file", "read_only"])
def test_unusable_output_is_one_line(trained, tmp_path, capsys, monkeypatch, command, where):
    import os

    out, _, _ = trained
    (tmp_path / "afile").write_text("")
    (tmp_path / "outdir").mkdir()
    output = tmp_path / {"directory": "outdir", "under_a_file": "afile/x.out"}.get(where, "")
    if where == "read_only":
        output = tmp_path / "outdir" / "new" / "x.out"
        (tmp_path / "outdir").chmod(0o500)
        # root may write anywhere: make the check see the directory as others would
        access = os.access
        monkeypatch.setattr(os, "access", lambda p, m: p != tmp_path / "outdir" and access(p, m))
    argv = [command, str(out / "model.keras"), "-o", str(output)]
    refs = str(out / "refs.fasta")
    argv += [refs] if command == "embed" else ["--refs", refs, "--query", refs]
    try:
        line = _one_line_error(capsys, argv)
    finally:
        (tmp_path / "outdir").chmod(0o700)
    afile, outdir = tmp_path / "afile", tmp_path / "outdir"
    expected = {
        "directory": f"{output}: is a directory; give a file name",
        "under_a_file": f"{output}: {afile} is not a directory; give -o in a directory",
        "read_only": f"{output}: {outdir} is not writable; give -o in another directory",
    }[where]
    assert line.endswith(f"error: {expected}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "outdir"]
    assert not any((tmp_path / "outdir").iterdir())


@pytest.mark.parametrize("command", ["embed", "search"])
def test_a_failed_write_names_the_output_not_a_temporary_file(
    trained, tmp_path, capsys, command, monkeypatch
):
    import neuroseed.io

    def refuse(path, *args):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".tmp123"))

    monkeypatch.setattr(neuroseed.io, "save_npy", refuse)
    monkeypatch.setattr(neuroseed.io, "write_text", refuse)
    out, _, _ = trained
    output = str(tmp_path / "result")
    refs = str(out / "refs.fasta")
    argv = [command, str(out / "model.keras"), "-o", output]
    argv += [refs] if command == "embed" else ["--refs", refs, "--query", refs]
    line = _one_line_error(capsys, argv)
    assert f"error: {output}: cannot write (Permission denied); give another -o" in line
    assert ".tmp123" not in line


def test_any_os_error_is_one_line_naming_the_file(trained, tmp_path, capsys, monkeypatch):
    import neuroseed.embedding_search

    def unreadable(path, width):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(neuroseed.embedding_search, "read_sequences", unreadable)
    out, _, _ = trained
    fasta = str(out / "refs.fasta")
    line = _one_line_error(capsys, ["embed", str(out / "model.keras"), fasta, "-o", "e.npy"])
    assert line == f"neuroseed embed: error: {fasta}: Permission denied"


@pytest.mark.parametrize("length", ["0", "-5"])
def test_a_normaliser_that_is_not_a_length_is_refused(trained, tmp_path, capsys, length):
    model = _model_copy(trained, tmp_path)
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGT\n")
    argv = ["embed", str(model), str(fasta), "-o", str(tmp_path / "e.npy"), "--length", length]
    line = _one_line_error(capsys, argv)
    assert f"--length: the normaliser L must be a positive length, not {length}" in line


@pytest.mark.parametrize(
    "args, message",
    [
        (["-k", "0"], "-k, --limit, --candidates and --probe must be at least 1"),
        (["--limit", "0"], "-k, --limit, --candidates and --probe must be at least 1"),
        (["--candidates", "0"], "-k, --limit, --candidates and --probe must be at least 1"),
        (["--probe", "0"], "-k, --limit, --candidates and --probe must be at least 1"),
        (["--rerank", "0"], "--rerank must be at least 1"),
        (["--recall", "1.5"], "--recall must be a probability between 0 and 1, not 1.5"),
        (["--userfields", "query+pid"], "--userfields: unknown field 'pid' (fields: query+"),
        (["--approx", "--userfields", "query+ed"], "--userfields ed: need the exact search"),
        (["--approx", "--outfmt", "blast6"], "--outfmt blast6 reports alignments, which --approx"),
        (["--outfmt", "blast6", "--userfields", "query"], "give --outfmt or --userfields, not"),
    ],
)
def test_search_counts_must_be_sensible(trained, tmp_path, capsys, args, message):
    model = _model_copy(trained, tmp_path)
    (tmp_path / "metrics.json").write_text('{"padded_length": 60}')
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGT\n")
    argv = ["search", str(model), "--refs", str(fasta), "--query", str(fasta)]
    line = _one_line_error(capsys, [*argv, "-o", str(tmp_path / "h.tsv"), *args])
    assert message in line


def _identity(model, **changes):
    from neuroseed.model_file import Identity

    fields = dict(
        encoder="cnn",
        distance="hyperbolic",
        seed=0,
        padded_length=60,
        input_width=int(model.input_shape[0][1]),
        alphabet="ACGT",
        embedding_dim=8,
        split="random-s1",
        neuroseed_version="test",
        keras_backend="tensorflow",
    )
    return Identity(**{**fields, **changes})


def test_a_model_with_its_identity_needs_nothing_beside_it(trained, tmp_path, caplog):
    """A model written by the workflow carries L inside: copied alone, it still searches."""
    from neuroseed.model_file import labels, save_model

    out, seqs, model = trained
    alone = tmp_path / "alone" / "model.keras"
    save_model(model, alone, _identity(model, padded_length=77))
    assert labels(alone) == {"model": "cnn", "distance": "hyperbolic", "seed": 0}
    hits = tmp_path / "hits.tsv"
    argv = ["search", str(alone), "--refs", str(out / "refs.fasta"), "--query"]
    caplog.set_level("INFO")
    assert main([*argv, str(out / "queries.fasta"), "-k", "2", "-o", str(hits)]) == 0
    assert "L = 77" in caplog.text  # from the identity, not a metrics.json


@pytest.mark.parametrize("problem", ["aligned", "damaged", "nothing"])
def test_a_model_that_cannot_say_what_it_is_is_one_line(trained, tmp_path, capsys, problem):
    import zipfile

    from neuroseed import NeuroseedError
    from neuroseed.model_file import IDENTITY, labels, save_model

    _, _, model = trained
    path = tmp_path / "model.keras"
    if problem == "aligned":
        save_model(model, path, _identity(model, alphabet="ACGT-"))
    elif problem == "damaged":
        model.save(path)
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(IDENTITY, "{not json")
    else:
        model.save(path)  # plain Keras: no identity, no metrics.json beside
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGT\n")
    if problem == "nothing":
        with pytest.raises(NeuroseedError, match="no neuroseed.json inside .* retrain it"):
            labels(path)
        return
    line = _one_line_error(capsys, ["embed", str(path), str(fasta), "-o", str(tmp_path / "e.npy")])
    expected = {
        "aligned": "the model reads MAFFT-aligned input",
        "damaged": f"{path}: its {IDENTITY} is damaged (JSONDecodeError)",
    }[problem]
    assert expected in line


def test_a_length_that_contradicts_the_models_own_is_refused(tmp_path, capsys):
    """The L stored in a model is what it was trained with: ``--length`` may not override it
    (it would scale every estimate wrongly without a word); the same value is accepted."""
    from neuroseed.model_file import read_identity, resolve

    stored = read_identity(resolve("greengenes16s")).padded_length
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGTACGTACGTACGT\n")
    argv = ["embed", "greengenes16s", str(fasta), "-o", str(tmp_path / "e.npy")]
    line = _one_line_error(capsys, [*argv, "--length", "100"])
    assert "--length 100: " in line and f"trained with L = {stored}" in line
    assert "leave --length out" in line and not (tmp_path / "e.npy").exists()
    assert main([*argv, "--length", str(stored)]) == 0


def test_an_output_that_is_an_input_a_link_or_a_device_is_refused(tmp_path, capsys):
    """``-o`` never destroys an input of the same command (by any name for it) and never
    replaces a link or a device with a regular file."""
    refs = tmp_path / "refs.fa"
    refs.write_text(">r0\nACGTACGTACGTACGTACGT\n>r1\nACGTACGTACGTACGAACGT\n")
    query = tmp_path / "q.fa"
    query.write_text(">q\nACGTACGTACGTACGTACGA\n")
    (tmp_path / "alias.fa").symlink_to(refs)
    before = refs.read_text(), query.read_text()
    search = ["search", "greengenes16s", "--refs", str(refs), "--query", str(query), "-o"]
    for out, said in [(refs, "--refs"), (query, "--query")]:
        assert said in _one_line_error(capsys, [*search, str(out)])
    line = _one_line_error(capsys, ["embed", "greengenes16s", str(query), "-o", str(query)])
    assert "is also the FASTA input" in line
    line = _one_line_error(capsys, [*search, str(tmp_path / "alias.fa")])
    assert "is a symbolic link" in line
    line = _one_line_error(capsys, [*search, "/dev/null"])
    assert "/dev/null: is not a regular file" in line
    assert (refs.read_text(), query.read_text()) == before
    assert (tmp_path / "alias.fa").is_symlink()


@pytest.mark.parametrize("option", ["--threads", "--batch-size"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_threads_and_batch_size_below_one_are_refused_before_tensorflow(
    tmp_path, capsys, option, value
):
    fasta = tmp_path / "in.fasta"
    fasta.write_text(">a\nACGTACGT\n")
    argv = ["embed", "greengenes16s", str(fasta), "-o", str(tmp_path / "e.npy"), option, value]
    line = _one_line_error(capsys, argv)
    assert "--threads and --batch-size must be at least 1" in line


def test_queries_from_standard_input_or_a_pipe_and_the_table_to_standard_output(trained):
    """``--query -`` reads standard input, a pipe (``<(zcat q.fa.gz)``) is read like a file,
    and ``-o -`` is standard output; once in a subprocess, as a shell runs it."""
    out, _, _ = trained
    model, refs, queries = (str(out / n) for n in ("model.keras", "refs.fasta", "queries.fasta"))
    search = [sys.executable, "-m", "neuroseed.cli", "search", model, "--refs", refs, "-k", "1"]
    expected = subprocess.run(
        [*search, "--query", queries], capture_output=True, text=True, check=True
    ).stdout
    assert expected.count("\n") >= 6
    with open(queries) as stdin:
        piped = subprocess.run(
            [*search, "--query", "-", "-o", "-"], stdin=stdin, capture_output=True, text=True
        )
    assert piped.returncode == 0 and piped.stdout == expected, piped.stderr
    shell = f"{' '.join(search)} --query <(gzip -c {queries} | gzip -dc | gzip -c)"
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == expected, proc.stderr


@pytest.mark.parametrize(
    "argv, said",
    [
        (["search", "M", "--refs", "-", "--query", "-"], "--refs and --query are both '-'"),
        (["embed", "M", "Q", "-o", "-"], "-o -: neuroseed embed writes a binary file"),
        (["index", "M", "Q", "-o", "-"], "-o -: neuroseed index writes a binary file"),
    ],
)
def test_standard_streams_where_they_cannot_work_are_one_line(trained, capsys, argv, said):
    out, _, _ = trained
    named = {"M": str(out / "model.keras"), "Q": str(out / "queries.fasta")}
    assert said in _one_line_error(capsys, [named.get(a, a) for a in argv])


def test_a_directory_given_as_a_fasta_is_named(trained, tmp_path, capsys):
    out, _, _ = trained
    line = _one_line_error(
        capsys, ["embed", str(out / "model.keras"), str(tmp_path), "-o", str(tmp_path / "e.npy")]
    )
    assert line.endswith(f"{tmp_path}: is a directory; give a FASTA file")


def test_an_index_that_is_foreign_or_inconsistent_is_one_line(trained, tmp_path, capsys):
    out, _, _ = trained
    model, refs, queries = (str(out / n) for n in ("model.keras", "refs.fasta", "queries.fasta"))
    index = tmp_path / "refs.idx.npz"
    assert main(["index", model, refs, "-o", str(index)]) == 0
    search = ["search", model, "--query", queries, "--index"]
    np.savez(tmp_path / "other.npz", codes=np.zeros((3, 4)))
    line = _one_line_error(capsys, [*search, str(tmp_path / "other.npz")])
    assert "damaged or not a neuroseed index (meta is not a file in the archive)" in line
    arrays = dict(np.load(index))
    arrays["ids"] = arrays["ids"][:5]
    np.savez(tmp_path / "cut.npz", **arrays)
    line = _one_line_error(capsys, [*search, str(tmp_path / "cut.npz")])
    assert "its arrays disagree on the number of references: ids 5, sequences 25" in line
