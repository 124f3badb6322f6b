import re

from neuroseed import capacity, paths, registry, sources
from neuroseed.config import canonical
from neuroseed.settings import (
    tuning_settings,
    tuning_space,
    seeds,
    settings_from_config,
)
from neuroseed.tiles import tile_jobs
from neuroseed.jobs import gpu_limit, prefer_checkout, training_threads

# Job scripts import this checkout's library, as the Snakefile does.
prefer_checkout(f"{workflow.basedir}/src")


wildcard_constraints:
    dataset=re.escape(config["dataset"]),
    encoder=registry.alternatives(registry.ENCODERS),
    distance=registry.alternatives(registry.DISTANCES),
    split=registry.SPLIT_PATTERN,
    seed=r"\d+",
    dim=r"\d+",
    size=r"\d+",
    pool_seed=r"\d+",
    tile=r"\d+",


DATASET = config["dataset"]
# What each training job declares as resources: gpu (on SLURM: sbatch --gpus).
TRAINING_GPUS = config["training"]["gpu"]
# On a machine with GPUs running the jobs itself, as many GPU jobs at once as it has GPUs,
# unless the command line or a profile sets it (--resources gpu=N); elsewhere no limit.
LOCAL_GPU_LIMIT = gpu_limit(TRAINING_GPUS, workflow.resource_settings.nodes)
# Threads per training job: threads.training, at most half the local cores (two side by side).
TRAINING_THREADS = training_threads(
    config["threads"]["training"],
    workflow.resource_settings.cores,
    workflow.resource_settings.nodes,
)
# Row blocks of the edit-distance matrix: 1 = one job, else tile jobs and a merge.
ED_BLOCKS = config["edit_distance"]["blocks"]
if LOCAL_GPU_LIMIT:
    workflow.global_resources.setdefault("gpu", LOCAL_GPU_LIMIT)


def edit_distance_tiles(wildcards):
    """The tile files the merge assembles, one per job of tiles.tile_jobs."""
    return [
        paths.artifact("distance_tile", wildcards.dataset, tile=k)
        for k in range(len(tile_jobs(ED_BLOCKS)))
    ]


PATRIC_FETCH_KEYS = (
    "genome_filters",
    "feature_type",
    "product",
    "gene",
    "method",
    "base_url",
    "page_size",
    "batch_size",
    "retries",
    "backoff_seconds",
    "timeout_seconds",
)


def patric_query(stage):
    """The PATRIC query keys a stage depends on: post-processing changes never refetch."""
    q = dict(config["source"].get("patric") or {})
    if stage == "fetch":
        q = {k: v for k, v in q.items() if k in PATRIC_FETCH_KEYS}
    return canonical(q)


def source_input(wildcards):
    """What prepare_sequences reads besides package data (Greengenes)."""
    return sources.sequence_input(config["source"], wildcards.dataset)


def encoding_input(wildcards):
    """Raw sequences, plus their MAFFT alignment when encoding.alignment is mafft."""
    inputs = {"fasta": paths.artifact("sequences", wildcards.dataset)}
    if config["encoding"]["alignment"] == "mafft":
        inputs["aligned"] = paths.artifact("aligned", wildcards.dataset)
    return inputs


def split_name(method=None, depth=None, seed=None):
    """The configured split's name (registry.split_name), or another's with its parameters."""
    s = config["split"]
    if s["file"] and method is None:
        return registry.SPLIT_FILE
    return registry.split_name(
        method or s["method"],
        s["depth"] if depth is None else depth,
        s["seed"] if seed is None else seed,
    )


def tree_path(dataset):
    """The dataset's own tree when it has one, else a UPGMA tree of its edit distances."""
    name = "tree" if sources.has_tree(config["source"]) else "upgma_tree"
    return paths.artifact(name, dataset)


def split_options(wildcards):
    s = config["split"]
    return canonical(
        {
            **registry.parse_split(wildcards.split),
            "val_fraction": s["val_fraction"],
            "test_fraction": s["test_fraction"],
        }
    )


