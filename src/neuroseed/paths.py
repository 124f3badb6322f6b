"""Where the workflow keeps every artifact of a dataset: each path written once, here.

Everything a run makes lies under ``results/<dataset>/``. :data:`ARTIFACTS` names each
artifact's place in that folder, with Snakemake's wildcards in braces; :func:`artifact` gives its
path with the fields it is given filled in and the others left as wildcards, so that the rules,
the library and the benchmarks build the same strings::

    artifact("encoded")                             results/{dataset}/encoding/encoded.npz
    artifact("split", "gg2000", split="random-s1")  results/gg2000/splits/random-s1.json

Every rule writes its log and its benchmark record under ``logs/`` and ``benchmarks/`` of the
dataset, named by the rule (and the job): :func:`log`, :func:`benchmark`.

Pure Python (the standard library only): the Snakefile imports it while it parses the workflow.
"""

from __future__ import annotations

import os
import string

# The folder of every dataset's results, relative to the workflow's directory.
RESULTS = "results"

# The artifacts' file names, for code that knows a file by its name: the rule that rebuilds a
# damaged one (io.RULES), a model's metrics beside it, the user-facing help.
SEQUENCES = "sequences.fasta"
PROVENANCE = "provenance.json"
TREE = "tree.nwk"
UPGMA_TREE = "tree_upgma.nwk"
ALIGNED = "aligned.fasta"
ENCODED = "encoded.npz"
DISTANCES = "distances.npy"
MODEL = "model.keras"
HISTORY = "history.tsv"
METRICS = "metrics.json"
# A training run's saved state between epochs, beside its outputs (neuroseed.checkpoint).
CHECKPOINT = ".checkpoint.npz"

# One training run's folder (under training/ and evaluation/), and one of the
# embedding-dimension sweep's (under embedding_dim/).
RUN = "{split}/{encoder}-{distance}/seed{seed}"
DIM_RUN = "{split}/{encoder}-{distance}/dim{dim}/seed{seed}"
# The job part of a run's log and benchmark file (under its rule's folder).
RUN_JOB = "{split}/{encoder}-{distance}-seed{seed}"
DIM_RUN_JOB = "{split}/{encoder}-{distance}-dim{dim}-seed{seed}"
POOL = "pool-n{size}-s{pool_seed}"
LOGS = "logs"
BENCHMARKS = "benchmarks"

# Each artifact's place under results/<dataset>/.
ARTIFACTS = {
    "config": "config.yaml",
    "patric_raw": "raw/patric",
    "patric_fasta": "raw/patric.fasta",
    "patric_provenance": "raw/patric_provenance.json",
    "sequences": f"sequences/{SEQUENCES}",
    "provenance": f"sequences/{PROVENANCE}",
    "tree": f"sequences/{TREE}",
    "upgma_tree": f"sequences/{UPGMA_TREE}",
    "aligned": f"alignment/{ALIGNED}",
    "encoded": f"encoding/{ENCODED}",
    "distances": f"edit_distance/{DISTANCES}",
    "distance_tile": "edit_distance/tiles/{tile}.npz",
    "split": "splits/{split}.json",
    "leakage_table": "splits/{split}.leakage.tsv",
    "leakage_summary": "splits/{split}.leakage.json",
    "pool": f"pool/{POOL}.npz",
    "pool_report": f"pool/{POOL}.json",
    "model": f"training/{RUN}/{MODEL}",
    "history": f"training/{RUN}/{HISTORY}",
    "metrics": f"training/{RUN}/{METRICS}",
    "checkpoint": f"training/{RUN}/{CHECKPOINT}",
    "dim_model": f"embedding_dim/{DIM_RUN}/{MODEL}",
    "dim_history": f"embedding_dim/{DIM_RUN}/{HISTORY}",
    "dim_metrics": f"embedding_dim/{DIM_RUN}/{METRICS}",
    "retrieval": f"evaluation/{RUN}/retrieval.json",
    "clustering": f"evaluation/{RUN}/clustering.tsv",
    "trials": "tuning/{split}/{encoder}-{distance}/trials.tsv",
    "tuner": "tuning/{split}/{encoder}-{distance}/tuner",
    "best_hparams": "tuning/best.yaml",
    "figure": "figures/{figure}.{ext}",
    "table": "tables/{table}.tsv",
}


class _Fields(dict):
    """The values given; any other field stays a wildcard ``{name}`` (``glob``: ``*``)."""

    def __init__(self, values, glob):
        super().__init__(values)
        self.glob = glob

    def __missing__(self, key):
        return "*" if self.glob else "{" + key + "}"


def fields(pattern: str) -> set[str]:
    """The names in braces of ``pattern``."""
    return {name for _, name, _, _ in string.Formatter().parse(pattern) if name}


def fill(pattern: str, glob: bool = False, **values) -> str:
    """``pattern`` with ``values`` put in, the other fields left as Snakemake wildcards (or,
    with ``glob``, as ``*``); a name it lacks is refused (a typo, not a path)."""
    if unknown := set(values) - fields(pattern):
        raise ValueError(f"{pattern}: no field {', '.join(sorted(unknown))}")
    return pattern.format_map(_Fields(values, glob))


def folder(name: str) -> str:
    """The folder of artifact ``name`` under ``results/<dataset>/``: its place's first part."""
    return ARTIFACTS[name].split("/", 1)[0]


def dataset_dir(dataset: str = "{dataset}", root: str | os.PathLike = RESULTS) -> str:
    """``results/<dataset>``: the folder of everything made for ``dataset``."""
    return f"{root}/{dataset}"


def artifact(
    name: str, dataset: str = "{dataset}", *, root: str | os.PathLike = RESULTS, **values
) -> str:
    """The path of artifact ``name`` (a key of :data:`ARTIFACTS`) of ``dataset``, ``values``
    filled in and the other fields left as wildcards."""
    return f"{dataset_dir(dataset, root)}/{fill(ARTIFACTS[name], **values)}"


def glob(name: str, dataset: str = "*", **values) -> str:
    """A glob pattern, relative to ``results/``, of artifact ``name``: the fields not given
    match anything, e.g. ``Path("results").glob(glob("model", split="random-s1"))``."""
    return f"{dataset}/{fill(ARTIFACTS[name], glob=True, **values)}"


def _record(kind: str, ext: str, rule: str, job: str | None, dataset: str, values) -> str:
    name = rule if job is None else f"{rule}/{fill(job, **values)}"
    return f"{dataset_dir(dataset)}/{kind}/{name}.{ext}"


def log(rule: str, job: str | None = None, dataset: str = "{dataset}", **values) -> str:
    """``logs/<rule>.log``, or ``logs/<rule>/<job>.log`` for a rule of many jobs."""
    return _record(LOGS, "log", rule, job, dataset, values)


def benchmark(rule: str, job: str | None = None, dataset: str = "{dataset}", **values) -> str:
    """``benchmarks/<rule>.tsv``, or ``benchmarks/<rule>/<job>.tsv``: Snakemake's record of a
    job's wall time and memory."""
    return _record(BENCHMARKS, "tsv", rule, job, dataset, values)
