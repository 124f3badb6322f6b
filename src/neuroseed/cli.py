"""``neuroseed``: embed sequences with a trained model and search references by estimated
edit distance.

    neuroseed embed results/gg2000/training/random-s1/cnn-hyperbolic/seed0/model.keras \\
        in.fasta -o emb.npy
    neuroseed search MODEL.keras --refs refs.fasta --query q.fasta -k 10 -o hits.tsv [--rerank 50]
    neuroseed search --model greengenes16s --refs refs.fasta --query q.fasta -k 10
    neuroseed index greengenes16s refs.fasta -o refs.idx.npz
    neuroseed search --model greengenes16s --index refs.idx.npz --query q.fasta -k 10
    neuroseed export MODEL.keras -o small.keras
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

# module-qualified calls below, so tests can stand in for one function
from neuroseed import NeuroseedError, embedding_search, io, model_file
from neuroseed import index as ref_index
from neuroseed.runtime import configure_backend


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neuroseed",
        description="Neural distance embeddings of DNA sequences: use a model trained by the "
        "NeuroSEED workflow (results/<dataset>/training/.../model.keras).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    model_help = "a trained model.keras, or the name of a pretrained one ({})".format(
        ", ".join(model_file.pretrained_names()) or "none installed"
    )
    common.add_argument(
        "--length",
        type=int,
        help="the normaliser L the model was trained with (default: from metrics.json)",
    )
    common.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads")
    common.add_argument("--batch-size", type=int, default=256, help="sequences per batch")

    e = sub.add_parser(
        "embed",
        parents=[common],
        help="embed the sequences of a FASTA file",
        description="Write the embeddings of a FASTA file's sequences: an .npy array "
        "(n × dimension, rows in file order) and the ids beside it (<output>.ids.txt).",
    )
    e.add_argument("model", help=model_help)
    e.add_argument("fasta", help="sequences to embed (ACGT/U, IUPAC codes allowed)")
    e.add_argument("-o", "--output", required=True, help="output .npy file (ids: <output>.ids.txt)")

    s = sub.add_parser(
        "search",
        parents=[common],
        help="find the k references nearest each query",
        description="For every query, the k references with the smallest estimated edit "
        "distance (embedding distance × L), as a TSV: query, rank, reference, estimated_ed "
        "(and exact_ed with --rerank).",
    )
    s.add_argument("model", nargs="?", help=model_help)
    s.add_argument("--model", dest="model_option", metavar="MODEL", help="the same, as an option")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--refs", help="reference sequences (FASTA), embedded on each call")
    where.add_argument("--index", help="references embedded once by neuroseed index (.npz)")
    s.add_argument("--query", required=True, help="query sequences (FASTA)")
    s.add_argument("-k", type=int, default=10, help="neighbours per query (default 10)")
    s.add_argument(
        "--rerank",
        type=int,
        default=0,
        metavar="N",
        help="re-rank the N nearest by embedding with exact edit distance (0: off)",
    )
    s.add_argument(
        "--candidates",
        type=int,
        default=200,
        metavar="N",
        help="with --index on a k-mer model: references the sketch passes on to the exact "
        "embedding distance (default 200; more: slower, closer to brute force)",
    )
    s.add_argument(
        "--probe",
        type=int,
        default=32,
        metavar="N",
        help="with --index on a k-mer model of 5,000+ references: lists of references (of "
        "2*sqrt(n)) whose sketches are scored, nearest first (default 32; more: slower, "
        "closer to brute force)",
    )
    s.add_argument("-o", "--output", help="output .tsv file (default: standard output)")

    i = sub.add_parser(
        "index",
        parents=[common],
        help="embed references once, for fast repeated searches",
        description="Embed a FASTA file's sequences once and write a search index (.npz) for "
        "neuroseed search --index: exact for most distances; for manhattan k-mer models a "
        "sketch of the counts picks candidates and the exact distance ranks them.",
    )
    i.add_argument("model", help=model_help)
    i.add_argument("fasta", help="reference sequences (FASTA)")
    i.add_argument("-o", "--output", required=True, help="output index (.npz)")
    i.add_argument(
        "--sketch-dims",
        type=int,
        default=256,
        metavar="D",
        help="principal components of the sketch (default 256)",
    )

    x = sub.add_parser(
        "export",
        parents=[common],
        help="copy a model without its optimizer state",
        description="Write a trained model without its optimizer state: a third of the size, "
        "and loadable for embedding and search on every Keras backend (TensorFlow, PyTorch, "
        "JAX) whichever trained it.",
    )
    x.add_argument("model", help=model_help)
    x.add_argument("-o", "--output", required=True, help="output .keras file")
    return p


def _ids_path(output: str) -> str:
    return output.removesuffix(".npy") + ".ids.txt"


def _check_output(path: str) -> None:
    """Refuse an unusable output path before the model loads and the work is done."""
    out = Path(path)
    if out.is_dir():
        raise NeuroseedError(f"{path}: is a directory; give a file name")
    parent = out.parent
    while not parent.exists():  # missing directories are created on writing
        parent = parent.parent
    if not parent.is_dir():
        raise NeuroseedError(f"{path}: {parent} is not a directory; give -o in a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NeuroseedError(f"{path}: {parent} is not writable; give -o in another directory")


@contextlib.contextmanager
def _writing(path: str):
    """Name the output the user gave, not the temporary file beside it, when a write fails."""
    try:
        yield
    except IsADirectoryError:
        raise NeuroseedError(f"{path}: is a directory; give a file name") from None
    except OSError as exc:
        raise NeuroseedError(
            f"{path}: cannot write ({exc.strerror or exc}); give another -o"
        ) from None


def _embed(args, trained) -> None:
    records = embedding_search.read_sequences(args.fasta, trained.width)
    start = time.perf_counter()
    emb = embedding_search.embed(trained, [r.sequence for r in records], args.batch_size)
    seconds = time.perf_counter() - start
    with _writing(args.output):
        io.save_npy(args.output, emb.astype(np.float32))
    ids = _ids_path(args.output)
    with _writing(ids):
        io.write_text(ids, "".join(f"{r.id}\n" for r in records))
    logging.info(
        "%d sequences embedded in %.1f s (%d dimensions) -> %s, %s",
        len(records),
        seconds,
        emb.shape[1],
        args.output,
        ids,
    )


def _search(args, trained) -> None:
    if args.k < 1 or args.rerank < 0 or args.candidates < 1 or args.probe < 1:
        raise NeuroseedError(
            "-k, --candidates and --probe must be at least 1 and --rerank at least 0"
        )
    if args.index is not None:
        index = ref_index.load(args.index)
        if index.model_sha256 != ref_index.file_sha256(args.model_path):
            raise NeuroseedError(
                f"{args.index}: built with another model than {args.model_path}; search with "
                "that model, or rebuild the index with neuroseed index"
            )
        ref_ids, ref_seqs = index.ids, index.sequences
    else:
        refs = embedding_search.read_sequences(args.refs, trained.width)
        ref_ids, ref_seqs = [r.id for r in refs], [r.sequence for r in refs]
    queries = embedding_search.read_sequences(args.query, trained.width)
    query_seqs = [r.sequence for r in queries]
    start = time.perf_counter()
    query_emb = embedding_search.embed(trained, query_seqs, args.batch_size)
    if args.index is not None:
        shortlist = max(args.k, args.rerank)
        idx, est = ref_index.search(
            index, query_emb, shortlist, args.candidates, args.threads, probe=args.probe
        )
        idx, est, exact = embedding_search.rerank_exact(
            idx, est, args.k, query_seqs, ref_seqs, args.rerank, args.threads
        )
    else:
        ref_emb = embedding_search.embed(trained, ref_seqs, args.batch_size)
        idx, est, exact = embedding_search.nearest(
            trained, query_emb, ref_emb, args.k, query_seqs, ref_seqs, args.rerank, args.threads
        )
    seconds = time.perf_counter() - start
    header = ["query", "rank", "reference", "estimated_ed"] + (["exact_ed"] if args.rerank else [])
    lines = ["\t".join(header)]
    for q, rec in enumerate(queries):
        for rank, j in enumerate(idx[q]):
            row = [rec.id, str(rank + 1), ref_ids[j], f"{est[q, rank]:.1f}"]
            if exact is not None:
                row.append(str(int(exact[q, rank])))
            lines.append("\t".join(row))
    if args.output is None:
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        with _writing(args.output):
            io.write_text(args.output, "\n".join(lines) + "\n")
    logging.info(
        "%d queries against %d references in %.1f s -> %s",
        len(queries),
        len(ref_ids),
        seconds,
        args.output or "standard output",
    )


def _index(args, trained) -> None:
    if args.sketch_dims < 1:
        raise NeuroseedError("--sketch-dims must be at least 1")
    refs = embedding_search.read_sequences(args.fasta, trained.width)
    start = time.perf_counter()
    emb = embedding_search.embed(trained, [r.sequence for r in refs], args.batch_size)
    index = ref_index.build(
        emb,
        [r.id for r in refs],
        [r.sequence for r in refs],
        trained.distance,
        trained.scale,
        trained.length,
        ref_index.file_sha256(args.model_path),
        args.sketch_dims,
    )
    with _writing(args.output):
        ref_index.save(index, args.output)
    logging.info(
        "%d references indexed in %.1f s (%d dimensions, %d counted, sketch of %d in %d "
        "lists) -> %s",
        len(refs),
        time.perf_counter() - start,
        index.dim,
        len(index.count_cols),
        index.sketch.shape[1],
        len(index.centroids),
        args.output,
    )


def _model_path(args) -> Path:
    option = getattr(args, "model_option", None)
    if args.model and option:
        raise NeuroseedError("give the model once: as the first argument or with --model")
    if not (args.model or option):
        raise NeuroseedError(
            "no model: give a model.keras or a pretrained name ("
            + (", ".join(model_file.pretrained_names()) or "none installed")
            + ")"
        )
    return model_file.resolve(args.model or option)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.INFO, format="neuroseed: %(message)s", stream=sys.stderr)
    try:
        model = _model_path(args)
        if args.output is not None:
            _check_output(args.output)
        if args.command == "embed":
            _check_output(_ids_path(args.output))
        configure_backend(args.threads, 0)
        if args.command == "export":
            with _writing(args.output):
                ident = model_file.export_model(model, args.output)
            logging.info("%s + %s model -> %s", ident.encoder, ident.distance, args.output)
            return 0
        args.model_path = model
        trained = embedding_search.load_model(model, args.length)
        logging.info(
            "model %s + %s, input %d nt, L = %d",
            trained.model,
            trained.distance,
            trained.width,
            trained.length,
        )
        {"embed": _embed, "search": _search, "index": _index}[args.command](args, trained)
    except NeuroseedError as exc:
        print(f"neuroseed {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # any other file or system fault, still in one line
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"neuroseed {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
