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
from neuroseed import (
    NeuroseedError,
    __version__,
    console,
    embedding_search,
    io,
    model_file,
    outfmt,
    paths,
)
from neuroseed import index as ref_index
from neuroseed.console import Progress
from neuroseed.runtime import configure_backend
from neuroseed.verify import Bounds, Stop, competition_ranks, trials_to_arrays

EXIT_STATUS = (
    "exit status: 0 done; 1 an error, told in one line on standard error (bad input, a file "
    "that cannot be read or written); 2 a usage error (unknown option, missing argument)"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neuroseed",
        description="Neural distance embeddings of DNA sequences: use a model trained by the "
        f"NeuroSEED workflow (results/<dataset>/training/.../{paths.MODEL}).",
        epilog=EXIT_STATUS,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    pretrained = ", ".join(model_file.pretrained_names()) or "none installed"
    model_help = f"a trained {paths.MODEL}, or the name of a pretrained one ({pretrained})"
    common.add_argument(
        "--length",
        type=int,
        help=f"the normaliser L the model was trained with (default: from {paths.METRICS})",
    )
    common.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads")
    common.add_argument("--batch-size", type=int, default=256, help="sequences per batch")
    talk = common.add_mutually_exclusive_group()
    talk.add_argument(
        "--quiet", action="store_true", help="only warnings and errors on standard error"
    )
    talk.add_argument(
        "--verbose",
        action="store_true",
        help="also TensorFlow's own start-up lines (hidden by default)",
    )

    e = sub.add_parser(
        "embed",
        parents=[common],
        help="embed the sequences of a FASTA file",
        description="Write the embeddings of a FASTA file's sequences: an .npy array "
        "(n × dimension, rows in file order) and the ids beside it (<output>.ids.txt).",
    )
    e.add_argument("model", help=model_help)
    e.add_argument(
        "fasta", help="sequences to embed (ACGT/U, IUPAC codes allowed; -: standard input)"
    )
    e.add_argument("-o", "--output", required=True, help="output .npy file (ids: <output>.ids.txt)")

    s = sub.add_parser(
        "search",
        parents=[common],
        help="find the k references nearest each query",
        description="For every query, the k nearest references by exact edit distance, as a "
        "TSV: query, rank, reference, exact_ed, estimated_ed, verified, certified. The "
        "embedding orders each query's candidates (estimated edit distance = embedding "
        "distance × L) and exact Levenshtein decides, verifying candidates until a stop "
        "calibrated on the references says the true nearest has been met (--recall). "
        "Tied references share a rank and all of them are listed. --approx: the embedding's "
        "own answer (query, rank, reference, estimated_ed).",
    )
    s.add_argument("model", nargs="?", help=model_help)
    s.add_argument("--model", dest="model_option", metavar="MODEL", help="the same, as an option")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--refs", help="reference sequences (FASTA), embedded on each call")
    where.add_argument("--index", help="references embedded once by neuroseed index (.npz)")
    s.add_argument("--query", required=True, help="query sequences (FASTA; -: standard input)")
    s.add_argument("-k", type=int, default=10, help="neighbours per query (default 10)")
    how = s.add_mutually_exclusive_group()
    how.add_argument(
        "--recall",
        type=float,
        default=embedding_search.DEFAULT_RECALL,
        metavar="P",
        help="verify each query's candidates, in the embedding's order, until its true nearest "
        "has been verified with probability P, as calibrated on the references (default "
        f"{embedding_search.DEFAULT_RECALL})",
    )
    how.add_argument(
        "--rerank",
        type=int,
        metavar="N",
        help="verify exactly the N nearest by embedding instead (no calibrated stop)",
    )
    how.add_argument(
        "--exhaustive",
        action="store_true",
        help="verify every reference: exact and certified, and slow",
    )
    how.add_argument(
        "--approx",
        action="store_true",
        help="no exact verification: the k nearest by estimated edit distance only",
    )
    s.add_argument(
        "--limit",
        type=int,
        default=embedding_search.DEFAULT_LIMIT,
        metavar="N",
        help="candidates verified at most per query (default "
        f"{embedding_search.DEFAULT_LIMIT}; with --index, at most the index's)",
    )
    s.add_argument(
        "--candidates",
        type=int,
        default=200,
        metavar="N",
        help="with --index on a k-mer model and --approx: references the sketch passes on to "
        "the exact embedding distance (default 200; more: slower, closer to brute force). The "
        "exact search passes four per candidate it lists, at least 2,048",
    )
    s.add_argument(
        "--probe",
        type=int,
        metavar="N",
        help="with --index on a k-mer model of 5,000+ references: lists of references (of "
        "2*sqrt(n)) whose sketches are scored, nearest first (default: the index's, as "
        f"calibrated, {ref_index.PROBE} unless built otherwise; more: slower, closer to brute "
        "force)",
    )
    s.add_argument("-o", "--output", help="output .tsv file (default or -: standard output)")
    s.add_argument(
        "--outfmt",
        choices=outfmt.FORMATS,
        default="tsv",
        help="tsv: the columns above, with a header (default); blast6: BLAST's -outfmt 6 "
        "columns (qseqid sseqid pident length mismatch gapopen qstart qend sstart send evalue "
        "bitscore, no header) of a global alignment, as VSEARCH's --blast6out",
    )
    s.add_argument(
        "--userfields",
        metavar="F+F+...",
        help=f"only these columns, no header, as VSEARCH's --userout: {'+'.join(outfmt.FIELDS)}",
    )

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
    i.add_argument(
        "--calibration-queries",
        type=int,
        metavar="N",
        help="references searched leave-one-out, exhaustively, to calibrate the exact "
        "search's stop (default: as many as 20 million exact pairs allow, 200 to "
        f"{embedding_search.CALIBRATION_QUERIES}; 0: none)",
    )
    i.add_argument(
        "--probe",
        type=int,
        default=ref_index.PROBE,
        metavar="N",
        help="lists of references whose sketches a query scores (k-mer models, 5,000+ "
        f"references): the calibration's and the searches' default (default {ref_index.PROBE})",
    )
    i.add_argument(
        "--calibrate-on",
        metavar="FASTA",
        help="sequences like the queries to come (e.g. a sample of them), searched "
        "exhaustively to calibrate the stop instead of references left out: for queries "
        "farther from the references than these are from each other",
    )
    i.add_argument(
        "--limit",
        type=int,
        default=embedding_search.DEFAULT_LIMIT,
        metavar="N",
        help="candidates the exact search may verify per query (default "
        f"{embedding_search.DEFAULT_LIMIT})",
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


INPUTS = {  # the commands' input files: argument -> how the user named it
    "refs": "--refs",
    "query": "--query",
    "index": "--index",
    "fasta": "the FASTA input",
    "calibrate_on": "--calibrate-on",
}


def _check_output(path: str, args, model: Path) -> None:
    """Refuse an unusable output path before the model loads and the work is done: a
    directory, a link or anything but a regular file (replacing it would not write where it
    points), or one of the command's own inputs (it would be lost)."""
    out = Path(path)
    if out.is_dir():
        raise NeuroseedError(f"{path}: is a directory; give a file name")
    if out.is_symlink() or (out.exists() and not out.is_file()):
        what = "a symbolic link" if out.is_symlink() else "not a regular file"
        raise NeuroseedError(
            f"{path}: is {what}; neuroseed writes regular files only (by atomic replace), "
            "give another -o"
        )
    named = [(label, getattr(args, name, None)) for name, label in INPUTS.items()]
    for label, given in [*named, ("the model", model)]:
        if given is not None and _same_file(out, Path(given)):
            raise NeuroseedError(
                f"{path}: is also {label} of this command; writing it would destroy that "
                "input, give another -o"
            )
    parent = out.parent
    while not parent.exists():  # missing directories are created on writing
        parent = parent.parent
    if not parent.is_dir():
        raise NeuroseedError(f"{path}: {parent} is not a directory; give -o in a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise NeuroseedError(f"{path}: {parent} is not writable; give -o in another directory")


def _check_standard_streams(args) -> None:
    """``-``: standard input for one input file, standard output for the search's table (the
    other commands write binary files with a second file beside them)."""
    named = [label for name, label in INPUTS.items() if getattr(args, name, None) == io.STDIN]
    if len(named) > 1:
        raise NeuroseedError(
            f"{' and '.join(named)} are both '-' (standard input); only one input can be read "
            "from it, give the others as files"
        )
    if args.output == io.STDIN:
        if args.command != "search":
            raise NeuroseedError(
                f"-o -: neuroseed {args.command} writes a binary file (and embed its ids beside "
                "it), not to standard output; give a file name"
            )
        args.output = None  # the table goes to standard output


def _check_table(args) -> None:
    """The search's --outfmt and --userfields, checked before TensorFlow loads."""
    outfmt.check_format(args.outfmt, not args.approx)
    if args.userfields is not None and args.outfmt != "tsv":
        raise NeuroseedError("give --outfmt or --userfields, not both")
    args.fields = (
        None if args.userfields is None else outfmt.userfields(args.userfields, not args.approx)
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


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
    emb = embedding_search.embed(
        trained, [r.sequence for r in records], args.batch_size, Progress(logging.info, "embedding")
    )
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
    if min(args.k, args.limit, args.candidates, 1 if args.probe is None else args.probe) < 1:
        raise NeuroseedError("-k, --limit, --candidates and --probe must be at least 1")
    if args.rerank is not None and args.rerank < 1:
        raise NeuroseedError("--rerank must be at least 1")
    if not 0.0 < args.recall < 1.0:
        raise NeuroseedError(f"--recall must be a probability between 0 and 1, not {args.recall}")
    index = None
    if args.index is not None:
        index = ref_index.load(args.index)
        if index.model_sha256 != io.file_sha256(args.model_path):
            raise NeuroseedError(
                f"{args.index}: built with another model than {args.model_path}; search with "
                "that model, or rebuild the index with neuroseed index"
            )
        ref_ids, ref_seqs = index.ids, index.sequences
    else:
        refs = embedding_search.read_sequences(args.refs, trained.width)
        ref_ids, ref_seqs = [r.id for r in refs], [r.sequence for r in refs]
    probe = args.probe or (ref_index.PROBE if index is None else index.probe)
    queries = embedding_search.read_sequences(args.query, trained.width)
    query_seqs = [r.sequence for r in queries]
    start = time.perf_counter()
    searcher = embedding_search.Searcher(
        trained,
        ref_ids,
        ref_seqs,
        index,
        args.threads,
        args.batch_size,
        args.candidates,
        probe,
        logging.info,
    )
    n, hits, calibrated = len(ref_seqs), None, False
    if args.approx:
        idx, est = searcher.approx(query_seqs, args.k)
    else:
        if args.exhaustive or n <= embedding_search.EXHAUSTIVE_UP_TO:
            stop = Stop(limit=n)
        elif args.rerank is not None:
            stop = Stop(limit=args.rerank)
        else:
            stop, summary = searcher.stop(args.recall, args.limit)
            _log_calibration(args, summary, index)
            calibrated = bool(summary)
        hits = searcher.exact(query_seqs, args.k, stop)
        if calibrated:
            farther = embedding_search.farther_than_calibrated(searcher.trials(stop.limit), hits)
            if farther:
                logging.warning(
                    "the queries' nearest references are farther (median edit distance %.0f) "
                    "than the calibration's (%.0f): fewer of them than the %.1f%% calibrated may "
                    "have their true nearest; calibrate on sequences like them (neuroseed index "
                    "--calibrate-on) or verify more (--limit, --rerank, --exhaustive)",
                    farther[0],
                    farther[1],
                    100 * args.recall,
                )
    seconds = time.perf_counter() - start
    rows = []
    for q, rec in enumerate(queries):
        if hits is None:
            for rank, j in enumerate(idx[q]):
                rows.append(
                    outfmt.Hit(
                        rec.id, ref_ids[j], rank + 1, rec.sequence, ref_seqs[j], est[q, rank]
                    )
                )
            continue
        answer = hits[q].answer
        ranks = competition_ranks(answer.exact)
        for rank, j, exact, e in zip(
            ranks, answer.refs, answer.exact, answer.estimated, strict=True
        ):
            rows.append(
                outfmt.Hit(
                    rec.id,
                    ref_ids[j],
                    int(rank),
                    rec.sequence,
                    ref_seqs[j],
                    float(e),
                    int(exact),
                    int(answer.verified),
                    bool(hits[q].certified),
                )
            )
    text = "".join(f"{line}\n" for line in outfmt.lines(rows, args.outfmt, args.fields))
    if args.output is None:
        sys.stdout.write(text)
    else:
        with _writing(args.output):
            io.write_text(args.output, text)
    summary = ""
    if hits is not None:
        verified = np.array([h.answer.verified for h in hits])
        summary = (
            f"; exact: {verified.mean():.0f} references verified per query on average "
            f"(max {verified.max()}), {sum(h.certified for h in hits)} answers certified"
        )
    logging.info(
        "%d queries against %d references in %.1f s%s -> %s",
        len(queries),
        n,
        seconds,
        summary,
        args.output or "standard output",
    )


def _log_calibration(args, summary: dict, index) -> None:
    if not summary:
        logging.warning(
            "%s has no calibration (built with --calibration-queries 0): verifying %d "
            "candidates per query",
            args.index,
            min(args.limit, len(index.ids)),
        )
        return
    logging.info(
        "stop calibrated on %d %s: true nearest verified for %.1f%% (target %.1f%%; the "
        "candidates hold it for %.1f%%), %.0f verifications per query on average",
        summary["calibration_queries"],
        "references searched leave-one-out"
        if index is None or index.calibrated_on == "references"
        else f"sequences of {index.calibrated_on}",
        100 * summary["recall_calibrated"],
        100 * args.recall,
        100 * summary["recall_of_candidates"],
        summary["verified_mean"],
    )


def _index(args, trained) -> None:
    calibration = args.calibration_queries
    if min(args.sketch_dims, args.limit, args.probe) < 1 or (calibration or 0) < 0:
        raise NeuroseedError(
            "--sketch-dims, --limit and --probe must be at least 1, --calibration-queries at "
            "least 0"
        )
    refs = embedding_search.read_sequences(args.fasta, trained.width)
    seqs = [r.sequence for r in refs]
    start = time.perf_counter()
    emb = embedding_search.embed(
        trained, seqs, args.batch_size, Progress(logging.info, "embedding references")
    )
    index = ref_index.build(
        emb,
        [r.id for r in refs],
        seqs,
        trained.distance,
        trained.scale,
        trained.length,
        io.file_sha256(args.model_path),
        args.sketch_dims,
    )
    built = time.perf_counter() - start
    if not index.profile_k():  # a k-mer model's counts are the certificates' k-mers already
        bounds = Bounds.of(seqs)
        index.bound_k, index.bound_sets = bounds.k, bounds.sets
    index.limit, index.probe = min(args.limit, len(seqs)), args.probe
    if calibration is None:
        pairs = embedding_search.INDEX_CALIBRATION_PAIRS
        calibration = embedding_search.calibration_queries(len(seqs), pairs)
    if calibration and len(seqs) > embedding_search.EXHAUSTIVE_UP_TO:
        began = time.perf_counter()
        like, like_emb = None, emb
        if args.calibrate_on is not None:
            records = embedding_search.read_sequences(args.calibrate_on, trained.width)
            like = [r.sequence for r in records]
            like_emb = embedding_search.embed(
                trained,
                like,
                args.batch_size,
                Progress(logging.info, "embedding " + args.calibrate_on),
            )
        trial_list = embedding_search.calibrate(
            seqs,
            lambda rows: embedding_search.index_lists(
                index, like_emb[rows], index.limit + 1, args.threads, probe=args.probe
            ),
            calibration,
            workers=args.threads,
            progress=Progress(logging.info, "calibration"),
            queries=like,
        )
        if like is not None:
            index.calibrated_on = Path(args.calibrate_on).name
        for name, array in trials_to_arrays(trial_list).items():
            setattr(index, name, array)
        logging.info(
            "calibration: %d %s searched in %.1f s",
            len(trial_list),
            "references left out" if like is None else f"sequences of {args.calibrate_on}",
            time.perf_counter() - began,
        )
    with _writing(args.output):
        ref_index.save(index, args.output)
    logging.info(
        "%d references indexed in %.1f s (%d dimensions, %d counted, sketch of %d in %d "
        "lists; %.1f s in all) -> %s",
        len(refs),
        built,
        index.dim,
        len(index.count_cols),
        index.sketch.shape[1],
        len(index.centroids),
        time.perf_counter() - start,
        args.output,
    )


def _model_path(args) -> Path:
    option = getattr(args, "model_option", None)
    if args.model and option:
        raise NeuroseedError("give the model once: as the first argument or with --model")
    if not (args.model or option):
        raise NeuroseedError(
            f"no model: give a {paths.MODEL} or a pretrained name ("
            + (", ".join(model_file.pretrained_names()) or "none installed")
            + ")"
        )
    return model_file.resolve(args.model or option)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(format="neuroseed: %(message)s", handlers=[console.Handler()])
    logging.getLogger().setLevel(logging.WARNING if args.quiet else logging.INFO)
    console.LIVE = not args.quiet and sys.stderr.isatty()
    try:
        with console.native_lines_hidden(not args.verbose):
            return _run(args)
    finally:
        console.LIVE = False


def _run(args) -> int:
    try:
        if args.threads < 1 or args.batch_size < 1:  # TensorFlow aborts (exit 134) on these
            raise NeuroseedError("--threads and --batch-size must be at least 1")
        _check_standard_streams(args)
        if args.command == "search":
            _check_table(args)
        model = _model_path(args)
        if args.output is not None:
            _check_output(args.output, args, model)
        if args.command == "embed":
            _check_output(_ids_path(args.output), args, model)
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
