"""Where a dataset's sequences and tree come from: every branch on ``source.type`` is here.

Pure Python, so ``rules/common.smk`` and :mod:`neuroseed.config` use it while Snakemake parses
the workflow. The source names themselves are in :mod:`neuroseed.registry`.
"""

from __future__ import annotations

from pathlib import Path

from neuroseed import NeuroseedError, paths


def greengenes_paths() -> tuple[Path, Path]:
    """FASTA and tree of Greengenes 13_8 97% OTUs as shipped by ``qiime-default-reference``."""
    try:
        import qiime_default_reference as qdr
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise NeuroseedError(
            "the Greengenes source needs the PyPI package 'qiime-default-reference' "
            "(pip install qiime-default-reference)"
        ) from exc
    return Path(qdr.get_reference_sequences()), Path(qdr.get_reference_tree())


def user_files(source: dict) -> dict[str, str]:
    """Config key -> path of each file the user gives for this source (checked up front, and
    inputs of the rules that read them, so editing one reruns what depends on it)."""
    files = {}
    if source.get("type") == "fasta" and source.get("fasta"):
        files["source.fasta"] = source["fasta"]
    if source.get("type") != "greengenes" and source.get("tree"):
        files["source.tree"] = source["tree"]
    return files


def check(source: dict) -> None:
    """What the schema cannot say: a ``fasta`` source needs its file, and a file given for
    another source would be ignored (the user meant it to be read)."""
    kind = source.get("type")
    if kind == "fasta" and not source.get("fasta"):
        raise NeuroseedError("config: source.fasta: required when source.type is 'fasta'")
    if kind != "fasta" and source.get("fasta"):
        raise NeuroseedError(
            f"config: source.fasta: given, but source.type is '{kind or 'not set'}', which does "
            "not read it; set source.type: fasta to use your file (or remove source.fasta)"
        )
    if kind in ("greengenes", None) and source.get("tree"):
        raise NeuroseedError(
            "config: source.tree: given, but source.type is 'greengenes', which uses its own "
            "tree; set source.type: fasta (or patric) to use yours (or remove source.tree)"
        )


def has_tree(source: dict) -> bool:
    """Greengenes comes with its reference tree; a user FASTA or PATRIC genes only with
    ``source.tree``."""
    return source["type"] == "greengenes" or bool(source.get("tree"))


def sequence_input(source: dict, dataset: str) -> dict[str, str]:
    """What the sequence stage reads besides package data."""
    if source["type"] == "patric":
        return {"fasta": paths.artifact("patric_fasta", dataset)}
    fasta = user_files(source).get("source.fasta")
    return {"fasta": fasta} if fasta else {}


def tree_input(source: dict) -> dict[str, str]:
    """The user's tree as an input; Greengenes' own tree is package data."""
    tree = user_files(source).get("source.tree")
    return {"tree": tree} if tree else {}


def sequence_file(source: dict, fetched: str | Path | None = None) -> tuple[Path, str, str]:
    """The FASTA to draw from, its origin and a label, for the provenance record."""
    kind = source["type"]
    if kind == "greengenes":
        from importlib.metadata import PackageNotFoundError, version

        try:
            origin = f"qiime-default-reference {version('qiime-default-reference')}"
        except PackageNotFoundError:  # pragma: no cover
            origin = "qiime-default-reference"
        return greengenes_paths()[0], origin, "Greengenes 13_8 97% OTU representative sequences"
    if kind == "fasta":
        check(source)
        return Path(source["fasta"]), "user FASTA", str(source["fasta"])
    if kind == "patric":
        if fetched is None:
            raise NeuroseedError("source.type 'patric' needs the fetched FASTA")
        return Path(fetched), "PATRIC/BV-BRC", "PATRIC/BV-BRC gene features"
    raise NeuroseedError(f"source.type: unknown source '{kind}'")


def check_pool(source: dict, pool: dict) -> None:
    """A pool drawn from Greengenes (no ``training.pool.fasta``) only makes sense beside a
    Greengenes dataset: pool and dataset must be the same kind of sequence."""
    if pool.get("size") and not pool.get("fasta") and source.get("type") != "greengenes":
        raise NeuroseedError(
            "config: training.pool.fasta: required when source.type is not 'greengenes' (the "
            "built-in pool is Greengenes 16S); name a FASTA of sequences like the dataset's"
        )


def pool_fasta(source: dict, pool: dict) -> Path:
    """Where the training pool is drawn from: ``training.pool.fasta``, else Greengenes."""
    check_pool(source, pool)
    return Path(pool["fasta"]) if pool.get("fasta") else greengenes_paths()[0]


def tree_file(source: dict) -> Path:
    """The tree to prune to the dataset: Greengenes' own or the user's."""
    if source["type"] == "greengenes":
        return greengenes_paths()[1]
    if source.get("tree"):
        return Path(source["tree"])
    raise NeuroseedError("source.tree: no tree configured for this dataset")
