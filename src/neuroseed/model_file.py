"""The trained-model file: a Keras ``.keras`` archive (Siamese encoder + distance head) that
carries its own identity, ``neuroseed.json`` inside the archive: encoder, distance, seed, the
normaliser L, the input width and alphabet. Whoever uses the file (search, the CLI, evaluation,
figures) reads that instead of the folder it sits in, so a copied model still knows what it is.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from neuroseed import NeuroseedError, paths
from neuroseed.io import atomic_path, loads_json

IDENTITY = "neuroseed.json"
# The encoding's symbols (neuroseed.encoding), by the one-hot depth the model reads.
ALPHABETS = {4: "ACGT", 5: "ACGT-"}


@dataclass
class Identity:
    encoder: str
    distance: str
    seed: int
    padded_length: int  # the normaliser L: a distance d estimates the edit distance d * L
    input_width: int  # positions the encoder reads (wider than L for aligned input)
    alphabet: str  # ACGT, or ACGT- for MAFFT-aligned input
    embedding_dim: int
    split: str | None  # the split it was trained on (neuroseed.registry.split_name)
    neuroseed_version: str
    keras_backend: str


def save_model(model, path: str | Path, identity: Identity) -> None:
    """Write ``model`` with its identity inside the archive, atomically."""
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(IDENTITY, json.dumps(asdict(identity), indent=1))


def read_identity(path: str | Path) -> Identity | None:
    """The identity inside a model file; None for a model written before identities (or by
    plain Keras)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if IDENTITY not in archive.namelist():
                return None
            fields = loads_json(archive.read(IDENTITY))
        return Identity(**fields)
    except (zipfile.BadZipFile, ValueError, TypeError) as exc:
        raise NeuroseedError(
            f"{path}: its {IDENTITY} is damaged ({type(exc).__name__}); retrain it (rule "
            f"train_model) or give a {paths.MODEL} written by the NeuroSEED workflow"
        ) from None


# where the workflow keeps a trained model: <split>/<encoder>-<distance>/seed<seed>/model.keras
PLACE = re.compile(
    paths.RUN.format(
        split=r"(?P<split>[^/]+)",
        encoder=r"(?P<encoder>[a-z_]+)",
        distance=r"(?P<distance>[a-z]+)",
        seed=r"(?P<seed>\d+)",
    )
    + r"/[^/]+$"
)


def check_place(path: str | Path) -> None:
    """Refuse a model whose identity is not the run its place in ``results/`` names (a file
    copied over another run's would be evaluated, tabled and plotted under the wrong name)."""
    found = read_identity(path)
    place = PLACE.search(Path(path).as_posix())
    if found is None or place is None:
        return
    named = (place["encoder"], place["distance"], int(place["seed"]))
    held = (found.encoder, found.distance, found.seed)
    split_differs = found.split is not None and found.split != place["split"]
    if held != named or split_differs:
        raise NeuroseedError(
            f"{path}: holds {found.encoder}+{found.distance} seed {found.seed} (split "
            f"{found.split}), not the {named[0]}+{named[1]} seed {named[2]} (split "
            f"{place['split']}) its place names; delete it and run snakemake again (rule "
            "train_model rebuilds it)"
        )


def check_fits(path: str | Path, width: int, length: int, alphabet_size: int) -> None:
    """Refuse a model trained on other data than the dataset it is evaluated on: another
    input width or alphabet (a shape error deep in Keras, or, for a k-mer model, which reads any
    width, estimates scaled by the wrong L)."""
    found = identity(path)
    held = (found.input_width, found.padded_length, found.alphabet)
    wanted = (width, length, ALPHABETS[alphabet_size])
    if held != wanted:
        raise NeuroseedError(
            f"{path}: trained on input of {held[0]} positions (L = {held[1]}, alphabet "
            f"{held[2]}), but this dataset's is {wanted[0]} (L = {wanted[1]}, alphabet "
            f"{wanted[2]}): a model of other data; delete it and run snakemake again (rule "
            "train_model rebuilds it)"
        )