def tree_input(wildcards):
    """The user's tree is an input (editing it reruns the pruning); Greengenes' own tree is
    package data."""
    return sources.tree_input(config["source"])


def split_input(wildcards):
    """What a split reads; the user's split file is an input, so editing it reruns the split."""
    inputs = {"fasta": paths.artifact("sequences", wildcards.dataset)}
    method = registry.parse_split(wildcards.split)["method"]
    if method == registry.SPLIT_FILE:
        inputs["file"] = config["split"]["file"]
        # which ids the filters dropped, to say so when the file names one of them
        inputs["provenance"] = paths.artifact("provenance", wildcards.dataset)
    elif method == "distance":
        inputs["distances"] = paths.artifact("distances", wildcards.dataset)
    elif method == "tree":
        inputs["tree"] = tree_path(wildcards.dataset)
    return inputs


def split_depth_runs(name):
    """Artifact ``name`` of each run of the split-depth experiment: methods x depths x seeds,
    one encoder/distance."""
    e = config["split_depth"]
    return [
        paths.artifact(
            name,
            DATASET,
            split=split_name(m, d, s),
            encoder=e["encoder"],
            distance=e["distance"],
            seed=s,
        )
        for m in e["methods"]
        for d in e["depths"]
        for s in e["seeds"]
    ]


def split_depth_leakage():
    e = config["split_depth"]
    return [
        paths.artifact("leakage_summary", DATASET, split=split_name(m, d, s))
        for m in e["methods"]
        for d in e["depths"]
        for s in e["seeds"]
    ]


def training_grid(pattern):
    """``pattern`` expanded over every configured encoder x distance x seed (of that distance)."""
    t = config["training"]
    return [
        path
        for encoder in t["encoders"]
        for distance in t["distances"]
        for path in expand(
            pattern,
            dataset=DATASET,
            split=split_name(),
            encoder=encoder,
            distance=distance,
            seed=seeds(config, distance),
        )
    ]


def training_runs(name):
    """Artifact ``name`` (a run's: model, metrics, retrieval, ...) of every configured encoder x
    distance x seed."""
    return training_grid(paths.artifact(name))


def is_gg2000():
    """The gg2000 benchmark (draw and split), where the peer's timings of the original code apply."""
    src, split = config["source"], config["split"]
    return (
        (src["type"], src["n_sequences"], src["seed"]) == ("greengenes", 2000, 0)
        and (split["method"], split["seed"], split["file"]) == ("random", 1, None)
        and (split["val_fraction"], split["test_fraction"]) == (0.1, 0.2)
    )


def training_benchmarks():
    """The ``benchmark:`` file of every configured training run (wall time, memory)."""
    return training_grid(paths.benchmark("train_model", paths.RUN_JOB))


def figure_paths(name, *extra_figures):
    """PDF and PNG of a figure (and of its companions) plus the table behind them."""
    return [
        paths.artifact("figure", DATASET, figure=fig, ext=ext)
        for fig in (name, *extra_figures)
        for ext in ("pdf", "png")
    ] + [paths.artifact("table", DATASET, table=name)]


def figure_outputs(name, category, companions=(), **more):
    """A plot rule's outputs: PDF and PNG of figure ``name`` and of each companion (named
    ``<name>_<part>``), the PNGs in the report with their captions (report/<figure>.rst), the
    table behind them, then ``more``."""
    outputs = {}
    for fig in (name, *companions):
        prefix = fig.removeprefix(name).lstrip("_")
        key = f"{prefix}_" if prefix else ""
        outputs[f"{key}pdf"] = paths.artifact("figure", figure=fig, ext="pdf")
        outputs[f"{key}png"] = report(
            paths.artifact("figure", figure=fig, ext="png"),
            caption=f"../report/{fig}.rst",
            category=category,
            labels={"result": fig, "type": "figure"},
        )
    outputs["table"] = report(
        paths.artifact("table", table=name),
        category=category,
        labels={"result": name, "type": "table"},
    )
    return {**outputs, **more}


