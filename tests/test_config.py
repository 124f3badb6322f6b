"""The config check that runs before any job: one line naming the key for every bad value."""

import copy
import math

import pytest
import yaml
from conftest import ROOT

from neuroseed import NeuroseedError
from neuroseed.config import canonical, check_config, overlay

DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def with_value(path: str, value):
    config = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return config


def test_the_default_config_passes():
    check_config(DEFAULT)


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("split.val_fraction", math.nan, "config: split.val_fraction: nan is not a finite number"),
        ("split.test_fraction", math.inf, "config: split.test_fraction: inf is not a finite"),
        ("encoders.linear.learning_rate", math.inf, "encoders.linear.learning_rate: inf"),
        ("encoders.linear.weight_decay", math.nan, "encoders.linear.weight_decay: nan"),
        ("encoders.cnn.clipnorm", math.inf, "encoders.cnn.clipnorm: inf"),
        ("encoders.mlp.dropout", math.nan, "encoders.mlp.dropout: nan"),
        ("training.embedding_dim", math.inf, "training.embedding_dim: inf"),
        (
            "tuning.space",
            {"linear": {"learning_rate": [0.01, math.nan]}},
            "tuning.space.linear.learning_rate[1]: nan is not a finite number",
        ),
        (
            "encoders.cnn.kernel_size",
            {"default": 3, "euclidean": math.nan},
            "encoders.cnn.kernel_size.euclidean: nan",
        ),
    ],
)
def test_nan_and_infinity_are_rejected_naming_the_key(path, value, message):
    with pytest.raises(NeuroseedError, match="is not a finite number") as err:
        check_config(with_value(path, value))
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "../x", "a/b", "/tmp/x", "a b", "-x", ""])
def test_dataset_names_that_are_not_a_plain_folder_are_rejected(name):
    with pytest.raises(NeuroseedError, match=r"^config: dataset: .* is not a usable name"):
        check_config(with_value("dataset", name))


@pytest.mark.parametrize("name", ["gg2000", "a.b", "run_2", "V4-150", "_x"])
def test_plain_dataset_names_pass(name):
    check_config(with_value("dataset", name))


def test_unknown_key_names_the_allowed_ones():
    with pytest.raises(NeuroseedError) as err:
        check_config(with_value("training.epoch", 3))
    msg = str(err.value)
    assert msg.startswith("config: training: unknown key 'epoch' (allowed: batch_size,")
    assert "\n" not in msg


def test_a_renamed_key_names_its_new_name():
    with pytest.raises(NeuroseedError) as err:
        check_config(with_value("hparam_search", {"trials": 3}))
    assert str(err.value).startswith("config: config: unknown key 'hparam_search' ('hparam_search'")
    assert "is now 'tuning': rename it" in str(err.value)


def test_yaml_text_that_looks_like_a_number_gets_a_hint():
    # PyYAML (YAML 1.1) reads 1e-3 as the string '1e-3'
    config = with_value("encoders.linear.learning_rate", yaml.safe_load("x: 1e-3")["x"])
    with pytest.raises(NeuroseedError) as err:
        check_config(config)
    msg = str(err.value)
    assert "encoders.linear.learning_rate: '1e-3' is not one Adam learning rate" in msg
    assert "YAML reads 1e-3 as text" in msg


@pytest.mark.parametrize(
    "path, value, message",
    [
        (
            "encoders.cnn.kernel_size",
            "3",
            "encoders.cnn.kernel_size: '3' is not a positive integer, or one per distance",
        ),
        # snakemake --config threads="{training: 2}" passes the nested 2 as the string '2'
        (
            "threads.training",
            "2",
            "threads.training: '2' is not of type 'integer' (a number given as text",
        ),
    ],
)
def test_a_value_of_the_wrong_type_says_what_it_must_be(path, value, message):
    with pytest.raises(NeuroseedError) as err:
        check_config(with_value(path, value))
    assert message in str(err.value)


@pytest.mark.parametrize("key", ["split.file", "source.tree", "source.fasta"])
def test_user_files_must_exist(tmp_path, monkeypatch, key):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_dir").mkdir()
    config = with_value(key, "missing.txt")
    config["source"]["type"] = "fasta"
    config["source"].setdefault("fasta", None)
    if key != "source.fasta":
        (tmp_path / "in.fasta").write_text(">a\nACGT\n")
        config["source"]["fasta"] = "in.fasta"
    with pytest.raises(NeuroseedError, match=f"config: {key}: 'missing.txt' not found"):
        check_config(config)
    config = with_value(key, "a_dir")
    config["source"]["type"] = "fasta"
    if key != "source.fasta":
        config["source"]["fasta"] = "in.fasta"
    with pytest.raises(NeuroseedError, match=f"config: {key}: 'a_dir' is a directory"):
        check_config(config)


def test_canonical_sorts_mappings_at_every_depth():
    a = {"b": 1, "a": {"y": [{"q": 1, "p": 2}], "x": 0}}
    b = {"a": {"x": 0, "y": [{"p": 2, "q": 1}]}, "b": 1}
    assert repr(canonical(a)) == repr(canonical(b))
    assert list(canonical(a)) == ["a", "b"] and canonical(a) == a