def identity(path: str | Path) -> Identity:
    """The identity of a model file: inside it, or, for a model written before identities, from
    the ``metrics.json`` its training wrote beside it."""
    found = read_identity(path)
    if found is not None:
        return found
    metrics = Path(path).with_name(paths.METRICS)
    try:
        m = loads_json(metrics.read_text())
        width = m.get("input", {}).get("width", m["padded_length"])
        return Identity(
            encoder=m["model"],
            distance=m["distance"],
            seed=int(m["seed"]),
            padded_length=int(m["padded_length"]),
            input_width=int(width),
            alphabet=ALPHABETS[m.get("input", {}).get("alphabet_size", 4)],
            embedding_dim=int(m["embedding_dim"]),
            split=None,
            neuroseed_version="unknown",
            keras_backend=m.get("backend", "unknown"),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise NeuroseedError(
            f"{path}: no {IDENTITY} inside (written by an older version) and no usable "
            f"{metrics.name} beside it; retrain it: snakemake --forcerun train_model"
        ) from None


def labels(path: str | Path) -> dict:
    """Encoder, distance and seed of a model file: they label its rows in evaluation tables."""
    ident = identity(path)
    return {"model": ident.encoder, "distance": ident.distance, "seed": ident.seed}


# Models shipped with the package, by name (docs/pretrained.md is their model card).
PRETRAINED = Path(__file__).parent / "pretrained"


def pretrained_names() -> list[str]:
    return sorted(p.stem for p in PRETRAINED.glob("*.keras"))


def resolve(model: str | Path) -> Path:
    """A model file: the path given, or else a pretrained model shipped with the package named
    so (``greengenes16s``)."""
    path = Path(model)
    if not path.exists() and str(model) in pretrained_names():
        return PRETRAINED / f"{model}.keras"
    return path


def export_model(source: str | Path, dest: str | Path) -> Identity:
    """Write a trained model without its optimizer state (a third of its size), loadable for
    inference on every Keras backend whichever trained it; the identity goes with it."""
    import keras

    load_siamese(source)  # checked first: one-line errors for a bad file
    model = keras.models.load_model(source, compile=False)
    ident = identity(source)
    save_model(model, dest, ident)
    return ident


def load_siamese(path: str | Path):
    """The shared encoder and the distance head of a trained ``model.keras``."""
    # here, not above: reading a model's identity must not load TensorFlow
    import keras

    from neuroseed.models import PairDistance, split_siamese

    path = Path(path)
    if not path.is_file():
        raise NeuroseedError(f"{path}: model file not found")
    retrain = f"give a {paths.MODEL} trained by the NeuroSEED workflow"
    # Keras reports a damaged archive as "File not found"; say what is wrong before it does
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise NeuroseedError(
            f"{path}: not a readable .keras file (truncated or not a zip archive); {retrain}"
        )
    try:
        # safe_mode stays on: a model file runs no code. No optimizer: inference only, and the
        # optimizer state of another backend need not rebuild here.
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # a bad file fails anywhere in Keras, with any exception type
        raise NeuroseedError(
            f"{path}: not a loadable Keras model ({_load_failure(exc)}); {retrain}"
        ) from None
    try:
        encoder, head = split_siamese(model)
    except (StopIteration, ValueError, AttributeError):  # no nested encoder or "distance" layer
        encoder = head = None
    if not isinstance(encoder, keras.Model) or not isinstance(head, PairDistance):
        raise NeuroseedError(
            f"{path}: a Keras model but not a NeuroSEED one (no NeuroSEED encoder and distance "
            f"head); {retrain}"
        )
    return encoder, head


def _load_failure(exc: Exception) -> str:
    """What Keras could not load, in one short line: the innermost cause's first sentence,
    without the configuration dump Keras appends."""
    text = str(exc)
    if "safe_mode" in text:
        return "it holds Python code (a Lambda layer), which safe loading does not run"
    text = text.split("Exception encountered:")[-1]
    for dump in ("Full config", "Full object config", "config="):
        text = text.split(dump)[0]
    text = " ".join(text.split()).split(". ")[0].rstrip(" .,:")
    text = text or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
