import os


wildcard_constraints:
    dataset=re.escape(config["dataset"]),
    encoder="|".join(config["training"]["encoders"]),
    distance="|".join(config["training"]["distances"]),
    seed=r"\d+",


DATASET = config["dataset"]


def has_tree():
    """Greengenes comes with its reference tree; a user FASTA only if source.tree is set."""
    return config["source"]["type"] == "greengenes" or bool(config["source"]["tree"])


def encoding_input(wildcards):
    """Raw sequences, plus their MAFFT alignment when encoding.alignment is mafft."""
    inputs = {"fasta": f"results/{wildcards.dataset}/sequences/sequences.fasta"}
    if config["encoding"]["alignment"] == "mafft":
        inputs["aligned"] = f"results/{wildcards.dataset}/alignment/aligned.fasta"
    return inputs


def split_name():
    return "file" if config["split"]["file"] else config["split"]["method"]


def training_runs(suffix):
    """One path per configured encoder x distance x seed, ending in ``suffix``."""
    return expand(
        "results/{dataset}/training/{split}/{encoder}-{distance}/seed{seed}/{suffix}",
        dataset=DATASET,
        split=split_name(),
        encoder=config["training"]["encoders"],
        distance=config["training"]["distances"],
        seed=config["training"]["seeds"],
        suffix=suffix,
    )


def figure_paths(name):
    return [
        f"results/{DATASET}/figures/{name}.pdf",
        f"results/{DATASET}/figures/{name}.png",
        f"results/{DATASET}/tables/{name}.tsv",
    ]


def train_settings(wildcards):
    """Everything that defines one training run; a change reruns only the runs it touches."""
    hparams = dict(config["encoders"][wildcards.encoder])
    t = config["training"]
    return {
        "model": wildcards.encoder,
        "distance": wildcards.distance,
        "seed": int(wildcards.seed),
        "embedding_dim": t["embedding_dim"],
        "batch_size": t["batch_size"],
        "partners": t["partners"],
        "patience": t["patience"],
        "epochs": hparams.pop("epochs"),
        "learning_rate": learning_rate(
            hparams.pop("learning_rate"), wildcards.distance
        ),
        "hparams": hparams,
    }


def learning_rate(value, distance):
    """``encoders.<name>.learning_rate`` is a number or a mapping distance -> rate with a default."""
    return value.get(distance, value["default"]) if isinstance(value, dict) else value


def all_targets():
    targets = [
        f"results/{DATASET}/sequences/provenance.json",
        *figure_paths("rmse"),
        *figure_paths("training_curves"),
    ]
    if has_tree():
        targets.append(f"results/{DATASET}/sequences/tree.nwk")
    return targets