def figure_title(title):
    """A plot rule's title param: the dataset's name, then ``title``."""
    return lambda wildcards: f"{wildcards.dataset}: {title}"


def train_settings(wildcards):
    """Everything that defines one training run; a change reruns only the runs it touches."""
    settings = settings_from_config(
        config, wildcards.encoder, wildcards.distance, int(wildcards.seed)
    )
    if hasattr(wildcards, "dim"):  # a run of the embedding-dimension sweep
        settings["embedding_dim"] = int(wildcards.dim)
    return canonical(settings)


def embedding_dim_runs():
    e = config["embedding_dim_sweep"]
    return expand(
        paths.artifact("dim_metrics"),
        dataset=DATASET,
        split=split_name(),
        encoder=e["encoder"],
        distance=e["distances"],
        dim=e["dims"],
        seed=e["seeds"],
    )


def tuning_settings_of(wildcards):
    return canonical(tuning_settings(config, wildcards.encoder, wildcards.distance))


def tuning_space_of(wildcards):
    return canonical(tuning_space(config, wildcards.encoder))


def tuning_runs():
    h = config["tuning"]
    for encoder in h["encoders"]:
        tuning_space(config, encoder)  # a bad search space fails before any job runs
    return expand(
        paths.artifact("trials"),
        dataset=DATASET,
        split=split_name(),
        encoder=h["encoders"],
        distance=h["distance"],
    )


def all_targets():
    targets = [
        paths.artifact("provenance", DATASET),
        paths.artifact("config", DATASET),
        paths.artifact("leakage_table", DATASET, split=split_name()),
        *figure_paths("rmse"),
        *figure_paths("rmse_table"),
        *figure_paths("retrieval"),
        *figure_paths("clustering"),
        # the trained models are the product: deleting one reruns it (Snakemake would not
        # rebuild a deleted intermediate whose figures are up to date)
        *training_runs("model"),
    ]
    # the k-mer baseline has no epochs, hence no training curves
    if set(config["training"]["encoders"]) & set(registry.TRAINED):
        targets += figure_paths("training_curves") + figure_paths("training_time")
    if sources.has_tree(config["source"]):
        targets.append(paths.artifact("tree", DATASET))
    return targets


def pool_path():
    """The training pool of the configured size and seed (rule prepare_pool)."""
    p = config["training"]["pool"]
    return paths.artifact("pool", DATASET, size=p["size"], pool_seed=p["seed"])


def pool_input(wildcards):
    """A trained encoder's extra inputs when training.pool is on: the pool and the dataset's
    FASTA (the train part's sequences, for their on-the-fly edit distances)."""
    if (
        not config["training"]["pool"]["size"]
        or wildcards.encoder not in registry.TRAINED
    ):
        return {}
    return {
        "pool": pool_path(),
        "fasta": paths.artifact("sequences", wildcards.dataset),
    }


def leakage_pool_input(wildcards):
    """The leakage report's extra inputs when a training pool is on: the pool and the
    dataset's FASTA (each test sequence's nearest pool sequence)."""
    if not config["training"]["pool"]["size"]:
        return {}
    return {
        "pool": pool_path(),
        "fasta": paths.artifact("sequences", wildcards.dataset),
    }


def pool_source(wildcards):
    """What rule prepare_pool draws from (Greengenes is package data, not an input)."""
    fasta = config["training"]["pool"]["fasta"]
    return {"source": fasta} if fasta else {}


def source_params():
    """The source settings the sequence stages depend on; ``region`` only when it cuts
    (results made before regions existed keep their params, so they are not rebuilt)."""
    source = dict(config["source"])
    if source["region"] == "full":
        del source["region"]
    return canonical(source)


def training_capacity(wildcards, input, threads):
    """A training job's :func:`neuroseed.capacity.training` estimate."""
    pool = config["training"]["pool"]["size"] if "pool" in input.keys() else 0
    trained = wildcards.encoder in registry.TRAINED
    return capacity.training(input.distances, pool, trained)