@pytest.mark.parametrize(
    "value, message",
    [(0, "0 is less than or equal to the minimum of 0"), (-0.1, "-0.1 is less than"),
     (1.5, "1.5 is greater than or equal to the maximum of 0.5")],
)  # fmt: skip
def test_fractions_out_of_range_name_the_key(value, message):
    with pytest.raises(NeuroseedError) as err:
        check_config(with_value("split.val_fraction", value))
    assert str(err.value).startswith(f"config: split.val_fraction: {message}")


@pytest.mark.parametrize(
    "overlays",
    [[p] for p in sorted((ROOT / "config" / "presets").glob("*.yaml"))]
    + [
        [ROOT / "config" / "presets" / "best16s.yaml", p]
        for p in sorted((ROOT / "config" / "ablations").glob("*.yaml"))
    ],
    ids=lambda paths: "+".join(p.stem for p in paths),
)
def test_every_preset_and_ablation_is_a_valid_config(overlays):
    config = copy.deepcopy(DEFAULT)
    for path in overlays:
        config = overlay(config, yaml.safe_load(path.read_text()))
    check_config(config)


@pytest.mark.parametrize(
    "source, message",
    [
        ({"fasta": "my.fa"}, "source.fasta: given, but source.type is 'greengenes'"),
        ({"tree": "my.nwk"}, "source.tree: given, but source.type is 'greengenes'"),
        (
            {"type": "patric", "fasta": "my.fa"},
            "source.fasta: given, but source.type is 'patric'",
        ),
    ],
)
def test_a_file_the_source_type_would_ignore_is_refused(tmp_path, monkeypatch, source, message):
    """``source.fasta`` (or ``tree``) without ``type: fasta``: the user's file would be ignored
    and all of Greengenes drawn instead; the config check says so before any job."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.fa").write_text(">a\nACGT\n")
    (tmp_path / "my.nwk").write_text("(a,b);\n")
    config = copy.deepcopy(DEFAULT)
    config["source"] = {**config["source"], **source}
    with pytest.raises(NeuroseedError, match=message + ".*set source.type: fasta"):
        check_config(config)


def test_a_config_of_nested_yaml_aliases_is_refused_at_once():
    """Ten lines of YAML aliases, each list holding the previous one ten times: 10^10 leaves
    if walked naively (the check never returned); each object is walked once."""
    import time

    lines = ["x0: &a0 [1.0]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 11)]
    config = {**copy.deepcopy(DEFAULT), **yaml.safe_load("\n".join(lines))}
    start = time.perf_counter()
    with pytest.raises(NeuroseedError, match="unknown key 'x0'"):
        check_config(config)
    assert time.perf_counter() - start < 30  # a bound on a hang, not a timing claim
    deep = copy.deepcopy(DEFAULT)
    deep["training"]["seeds"] = nested = []
    for _ in range(5000):  # deeper than Python's recursion limit
        nested.append([])
        nested = nested[0]
    nested.append(float("nan"))
    with pytest.raises(NeuroseedError, match="training.seeds.* nan is not a finite number"):
        check_config(deep)


@pytest.mark.parametrize(
    "path, value",
    [
        ("source.n_sequences", 48.0),
        ("training.seeds", [0.0]),
        ("edit_distance.blocks", 2.0),
        ("training.embedding_dim", 16.0),
        ("encoders.cnn.kernel_size", {"default": 3.0}),
    ],
)
def test_whole_numbers_written_as_decimals_are_refused_before_any_job(path, value):
    """JSON Schema counts 48.0 as an integer; the job that uses it would fail later (one only
    at training, after the previous model was deleted)."""
    with pytest.raises(NeuroseedError, match=r"config: .*write (48|0|2|16|3)\)"):
        check_config(with_value(path, value))


@pytest.mark.parametrize(
    "path, value, said",
    [
        ("training.embedding_dim", 1, "training.embedding_dim: 1 puts every hyperbolic embedding"),
        ("embedding_dim_sweep.dims", [1, 2, 4], "embedding_dim_sweep.dims: 1 puts every cosine"),
    ],
)
def test_a_one_dimensional_sphere_is_refused(path, value, said):
    """Cosine and hyperbolic (NeuroSEED's scaled sphere) embeddings in one dimension take two
    points: every estimate is one of two values, and the run would report it without a word."""
    with pytest.raises(NeuroseedError, match="every estimate is one of two values") as err:
        check_config(with_value(path, value))
    assert said in str(err.value)


def test_one_dimension_is_fine_where_it_means_something():
    config = with_value("training.embedding_dim", 1)
    config["training"]["distances"] = ["euclidean", "manhattan"]
    check_config(config)
    config["training"] = {"encoders": ["kmer", "kmer_net"], "distances": ["hyperbolic"]}
    config["training"]["embedding_dim"] = 1  # as wide as their k-mer profiles, whatever this says
    check_config(config)
