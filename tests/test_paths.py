"""Every artifact's path is written once, in neuroseed.paths; rules, library, benchmarks use it."""

import io
import re
import tokenize
from pathlib import Path

import pytest
from conftest import ROOT

from neuroseed import model_file, paths

# The artifacts' file names; outside paths.py code may only name them through it. (Tests keep
# literals: they check what the workflow writes.)
NAMES = (
    "sequences.fasta",
    "provenance.json",
    "tree.nwk",
    "tree_upgma.nwk",
    "aligned.fasta",
    "encoded.npz",
    "distances.npy",
    "model.keras",
    "history.tsv",
    "metrics.json",
    "retrieval.json",
    "clustering.tsv",
    "trials.tsv",
    "best.yaml",
    ".checkpoint.npz",
)
# a split's files (splits/<split>.json, .leakage.tsv/.json), and a path pattern of the rules
PATTERNS = re.compile(r"(^|/)splits(/|$)|\.leakage\.|results/\{")
CHECKED = ("Snakefile", "rules/*.smk", "scripts/*.py", "src/neuroseed/**/*.py", "benchmarks/*.py")
STRINGS = {tokenize.STRING} | {getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
STATEMENT_START = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)


def code_strings(text):
    """``(line, text)`` of every string literal of Python or Snakemake code, but comments and
    docstrings (a statement that is only a string)."""
    skip = (tokenize.NL, tokenize.COMMENT)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in skip]
    i = 0
    while i < len(tokens):
        if tokens[i].type not in STRINGS:
            i += 1
            continue
        j = i
        while tokens[j + 1].type in STRINGS:
            j += 1
        before = tokens[i - 1].type if i else tokenize.NEWLINE
        alone = before in STATEMENT_START and tokens[j + 1].type == tokenize.NEWLINE
        if not alone:
            yield from ((t.start[0], t.string) for t in tokens[i : j + 1])
        i = j + 1


def literal_paths(text):
    for line, string in code_strings(text):
        for name in NAMES:
            if name in string:
                yield line, name
        if found := PATTERNS.search(string):
            yield line, found.group()


def test_no_artifact_path_is_written_outside_paths_py():
    files = sorted(p for pattern in CHECKED for p in ROOT.glob(pattern) if p.name != "paths.py")
    assert len(files) > 60
    found = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in files
        for line, name in literal_paths(path.read_text())
    ]
    assert not found, "build these with neuroseed.paths:\n" + "\n".join(found)


def test_the_check_sees_code_literals_but_not_comments_or_docstrings():
    code = '''
def f(base):
    """Reads ``encoded.npz`` and splits/<split>.json."""
    # the matrix: edit_distance/distances.npy
    return base / "encoding/encoded.npz", f"{base}/splits/{split}.json"


rule r:
    output:
        "results/{dataset}/training/{split}/model.keras",
'''
    assert sorted(literal_paths(code)) == [
        (5, "/splits/"),
        (5, "encoded.npz"),
        (10, "model.keras"),
        (10, "results/{"),
    ]


def test_every_checked_name_is_an_artifact_of_paths_py():
    places = " ".join(paths.ARTIFACTS.values())
    for name in NAMES:
        assert name in places, name


def test_artifact_paths_are_the_workflows_layout():
    assert paths.artifact("encoded") == "results/{dataset}/encoding/encoded.npz"
    assert paths.artifact("split", "gg2000", split="random-s1") == (
        "results/gg2000/splits/random-s1.json"
    )
    assert paths.artifact("model", "gg2000", split="random-s1", seed=0) == (
        "results/gg2000/training/random-s1/{encoder}-{distance}/seed0/model.keras"
    )
    assert paths.artifact("sequences", "d", root="/data/results") == (
        "/data/results/d/sequences/sequences.fasta"
    )
    assert (
        paths.artifact("figure", figure="rmse", ext="png") == "results/{dataset}/figures/rmse.png"
    )
    assert paths.log("train_model", paths.RUN_JOB, "d", split="s", seed=1) == (
        "results/d/logs/train_model/s/{encoder}-{distance}-seed1.log"
    )
    assert paths.benchmark("plot_rmse") == "results/{dataset}/benchmarks/plot_rmse.tsv"
    assert paths.folder("split") == "splits"


def test_a_field_the_artifact_lacks_is_refused():
    with pytest.raises(ValueError, match="no field seed"):
        paths.artifact("encoded", "d", seed=0)
    with pytest.raises(KeyError):
        paths.artifact("encodings")


def test_glob_finds_what_artifact_names(tmp_path):
    made = [
        Path(
            paths.artifact("model", d, root=tmp_path, split=s, encoder=e, distance="cosine", seed=k)
        )
        for d in ("a", "b")
        for s in ("random-s1", "tree-d4-s0")
        for e in ("cnn", "local_transformer")
        for k in (0, 1)
    ]
    for path in made:
        path.parent.mkdir(parents=True)
        path.touch()
    found = sorted(tmp_path.glob(paths.glob("model", "a", split="random-s1", seed=1)))
    assert found == sorted(
        p
        for p in made
        if p.parts[-6] == "a" and "random-s1" in p.parts and p.parent.name == "seed1"
    )
    assert len(found) == 2
    assert len(list(tmp_path.glob(paths.glob("model")))) == len(made)


def test_a_model_file_reads_its_run_from_the_place_paths_gives_it():
    path = paths.artifact(
        "model", "d", split="tree-d4-s0", encoder="local_transformer", distance="cosine", seed=3
    )
    place = model_file.PLACE.search(path)
    assert place.groupdict() == {
        "split": "tree-d4-s0",
        "encoder": "local_transformer",
        "distance": "cosine",
        "seed": "3",
    }
