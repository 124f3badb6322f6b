"""The workflow config, checked before any job runs: each problem is one line naming the key.

Pure Python (jsonschema and PyYAML, which Snakemake itself needs): the Snakefile calls
:func:`check_config` instead of Snakemake's own ``validate``, whose messages are schema dumps and
which lets NaN and infinity through (every JSON Schema bound is false for NaN), then fills in
the defaults with :func:`with_defaults`. ``schema.yaml`` beside this module is the one place
where settings get their defaults.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from neuroseed import NeuroseedError, sources

# The one source of every setting's default and of every name list (see neuroseed.registry).
SCHEMA = Path(__file__).with_name("schema.yaml")

# YAML 1.1 (PyYAML) reads 1e-3 as text: only 1.0e-3 or 0.001 are numbers.
_NUMBER_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
DATASET_NAME = "letters, digits, '_', '-' and '.', starting with a letter, digit or '_'"


def key_name(path) -> str:
    """``('encoders', 'cnn', 'kernel_size')`` -> ``encoders.cnn.kernel_size``; list items
    as ``[i]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "config"


def _leaves(obj: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """Every leaf with its key path, in order; each mapping or list once (YAML aliases put one
    object under many names: ten nested aliases would otherwise be 10^10 leaves), and no
    recursion (a deeply nested value cannot exhaust the stack)."""
    seen: set[int] = set()
    stack: list[tuple[tuple, Any]] = [(path, obj)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict | list | tuple):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend(reversed([((*where, k), v) for k, v in items]))
        else:
            yield where, node


def check_finite(config: dict) -> None:
    """NaN and infinity are never meaningful settings (YAML ``.nan``, ``.inf``)."""
    for path, value in _leaves(config):
        if isinstance(value, float) and not math.isfinite(value):
            raise NeuroseedError(
                f"config: {key_name(path)}: {value} is not a finite number; give a real value"
            )


# Keys renamed since a release; an old config names the new key in its error.
RENAMED = {"hparam_search": "tuning"}


def _schema_message(error) -> str:
    """One line for the most relevant schema violation."""
    key = key_name(error.absolute_path)
    value = error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(set(value) - allowed)
        hint = f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
        if renamed := [f"'{old}' is now '{RENAMED[old]}'" for old in unknown if old in RENAMED]:
            hint = f" ({', '.join(renamed)}: rename it)"
        return f"{key}: unknown key {', '.join(map(repr, unknown))}{hint}"
    if key == "dataset" and error.validator == "pattern":
        return (
            f"dataset: {value!r} is not a usable name ({DATASET_NAME}); outputs go to "
            "results/<dataset>/"
        )
    what = error.schema.get("description") if error.validator in ("oneOf", "anyOf") else None
    if "propertyNames" in error.absolute_schema_path:  # a mapping's key: say which keys may be
        outer = error
        while outer.parent is not None and not outer.schema.get("description"):
            outer = outer.parent
        what = outer.schema.get("description") or what
    message = f"{value!r} is not {what}" if what else error.message
    if isinstance(value, float) and value.is_integer() and "integer" in str(error.schema):
        message += f" (a whole number written with a decimal point: write {int(value)})"
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        if "e" in value.lower() and "." not in value:
            message += f" (YAML reads {value} as text: write it with a '.', e.g. 1.0e-3 or 0.001)"
        else:  # e.g. --config threads="{training: 2}" passes the 2 as text
            message += " (a number given as text: --config passes nested values as text; put "
            message += "them in a --configfile)"
    return f"{key}: {message}"


@functools.cache
def load_schema() -> dict:
    import yaml

    return yaml.safe_load(SCHEMA.read_text())


@functools.cache
def _filling_validator():
    """A validator that also writes each missing property's default, as Snakemake's
    ``validate(..., set_default=True)`` does."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    check_properties = base.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(base, {"properties": properties})


def with_defaults(config: dict) -> dict:
    """A copy of ``config`` with the schema's defaults filled in (what the workflow sees)."""
    filled = copy.deepcopy(config)
    for _ in _filling_validator()(load_schema()).iter_errors(filled):
        pass
    return filled


def overlay(base: dict, top: dict) -> dict:
    """``top`` merged into ``base`` key by key, as Snakemake merges ``--configfile`` files (a
    preset over config/config.yaml)."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = overlay(out[key], value) if both else copy.deepcopy(value)
    return out


def defaults() -> dict:
    """The complete default config (``dataset`` aside, which has none)."""
    return with_defaults({})


def _strict_integers(base):
    """``base`` whose integers are ints: JSON Schema counts 48.0 as an integer, which then
    fails inside a job (a slice, a range, a Keras layer), one of them only at training."""
    import jsonschema

    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, x: isinstance(x, int) and not isinstance(x, bool)
    )
    return jsonschema.validators.extend(base, type_checker=checker)


def check_schema(config: dict) -> None:
    import jsonschema

    validator = _strict_integers(jsonschema.Draft202012Validator)(load_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise NeuroseedError(f"config: {_schema_message(error)} (see config/README.md)")


def check_files(config: dict) -> None:
    """User files named in the config exist (a typo fails here, not after hours of jobs)."""
    source = config.get("source") or {}
    named = {
        **sources.user_files(source),
        "split.file": (config.get("split") or {}).get("file"),
        "training.pool.fasta": ((config.get("training") or {}).get("pool") or {}).get("fasta"),
    }
    for key, value in named.items():
        if value and not Path(value).is_file():
            what = "is a directory" if Path(value).is_dir() else "not found"
            raise NeuroseedError(
                f"config: {key}: {value!r} {what} (relative paths start in the working "
                f"directory, {Path.cwd()})"
            )
    sources.check(source)
    sources.check_pool(source, (config.get("training") or {}).get("pool") or {})


# Distances whose embeddings lie on a sphere (cosine: directions; hyperbolic: NeuroSEED's
# scaled sphere): in one dimension only two points, so every estimate is one of two values.
SPHERICAL = ("cosine", "hyperbolic")
# Encoders whose embedding is as wide as their k-mer profile, whatever embedding_dim says.
PROFILE_WIDE = ("kmer", "kmer_net")


def check_degenerate(config: dict) -> None:
    """Settings that would run to the end and report numbers that mean nothing."""
    filled = with_defaults(config)
    training, sweep = filled["training"], filled["embedding_dim_sweep"]
    runs = [
        (
            "training.embedding_dim",
            [training["embedding_dim"]],
            [e for e in training["encoders"] if e not in PROFILE_WIDE],
            training["distances"],
        ),
        (
            "embedding_dim_sweep.dims",
            sweep["dims"],
            [e for e in [sweep["encoder"]] if e not in PROFILE_WIDE],
            sweep["distances"],
        ),
    ]
    for key, dims, encoders, distances in runs:
        spherical = [d for d in distances if d in SPHERICAL]
        if 1 in dims and encoders and spherical:
            raise NeuroseedError(
                f"config: {key}: 1 puts every {' and '.join(spherical)} embedding of "
                f"{', '.join(encoders)} at one of two points (a sphere in one dimension), so "
                "every estimate is one of two values; give 2 or more"
            )


def check_config(config: dict) -> None:
    """Every check the workflow makes of its config before building the job graph."""
    check_finite(config)
    check_schema(config)
    check_degenerate(config)
    check_files(config)


def canonical(obj: Any) -> Any:
    """``obj`` with every mapping's keys sorted: Snakemake compares params by their repr, so
    the same settings written in another order must not rerun a job."""
    if isinstance(obj, dict):
        return {k: canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, list | tuple):
        return [canonical(v) for v in obj]
    return obj
