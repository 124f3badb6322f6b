"""The reference index at growing numbers of references: build time, memory, time per query and
recall@10 against brute force over the same embeddings.

    python benchmarks/index_scale.py --threads 2 --refs 10000 100000 1000000

The shipped ``greengenes16s`` model (kmer_net, manhattan) embeds the package's Greengenes
records that fit its input and hold only ACGT (88,437 of 99,322); ``--queries`` of them (seed 0)
are the queries, the others references, of which the first N of that draw are indexed. Beyond
those 86,437 real references the references are **synthetic**: mutated copies of real
references (copy i: a uniformly drawn real reference, each position substituted, deleted or
preceded by an inserted base with probability ``--mutation`` low..high, drawn per copy; seeded
by ``--seed`` and i, so every N holds the same first copies). Only references are copied, never
queries: the queries stay held out, and none has a copy of itself among the references (which
would make its nearest neighbour trivial). The ``synthetic`` column counts the copies.

The queries are embedded once beforehand, so ``search_ms`` is the index alone
(``neuroseed.index.search`` with each of ``--candidates`` and ``--probe``, ``--threads``
workers). Brute force (``brute_ms``) is the exact manhattan distance to every reference
(scipy ``cdist`` on ``--threads`` threads, blocks of references, on ``--recall-queries``
queries), and ``recall10`` the share of its 10 nearest that the index returns. ``index_mb`` is
the size of the index's arrays in memory, ``peak_rss_mb`` the benchmark process's peak resident
memory so far (the embedding runs in a child process, so this is the data, the index and brute
force; references ascending, so each row's peak is its own size's). ``build_s``
includes reading the references' embeddings from the cache.

With ``--exact`` each size is also searched as ``neuroseed search`` does by default: the index
holds the references' sequences and the stop's calibration (``--calibration-queries`` of the
references searched leave-one-out, exhaustively: ``calibration_s``), and the first
``--recall-queries`` queries are searched exactly (-k ``--k``, ``--recall``): ``exact_ms`` per
query (the queries embedded before, as for ``search_ms``), ``verified`` candidates per query,
and ``top1``: the share of queries whose true nearest reference by exact edit distance (an
exhaustive exact search over every reference, cached; queries with a tied nearest left out)
the search ranks first; ``calibrated`` and ``listed``: the share of the calibration queries whose
true nearest the calibrated stop verifies, and the share whose candidate list holds it at all;
``held_verified`` and ``held_listed`` the same for the searched queries (k = 1), and
``nearest_ratio`` their median nearest exact distance over the calibration queries'. Each size
is calibrated twice (``calibrated_on``): on references left out (the default of ``neuroseed
index``) and on held-out records other than the searched ones (``--calibrate-on``: queries
like the searched ones). ``index_mb`` then counts the sequences too (one byte a base).

Embeddings are cached under ``--cache`` (keyed by the model file, the draw and the mutation
settings; about 4.3 kB per reference: counts as uint8) and brute-force neighbours likewise, so a
rerun only builds and searches. Writes ``docs/results/index_scale.tsv`` (``--out``) and prints
it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import index as ref_index  # noqa: E402
from neuroseed.io import file_sha256, read_fasta  # noqa: E402
from neuroseed.model_file import read_identity  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402

COLUMNS = ("references", "synthetic", "lists", "build_s", "index_mb", "peak_rss_mb")
COLUMNS += ("candidates", "probe", "search_ms", "brute_ms", "recall10")
EXACT_COLUMNS = ("references", "synthetic", "index_mb", "peak_rss_mb", "calibrated_on", "limit")
EXACT_COLUMNS += ("probe",)
EXACT_COLUMNS += ("calibration_s", "k", "recall", "calibrated", "listed", "held_verified")
EXACT_COLUMNS += ("held_listed", "nearest_ratio", "exact_ms", "verified", "certified", "top1")
EXACT_COLUMNS += ("queries_scored",)
CHUNK = 65536  # mutated copies per cache file
BLOCK = 4096  # rows embedded, decoded or brute-forced at once
BASES = np.frombuffer(b"ACGT", np.uint8)
_CODE = np.zeros(256, np.uint8)
_CODE[BASES] = np.arange(4)


def mutated(seq: str, rate: float, rng: np.random.Generator, width: int) -> str:
    """``seq`` with each position substituted (another base), deleted or preceded by a random
    inserted base, each with probability ``rate / 3``; cut to ``width`` (the model's input)."""
    codes = _CODE[np.frombuffer(seq.encode(), np.uint8)]
    kind = np.where(rng.random(len(codes)) < rate, rng.integers(0, 3, len(codes)), -1)
    sub = kind == 0
    codes[sub] = (codes[sub] + rng.integers(1, 4, int(sub.sum()))) % 4
    at = np.flatnonzero(kind == 2)
    codes = np.insert(codes, at, rng.integers(0, 4, len(at)).astype(np.uint8))
    keep = np.insert(kind != 1, at, True)
    return BASES[codes[keep][:width]].tobytes().decode()


class Compact:
    """Rows of a k-mer model's embeddings kept small: the count columns as uint8 multiples of
    ``step``, the others float32. Slicing rows gives float32 embeddings, as :func:`build` reads
    them: a million references never exist as float32 at once."""

    def __init__(self, parts, count_cols, other_cols, step):
        self.parts = parts  # (counts, other) pairs, or a pair of .npy paths, in row order
        self.count_cols, self.other_cols, self.step = count_cols, other_cols, np.float32(step)
        self.sizes = [self._load(p)[1].shape[0] for p in parts]
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.shape = (int(self.starts[-1]), len(count_cols) + len(other_cols))

    @staticmethod
    def _load(part):
        # mapped only while a block is read: its pages do not stay in this process's memory
        return [p if isinstance(p, np.ndarray) else np.load(p, mmap_mode="r") for p in part]

    def __len__(self) -> int:
        return self.shape[0]

    def head(self, n: int) -> Compact:
        """The first ``n`` rows (whole parts and the leading rows of the last)."""
        if not 0 < n <= len(self):
            raise SystemExit(f"{n} references asked for, and there are {len(self)}")
        out = object.__new__(Compact)
        vars(out).update(vars(self))
        last = int(np.searchsorted(self.starts, n, side="left"))
        out.parts = self.parts[:last]
        out.sizes = self.sizes[: last - 1] + [n - int(self.starts[last - 1])]
        out.starts = np.concatenate([[0], np.cumsum(out.sizes)]).astype(np.int64)
        out.shape = (n, self.shape[1])
        return out

    def __getitem__(self, rows: slice) -> np.ndarray:
        start, stop, _ = rows.indices(len(self))
        out = np.empty((max(stop - start, 0), self.shape[1]), np.float32)
        for j, (a, b) in enumerate(itertools.pairwise(self.starts)):
            lo, hi = max(start, a), min(stop, b)
            if lo < hi:
                counts, other = self._load(self.parts[j])
                out[lo - start : hi - start, self.count_cols] = counts[lo - a : hi - a] * self.step
                out[lo - start : hi - start, self.other_cols] = other[lo - a : hi - a]
        return out


def compact(emb: np.ndarray, count_cols, other_cols, step) -> tuple[np.ndarray, np.ndarray]:
    """``emb`` as :class:`Compact` stores it: uint8 counts and the other columns (exactly)."""
    counts = np.rint(emb[:, count_cols] / step)
    if np.abs(counts * step - emb[:, count_cols]).max(initial=0) > 1e-3 * step:
        raise SystemExit("the model's count columns hold a value that is not a count")
    return counts.astype(np.uint8), np.ascontiguousarray(emb[:, other_cols])


def embed_all(args, key: str) -> None:
    """Child process: embeds into the cache whatever it lacks: the real records, and chunks of
    mutated copies enough for the largest ``--refs``."""
    from neuroseed.embedding_search import embed, load_model
    from neuroseed.model_file import resolve
    from neuroseed.runtime import configure_backend

    configure_backend(args.threads, 0)
    model = load_model(resolve("greengenes16s"))
    cache = Path(args.cache)
    seqs = real_sequences(model.width)

    def embedded(batch: list[str]) -> np.ndarray:
        blocks = range(0, len(batch), BLOCK)
        return np.vstack([embed(model, batch[i : i + BLOCK], 1024) for i in blocks])

    real = cache / f"real-{key}.npz"
    if not real.is_file():
        start = time.perf_counter()
        emb = embedded(seqs)
        print(
            f"{len(seqs)} records embedded in {time.perf_counter() - start:.0f} s", file=sys.stderr
        )
        count_cols, step = ref_index.count_columns(emb, "manhattan")
        other_cols = np.setdiff1d(np.arange(emb.shape[1]), count_cols)
        counts, other = compact(emb, count_cols, other_cols, step)
        save(real, counts=counts, other=other, count_cols=count_cols, step=step)
    with np.load(real) as data:
        count_cols, step = data["count_cols"], float(data["step"])
        other_cols = np.setdiff1d(
            np.arange(data["counts"].shape[1] + data["other"].shape[1]), count_cols
        )
    pool = [seqs[i] for i in draw(len(seqs), args.queries)[1]]
    for chunk in range(chunks_for(max(args.refs), len(pool))):
        path = cache / f"copies-{key}-{chunk:04d}"
        if Path(f"{path}.other.npy").is_file():
            continue
        start = time.perf_counter()
        made_copies = copies(args, pool, chunk * CHUNK, (chunk + 1) * CHUNK, model.width)
        made = time.perf_counter() - start
        counts, other = compact(embedded(made_copies), count_cols, other_cols, step)
        np.save(f"{path}.counts.npy", counts)
        np.save(f"{path}.other.npy", other)  # last: its presence marks a complete chunk
        took = time.perf_counter() - start - made
        print(f"copies {chunk}: mutated in {made:.0f} s, embedded in {took:.0f} s", file=sys.stderr)


def copies(args, pool: list[str], start: int, stop: int, width: int) -> list[str]:
    """Mutated copies ``start`` to ``stop`` of the real references ``pool``: as
    :func:`embed_all` makes them (seeded by ``--seed`` and the copy's number)."""
    out = []
    for i in range(start, stop):
        rng = np.random.default_rng([args.seed, i])
        source = pool[rng.integers(len(pool))]
        out.append(mutated(source, rng.uniform(*args.mutation), rng, width))
    return out


def chunks_for(refs: int, real: int) -> int:
    return -(-max(refs - real, 0) // CHUNK)


def save(path: Path, **arrays) -> None:
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)


def real_sequences(width: int) -> list[str]:
    seqs = [s.upper() for _, _, s in read_fasta(greengenes_paths()[0])]
    return [s for s in seqs if len(s) <= width and set(s) <= set("ACGT")]


def draw(n: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the queries and of the real references among ``n`` records (seed 0)."""
    order = np.random.default_rng(0).permutation(n)
    return order[:queries], order[queries:]


def brute_force(queries: np.ndarray, refs: Compact, threads: int) -> np.ndarray:
    """Each query's 10 nearest references by exact manhattan distance (ties: the earlier):
    blocks of references, ``threads`` runs of them at once (cdist releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    from scipy.spatial.distance import cdist

    def nearest(d: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.lexsort((i, d), axis=1)[:, :10]
        return np.take_along_axis(d, order, 1), np.take_along_axis(i, order, 1)

    def run(starts: range) -> tuple[np.ndarray, np.ndarray]:
        best_d = np.full((len(queries), 0), np.inf)
        best_i = np.zeros((len(queries), 0), np.int64)
        for start in starts:
            block = cdist(queries, refs[start : start + BLOCK], "cityblock")
            ids = np.broadcast_to(start + np.arange(block.shape[1]), block.shape)
            best_d, best_i = nearest(np.hstack([best_d, block]), np.hstack([best_i, ids]))
        return best_d, best_i

    starts = range(0, len(refs), BLOCK)
    with ThreadPoolExecutor(threads) as pool:
        found = list(pool.map(run, [starts[t::threads] for t in range(threads)]))
    return nearest(np.hstack([d for d, _ in found]), np.hstack([i for _, i in found]))[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--refs", type=int, nargs="+", default=[10000, 100000, 1000000])
    ap.add_argument("--candidates", type=int, nargs="+", default=[200, 800])
    ap.add_argument("--probe", type=int, nargs="+", default=[32])
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument(
        "--mutation", type=float, nargs=2, default=[0.01, 0.05], metavar=("LOW", "HIGH")
    )
    ap.add_argument("--seed", type=int, default=0, help="of the mutated copies")
    ap.add_argument("--exact", action="store_true", help="also neuroseed's exact search")
    ap.add_argument("--calibration-queries", type=int, default=200)
    ap.add_argument(
        "--exact-settings",
        nargs="+",
        default=["500/32"],
        metavar="LIMIT/PROBE",
        help="the exact search's candidate limit and index probe, each a row",
    )
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--recall", type=float, default=0.995)
    ap.add_argument("--cache", default=str(ROOT / "results" / "benchmarks" / "index_scale"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "index_scale.tsv"))
    ap.add_argument("--exact-out", default=str(ROOT / "docs" / "results" / "index_scale_exact.tsv"))
    args = ap.parse_args()

    from neuroseed.model_file import resolve

    model_sha = file_sha256(resolve("greengenes16s"))
    settings = f"{model_sha} {args.queries} {args.seed} {args.mutation}"
    key = hashlib.sha256(settings.encode()).hexdigest()[:12]
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    # a child process, so that TensorFlow's memory is in no peak of this one
    child = multiprocessing.get_context("spawn").Process(target=embed_all, args=(args, key))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(f"embedding failed (exit code {child.exitcode})")
    with np.load(cache / f"real-{key}.npz") as data:
        counts, other = data["counts"], data["other"]
        count_cols, step = data["count_cols"], float(data["step"])
    other_cols = np.setdiff1d(np.arange(counts.shape[1] + other.shape[1]), count_cols)
    q_rows, r_rows = draw(len(other), args.queries)
    queries = Compact([(counts[q_rows], other[q_rows])], count_cols, other_cols, step)[:]
    parts = [(counts[r_rows], other[r_rows])]
    del counts, other
    for c in range(chunks_for(max(args.refs), len(r_rows))):
        name = f"{cache}/copies-{key}-{c:04d}"
        parts.append((f"{name}.counts.npy", f"{name}.other.npy"))
    pool = Compact(parts, count_cols, other_cols, step)
    rows, exact_rows = [], []
    if args.exact:
        from neuroseed.model_file import resolve as _resolve

        width = read_identity(_resolve("greengenes16s")).input_width
        real = real_sequences(width)
        q_seqs = [real[i] for i in q_rows]
        r_seqs = [real[i] for i in r_rows]
    for n in sorted(args.refs):
        refs = pool.head(n)
        seqs = [""] * n
        if args.exact:
            seqs = r_seqs[:n] + copies(args, r_seqs, 0, max(n - len(r_seqs), 0), width)
        start = time.perf_counter()
        ids = [str(i) for i in range(n)]
        index = ref_index.build(refs, ids, seqs, "manhattan", 1.0, 1, "")
        build_s = time.perf_counter() - start
        sample = queries[: args.recall_queries]
        truth_file = cache / f"truth-{key}-{n}-{len(sample)}.npz"
        if not truth_file.is_file():
            start = time.perf_counter()
            truth = brute_force(sample, refs, args.threads)
            save(truth_file, truth=truth, ms=(time.perf_counter() - start) / len(sample) * 1e3)
        with np.load(truth_file) as data:
            brute, brute_ms = data["truth"], float(data["ms"])
        ref_index.search(index, queries[:64], 10)  # first-call set-up is not search time
        for candidates, probe in itertools.product(args.candidates, args.probe):
            start = time.perf_counter()
            idx, _ = ref_index.search(index, queries, 10, candidates, args.threads, probe=probe)
            search_s = time.perf_counter() - start
            hits = [len(set(a) & set(b)) / 10 for a, b in zip(idx, brute, strict=False)]
            row = {
                "references": n,
                "synthetic": max(n - len(r_rows), 0),
                "lists": len(index.centroids),
                "build_s": round(build_s, 1),
                "index_mb": round(nbytes(index) / 2**20),
                "peak_rss_mb": round(peak_rss_mb()),
                "candidates": candidates,
                "probe": probe,
                "search_ms": round(search_s / len(queries) * 1e3, 3),
                "brute_ms": round(brute_ms, 1),
                "recall10": round(float(np.mean(hits)), 4),
            }
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
        if args.exact:
            for row in exact_search(args, index, refs, queries, q_seqs, cache, key):
                exact_rows.append({**row, "synthetic": max(n - len(r_rows), 0)})
        del index
    import pandas as pd

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(out, sep="\t", index=False)
    print(out.read_text(), end="")
    if exact_rows:
        out = Path(args.exact_out)
        pd.DataFrame(exact_rows, columns=list(EXACT_COLUMNS)).to_csv(out, sep="\t", index=False)
        print(out.read_text(), end="")


def exact_search(args, index, refs, queries, q_seqs, cache: Path, key: str) -> list[dict]:
    """neuroseed's exact search over ``index`` (which holds the sequences): truth by exhaustive
    exact search (cached), then per calibration (references left out; held-out records other
    than the searched ones) the stop, the queries searched (embedded before), and the stop's
    recall on the searched queries' own candidate lists (saved to the cache as trials)."""
    from neuroseed import embedding_search as es
    from neuroseed.console import Progress
    from neuroseed.verify import (
        FIRST_BATCH,
        Stop,
        Trial,
        _verified,
        competition_ranks,
        scan,
        trials_to_arrays,
        verify,
    )

    n = len(index.ids)
    seqs = index.sequences
    sample = q_seqs[: args.recall_queries]
    q_emb = queries[: len(sample)]
    truth_file = cache / f"exact-truth-{key}-{n}-{len(sample)}.npy"
    if not truth_file.is_file():
        lengths = np.array([len(s) for s in seqs])
        order = [np.argsort(np.abs(lengths - len(q)), kind="stable") for q in sample]
        zeros = [np.zeros(n)] * len(sample)
        progress = Progress(lambda line: print(line, file=sys.stderr, flush=True), "truth", 30)
        answers = verify(sample, seqs, order, zeros, 1, Stop(), args.threads, progress)
        truth = np.array([a.refs[0] if len(a.refs) == 1 else -1 for a in answers])
        np.save(truth_file, truth)
    truth = np.load(truth_file)
    rows, saved = [], {}
    for setting in args.exact_settings:
        limit, probe = (int(x) for x in setting.split("/"))
        index.limit = min(limit, n)
        # the searched queries' own trials: what a stop gives them, listed as the search lists
        q_idx, q_est = es.index_lists(index, q_emb, index.limit, args.threads, probe=probe)
        held = [
            Trial(e, scan(q, seqs, i, None, 1), int(np.flatnonzero(i == t)[0]) if t in i else -1)
            for q, i, e, t in zip(sample, q_idx, q_est, truth, strict=True)
            if t >= 0
        ]
        like_seqs = q_seqs[len(sample) :]
        saved.update({f"{limit}-{probe}-held_{k}": v for k, v in trials_to_arrays(held).items()})
        for on in ("references", "held-out records"):
            start = time.perf_counter()
            like = None if on == "references" else like_seqs

            def lists_of(rows, like=like, probe=probe):
                if like is None:
                    emb = np.vstack([refs[int(r) : int(r) + 1] for r in rows])
                else:
                    emb = queries[len(sample) :][rows]
                return es.index_lists(index, emb, index.limit + 1, args.threads, probe=probe)

            progress = Progress(lambda line: print(line, file=sys.stderr, flush=True), on, 30)
            found = es.calibrate(
                seqs, lists_of, args.calibration_queries, 0, args.threads, progress, like
            )
            for name, array in trials_to_arrays(found).items():
                setattr(index, name, array)
                saved[f"{limit}-{probe}-{on.split()[0]}_{name}"] = array
            calibration_s = time.perf_counter() - start
            searcher = es.Searcher(None, index.ids, seqs, index, args.threads, probe=probe)
            stop, summary = searcher.stop(args.recall, limit)
            searcher.exact(sample[:8], args.k, stop, q_emb[:8])  # first-call set-up
            start = time.perf_counter()
            hits = searcher.exact(sample, args.k, stop, q_emb)
            seconds = time.perf_counter() - start
            scored = np.flatnonzero(truth >= 0)
            first = []
            for q in scored:
                at = np.flatnonzero(hits[q].answer.refs == truth[q])
                first.append(bool(at.size) and competition_ranks(hits[q].answer.exact)[at[0]] == 1)
            near = [t.exact[t.truth] for t in found if t.truth >= 0]
            rows.append(
                {
                    "references": n,
                    "index_mb": round((nbytes(index) + sum(len(s) for s in seqs)) / 2**20),
                    "peak_rss_mb": round(peak_rss_mb()),
                    "calibrated_on": on,
                    "limit": limit,
                    "probe": probe,
                    "calibration_s": round(calibration_s, 1),
                    "k": args.k,
                    "recall": args.recall,
                    # on the calibration queries: the true nearest verified, and listed at all
                    "calibrated": round(summary["recall_calibrated"], 4),
                    "listed": round(summary["recall_of_candidates"], 4),
                    # on the searched queries, k = 1: the true nearest verified, and listed at all
                    "held_verified": round(
                        float(
                            np.mean(
                                [
                                    0
                                    <= t.truth
                                    < _verified(t, stop.slack, stop.factor, FIRST_BATCH)
                                    for t in held
                                ]
                            )
                        ),
                        4,
                    ),
                    "held_listed": round(float(np.mean([t.truth >= 0 for t in held])), 4),
                    "nearest_ratio": round(
                        float(np.median([t.exact[t.truth] for t in held if t.truth >= 0]))
                        / max(float(np.median(near)), 1.0),
                        2,
                    ),
                    "exact_ms": round(seconds / len(sample) * 1e3, 2),
                    "verified": round(float(np.mean([h.answer.verified for h in hits])), 1),
                    "certified": round(float(np.mean([h.certified for h in hits])), 4),
                    "top1": round(float(np.mean(first)), 4),
                    "queries_scored": len(scored),
                }
            )
            print(rows[-1], file=sys.stderr, flush=True)
    np.savez(cache / f"trials-{key}-{n}.npz", **saved)
    return rows


def nbytes(index) -> int:
    return sum(v.nbytes for v in vars(index).values() if isinstance(v, np.ndarray))


if __name__ == "__main__":
    main()
