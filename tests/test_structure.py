"""One place for each fact: name lists, defaults, the import graph, a new encoder in two files."""

import ast
import dataclasses
import filecmp
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest
import yaml
from conftest import ROOT, copy_workflow, smk

from neuroseed import geometry, models, registry, sources
from neuroseed.config import defaults, load_schema
from neuroseed.patric import Query
from neuroseed.settings import TrainSettings

LIBRARY = ROOT / "src" / "neuroseed"


def library_modules():
    """Every module of the library by name, its path relative to the package: ``models`` for
    ``models/__init__.py``, ``models.cnn`` for ``models/cnn.py``; the package's own
    ``__init__.py`` is ``__init__``."""
    modules = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        parts = path.relative_to(LIBRARY).with_suffix("").parts
        if len(parts) > 1 and parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


NAME_LISTS = {
    "encoder": registry.ENCODERS,
    "trained_encoder": registry.TRAINED,
    "distance": registry.DISTANCES,
    "split_method": registry.SPLIT_METHODS,
    "source": registry.SOURCES,
}


def _enums(node, path=()):
    """Every ``enum`` of the schema with where it sits."""
    if isinstance(node, dict):
        if "enum" in node:
            yield path, node["enum"]
        for key, value in node.items():
            yield from _enums(value, (*path, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _enums(value, (*path, k))


def test_each_name_list_is_written_once_in_the_schema():
    names = {n for values in NAME_LISTS.values() for n in values}
    for path, values in _enums(load_schema()):
        if names & set(values):
            assert path[:1] == ("$defs",) and path[1] in NAME_LISTS, f"a copy at {path}"


def test_every_name_has_its_implementation():
    schema = load_schema()
    assert set(schema["properties"]["encoders"]["properties"]) == set(registry.ENCODERS)
    assert set(models.BODIES) == set(registry.TRAINED) < set(registry.ENCODERS)
    assert set(geometry.FUNCTIONS) == set(registry.DISTANCES)
    assert schema["properties"]["source"]["properties"]["type"]["$ref"] == "#/$defs/source"
    for kind in registry.SOURCES:  # sources.sequence_file knows every source type
        path, origin, _ = sources.sequence_file(
            {"type": kind, "fasta": "own.fasta"}, fetched="fetched.fasta"
        )
        assert path.name and origin


@pytest.mark.parametrize("method", registry.SPLIT_METHODS)
def test_split_names_round_trip_and_match_the_wildcard(method):
    import re

    name = registry.split_name(method, 4, 2)
    expected = {"method": method, "depth": 0 if method == "random" else 4, "seed": 2}
    assert registry.parse_split(name) == expected
    assert re.fullmatch(registry.SPLIT_PATTERN, name)
    assert re.fullmatch(registry.SPLIT_PATTERN, registry.SPLIT_FILE)
    with pytest.raises(ValueError, match="not a split name"):
        registry.parse_split(f"{method}-x")


def _leaves(obj, path=()):
    if isinstance(obj, dict) and obj and not set(obj) <= set(registry.DISTANCES) | {"default"}:
        for key, value in obj.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, obj


def test_config_yaml_holds_the_schemas_defaults():
    """config/config.yaml shows every setting for users to edit; its values are the schema's."""
    shown = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    schema_defaults = defaults()
    for path, value in _leaves(shown):
        if path == ("dataset",):
            continue
        expected = schema_defaults
        for key in path:
            expected = expected[key]
        assert value == expected, f"config.yaml {'.'.join(path)}: {value!r} vs schema {expected!r}"


def test_settings_have_no_defaults_of_their_own():
    for cls in (TrainSettings, Query):
        for f in dataclasses.fields(cls):
            assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
            assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"


CONFIG_MAPPINGS = {"config", "options", "source", "hp", "hparams", "settings", "patric", "t", "s"}


def test_the_library_reads_settings_without_fallbacks():
    """``mapping.get("key", default)`` on a config mapping would be a second default."""
    for path in library_modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in CONFIG_MAPPINGS
                and len(node.args) == 2
            ):
                raise AssertionError(f"{path.name}:{node.lineno}: {ast.unparse(node)}")


def _imports(path):
    """The project modules ``path`` imports: ``(module, deferred, line)``."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("neuroseed"):
            if node.module == "neuroseed":  # from neuroseed import io, NeuroseedError
                names = [f"neuroseed.{a.name}" for a in node.names]
                targets = [n for n in names if n[10:] in library_modules()]
            else:
                targets = [node.module]
            for target in targets:
                yield target.removeprefix("neuroseed."), id(node) not in top, node.lineno


def import_graph(deferred=True):
    return {
        name: {m for m, late, _ in _imports(path) if deferred or not late}
        for name, path in library_modules().items()
    }


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_users_of_trained_models_do_not_import_training_and_there_are_no_cycles():
    graph = import_graph()
    for module in ("cli", "embedding_search", "retrieval", "clustering", "plots"):
        assert "training" not in reachable(graph, module), module
    assert "index" not in reachable(graph, "training")  # training needs no search index
    for module in graph:
        assert module not in reachable(graph, module), f"import cycle through {module}"


def test_deferred_imports_only_keep_tensorflow_from_loading():
    """A project module imported inside a function is one that loads Keras or Numba (their
    import takes seconds), and a comment says why; every other import sits at the top of its
    module."""
    graph = import_graph(deferred=False)
    modules = library_modules()
    loads_keras = set()
    for m in graph:
        body = ast.parse(modules[m].read_text()).body
        if any(
            isinstance(n, ast.Import | ast.ImportFrom)
            and any(heavy in ast.unparse(n) for heavy in ("keras", "numba"))
            for n in body
        ):
            loads_keras.add(m)
    heavy = {m for m in graph if m in loads_keras or reachable(graph, m) & loads_keras}
    for path in modules.values():
        lines = path.read_text().splitlines()
        for module, late, lineno in _imports(path):
            if not late:
                continue
            assert module in heavy, f"{path.name}:{lineno} defers {module}: no Keras or Numba"
            above = "\n".join(lines[max(0, lineno - 6) : lineno])
            assert "here, not above" in above, f"{path.name}:{lineno}: say why it is deferred"


def test_the_snakefile_side_of_the_library_loads_no_numpy_or_keras():
    """What Snakemake imports while it parses the workflow must run in Snakemake's own
    environment, where the library's dependencies may live only in a conda environment."""
    code = textwrap.dedent(
        """
        import sys
        from neuroseed import artifacts, config, jobs, paths, registry, settings, sources, tiles
        print(sorted(m for m in ("numpy", "keras", "tensorflow", "pandas") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_module_map_lists_every_module():
    """Every module and subpackage of the package (a subpackage's docstring tells its own)."""
    import neuroseed

    for name in {name.split(".")[0] for name in library_modules()} - {"__init__"}:
        assert f"``{name}``" in neuroseed.__doc__, name


TOY_MODULE = '''"""A toy encoder for the test: average pooling, then one dense layer."""

from keras import layers

from neuroseed.models.bodies import body


@body("toy")
def _toy(x, hp):
    x = layers.AveragePooling1D(int(hp["pool"]))(x)
    return layers.Dense(int(hp["units"]), activation="relu")(layers.Flatten()(x))
'''

TOY_SETTINGS = """      toy:
        type: object
        additionalProperties: false
        default: {}
        properties:
          epochs: {$ref: "#/$defs/count", default: 2}
          learning_rate: {$ref: "#/$defs/rate", default: 0.003}
          weight_decay: {$ref: "#/$defs/nonnegative", default: 0.0}
          clipnorm: {$ref: "#/$defs/nonnegative", default: 0.0}
          batch_size: {$ref: "#/$defs/count"}
          pool: {$ref: "#/$defs/count", default: 4}
          units: {$ref: "#/$defs/count", default: 16}
"""


@pytest.mark.workflow
def test_a_new_encoder_touches_two_files(tmp_path):
    """Adding an encoder: a new module in models/ holding its body, its name and settings in
    schema.yaml. The workflow then trains it (wildcards, config checks, settings, model
    identity) unchanged."""
    work = copy_workflow(tmp_path, library=True)
    lib = work / "src" / "neuroseed"
    (lib / "models" / "toy.py").write_text(TOY_MODULE)
    schema = (lib / "schema.yaml").read_text()
    for name in ("encoder", "trained_encoder"):
        old = f"  {name}:\n"
        at = schema.index(old, schema.index("$defs:"))
        end = schema.index("]", at)
        schema = schema[:end] + ", toy" + schema[end:]
    schema = schema.replace("      kmer:\n", TOY_SETTINGS + "      kmer:\n", 1)
    (lib / "schema.yaml").write_text(schema)
    changed = []
    for path in [p for p in work.rglob("*") if p.is_file() and "__pycache__" not in p.parts]:
        original = ROOT / path.relative_to(work)
        if path.name != "tiny.yaml" and not (
            original.is_file() and filecmp.cmp(path, original, shallow=False)
        ):
            changed.append(str(path.relative_to(work)))
    assert sorted(changed) == ["src/neuroseed/models/toy.py", "src/neuroseed/schema.yaml"]

    (work / "toy.yaml").write_text("training: {encoders: [toy], distances: [euclidean]}\n")
    run = "results/tiny/training/random-s1/toy-euclidean/seed0"
    smk(work, f"{run}/metrics.json", "--configfile", "tiny.yaml", "toy.yaml")
    metrics = json.loads((work / run / "metrics.json").read_text())
    assert metrics["model"] == "toy" and metrics["hparams"] == {"pool": 4, "units": 16}
    assert metrics["epochs_run"] == 2 and metrics["test_rmse_pct"] > 0
    with zipfile.ZipFile(work / run / "model.keras") as archive:
        identity = json.loads(archive.read("neuroseed.json"))
    assert (identity["encoder"], identity["split"]) == ("toy", "random-s1")


def _top_level_split(text):
    """``a, {b: 1, c: 2}, [d, e]`` -> the three items, commas inside brackets kept."""
    items, depth, current = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += ch
    return [*items, current.strip()]


def test_config_readme_shows_the_schemas_defaults():
    """The defaults table of config/README.md, wherever a row names keys and plain values."""
    import re

    schema_defaults = defaults()
    checked = 0
    for line in (ROOT / "config" / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4 or not cells[1].startswith("`") or "<" in cells[1]:
            continue
        keys = [k.strip() for k in re.findall(r"`([^`]+)`", cells[1])]
        parent = keys[0].rsplit(".", 1)[0] if "." in keys[0] else ""
        # `.dims` and `layers` after a full key are relative to its parent
        keys = [keys[0]] + [k if "." in k[1:] else f"{parent}.{k.lstrip('.')}" for k in keys[1:]]
        values = _top_level_split(cells[2])
        if keys == ["dataset"] or len(values) != len(keys):
            continue
        for key, text in zip(keys, values, strict=True):
            text = text.strip("`")
            if "…" in text or " " in text.replace(", ", ",").replace(": ", ":"):
                continue  # prose ("all five", "[0, …, 8]")
            expected = schema_defaults
            for part in key.split("."):
                expected = expected[part]
            assert yaml.safe_load(text) == expected, f"config/README.md {key}: {text}"
            checked += 1
    assert checked >= 40, checked
