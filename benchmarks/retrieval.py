"""Finding each query's nearest reference by edit distance: the exact search of ``neuroseed
search`` against its fair anchors, and how many candidates each embedding needs.

    python benchmarks/retrieval.py --threads 2                  # gg2000, every protocol
    python benchmarks/retrieval.py --threads 2 --dataset ggv4   # V4 reads (presets/v4.yaml)
    python benchmarks/retrieval.py --threads 2 --embedding-only --out /tmp/r  # rankings only

Protocols (every method on the same queries and references; a query counts only if its true
nearest reference by exact edit distance is unique; top-k = that reference is among the
method's k first, ties counted against the method):

* ``validation_QxR``: Q queries and R references drawn from records no model saw and no other
  protocol holds. It chooses the untrained profile's k and length weight (the fewest
  candidates for 99 % recall, ties: fewer for 99.5 %;
  ``docs/results/profile_choice_<dataset>.tsv``).
  Nothing else is chosen anywhere: the exact search's stop is calibrated on the references of
  each search itself.
* ``fig_retrieval``: the workflow's (queries = the split's validation part, references = its
  test part). Its validation part chose the learned models' epochs.
* ``search_QxR``: the headline, Q queries against R references drawn (seed 1) from records that
  no model saw in training and that no choice saw: outside the dataset, every training pool
  under ``results/<dataset>/pool/`` and the shipped model's training ids.

Held-out records are the Greengenes records outside those sets, cleaned as the dataset
(ambiguity codes kept), cut to its region (full length, or V4 reads), unique, at most the
dataset's padded length L. Truth: exact edit distances (the matrix for ``fig_retrieval``;
otherwise an exhaustive exact search, cached under ``results/<dataset>/benchmarks/retrieval/``).

Methods:

* embeddings, brute force (every reference ranked by the model's distance; for k-mer models
  through ``neuroseed.index`` with every reference a candidate, which is exact): the shipped
  model (``--model``), every model under ``results/<dataset>/training/<split>/``, the shipped
  model's untrained start, and untrained profiles ``k-mer L1 + c·|Δlength|`` (the ``kmer``
  encoder, scale irrelevant to ranking). Also their recall@N of the true nearest,
  N = 1 … 200 (``docs/results/recall_<dataset>.tsv``).
* exact search: ``neuroseed search`` as shipped: an index built once (``index_seconds``,
  calibration included), then queries embedded, candidates listed and verified until the
  calibrated stop (``--recall``, default 0.995), -k 10; with the shipped model and with the
  chosen untrained profile as candidate generators; and ``--exhaustive`` (every reference
  verified) on a sample.
* VSEARCH 2.22 ``--usearch_global --id 0.5 --maxhits 10`` in both modes (exhaustive:
  ``--maxaccepts 0 --maxrejects 0``; ``--maxaccepts 10 --maxrejects 64``) with ``--iddef 1``
  (terminal gaps count, as in Levenshtein on whole records: the fair anchor) and with the
  default ``--iddef 2`` (labelled). Exhaustive VSEARCH on the large protocol runs on
  ``--sample`` queries and its time is scaled linearly to all (the row says so).

Times: ``seconds`` for all queries of the protocol (models loaded, references indexed before:
``index_seconds``), ``ms_per_query``; same machine, same run, ``--threads`` threads. Writes
``docs/results/retrieval_<dataset>.tsv`` and ``docs/results/recall_<dataset>.tsv`` and prints
them.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import paths, registry  # noqa: E402
from neuroseed.artifacts import load_prepared  # noqa: E402
from neuroseed.io import read_fasta  # noqa: E402

COLUMNS = ("method", "kind", "pool", "top1", "top5", "top10", "seconds", "ms_per_query")
COLUMNS += ("index_seconds", "verified", "certified", "queries_scored", "protocol", "note")
RECALL_COLUMNS = ("method", "kind", "pool", "n_candidates", "recall", "protocol")
NS = (1, 5, 10, 20, 50, 100, 200)
# 8-mers were no better than 7-mers in a first screen and are 4x as wide (65,536 columns)
PROFILE_GRID = {5: (0.5, 1.0, 2.0), 6: (0.5, 1.0, 1.5, 2.0, 3.0), 7: (0.5, 1.0, 1.5, 2.0, 3.0)}
VSEARCH_MODES = {
    "exhaustive": ["--maxaccepts", "0", "--maxrejects", "0"],
    "maxaccepts 10 maxrejects 64": ["--maxaccepts", "10", "--maxrejects", "64"],
}


def say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


@dataclass
class Protocol:
    name: str
    queries: list[str]
    refs: list[str]
    truth: np.ndarray  # (q,) each query's unique nearest reference, -1 where tied
    choose: bool = False  # the protocol that chooses (validation)

    @property
    def scored(self) -> np.ndarray:
        return np.flatnonzero(self.truth >= 0)


# --- data -------------------------------------------------------------------------------------


def held_out(base: Path, region: str, exclude: set[str], width: int) -> list[str]:
    """Unique sequences of Greengenes records outside ``exclude`` (ids) and the dataset's and
    pools' sequences, cleaned and cut as the dataset, at most ``width`` long, in file order."""
    from neuroseed.regions import cut
    from neuroseed.sequences import Record, clean_records
    from neuroseed.sources import greengenes_paths

    fasta = paths.artifact("sequences", base.name, root=base.parent)
    taken = {seq.upper() for _, _, seq in read_fasta(fasta)}
    # the pools of every run whose models are measured: the dataset's and its ablations'
    family = (base.name, f"{base.name}_*")
    for pool in sorted(p for run in family for p in base.parent.glob(paths.glob("pool", run))):
        with np.load(pool) as data:
            exclude |= {str(i) for i in data["ids"]}
            taken |= {s.decode() for s in data["sequences"]}
    reads, _ = cut(read_fasta(greengenes_paths()[0]), region)
    records = [Record(*r) for r in reads if r[0] not in exclude]
    cleaned, _ = clean_records(records, "keep", 100, "held-out records", width)
    out, seen = [], set(taken)
    for r in cleaned:
        if r.sequence not in seen:
            seen.add(r.sequence)
            out.append(r.sequence)
    return out


def exhaustive_truth(queries, refs, threads: int, cache: Path) -> np.ndarray:
    """Each query's unique nearest reference by exact edit distance (-1: tied), by verifying
    every reference (``neuroseed.verify``, banded by the best found so far); cached."""
    if cache.is_file():
        return np.load(cache)
    from neuroseed.console import Progress
    from neuroseed.verify import Stop, verify

    # every reference verified; nearest lengths first, so the band narrows early
    lengths = np.array([len(r) for r in refs])
    order = [np.argsort(np.abs(lengths - len(q)), kind="stable") for q in queries]
    say(f"  truth: {len(queries)} x {len(refs)} exact, exhaustive")
    answers = verify(
        queries,
        refs,
        order,
        [np.zeros(len(refs))] * len(queries),
        1,
        Stop(),
        threads,
        Progress(say, "  truth", 30.0),
    )
    truth = np.array([a.refs[0] if len(a.refs) == 1 else -1 for a in answers], np.int64)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.tmp.npy")
    np.save(tmp, truth)
    tmp.replace(cache)
    return truth


def protocols(args, base: Path, data, by_id: dict[str, str], region: str) -> list[Protocol]:
    from neuroseed.retrieval import true_nearest

    width = data.codes.shape[1]
    out = []
    # fig_retrieval: the matrix is the truth
    qs, refs = data.parts["val"], data.parts["test"]
    nearest, unique = true_nearest(np.asarray(data.distances[np.ix_(qs, refs)]))
    out.append(
        Protocol(
            "fig_retrieval",
            [by_id[data.ids[i]] for i in qs],
            [by_id[data.ids[i]] for i in refs],
            np.where(unique, nearest, -1),
        )
    )
    exclude = set(data.ids) | shipped_training_ids(args)
    unseen = held_out(base, region, exclude, width)
    (hq, hr), (vq, vr) = args.large, args.validation
    say(f"{len(unseen)} held-out sequences")
    head = np.random.default_rng(1).choice(len(unseen), hq + hr, replace=False)
    rest = np.setdiff1d(np.arange(len(unseen)), head)
    val = np.random.default_rng(2).choice(rest, min(vq + vr, len(rest)), replace=False)
    for name, pick, nq, choose in (
        (f"validation_{vq}x{vr}", val, vq, True),
        (f"search_{hq}x{hr}", head, hq, False),
    ):
        queries = [unseen[i] for i in pick[:nq]]
        refs = [unseen[i] for i in pick[nq:]]
        digest = hashlib.sha256("\n".join(queries + ["#"] + refs).encode()).hexdigest()[:12]
        cache = base / paths.BENCHMARKS / "retrieval" / f"truth-{name}-{digest}.npy"
        truth = exhaustive_truth(queries, refs, args.threads, cache)
        out.append(Protocol(name, queries, refs, truth, choose))
    return out


def shipped_training_ids(args) -> set[str]:
    from neuroseed.model_file import resolve

    ids = Path(str(resolve(args.model)).removesuffix(".keras") + ".training_ids.txt.gz")
    if not ids.is_file():
        return set()
    with gzip.open(ids, "rt") as fh:
        return set(fh.read().split())


# --- candidate generators ---------------------------------------------------------------------


@dataclass
class Generator:
    """A way to rank references: a model's encoder and distance head (learned, its untrained
    start, or an untrained profile)."""

    method: str
    kind: str  # learned | untrained
    pool: str
    encoder: object
    head: object
    length: int  # the normaliser L (estimates in edits)
    path: Path | None = None  # its model file, for neuroseed's own search
    exact: bool = False  # also run neuroseed's exact search with it as candidate generator


def untrained_profile(k: int, weight: float, width: int, length: int) -> Generator:
    from neuroseed.models import build_encoder, build_siamese, split_siamese

    hp = {"k": k, "length_weight": weight}
    encoder = build_encoder("kmer", width, 1, "manhattan", hp)
    encoder, head = split_siamese(build_siamese(encoder, "manhattan"))
    # one edit changes about 2k counts: estimates in edits, roughly (ranking ignores the scale)
    scale = 1.0 / (2 * k * length)
    method = f"{k}-mer L1 + {weight:g}·|Δlength| untrained"
    return Generator(method, "untrained", "", encoder, _Scaled(head, scale), length)


class _Scaled:
    """A distance head times a constant."""

    def __init__(self, head, scale: float):
        self.head, self.scale, self.distance = head, scale, head.distance
        self.learn_scale = False

    def __call__(self, u, v):
        return self.head(u, v) * self.scale


def model_generator(path: Path, method: str, pool: str) -> Generator:
    from neuroseed.model_file import load_siamese, read_identity

    encoder, head = load_siamese(path)
    ident = read_identity(path)
    kind = "learned" if ident.encoder in registry.TRAINED else "untrained"
    return Generator(method, kind, pool, encoder, head, ident.padded_length, path)


def untrained_start(path: Path, pool: str) -> Generator:
    """The shipped model's own start: its architecture as built before training (for kmer_net,
    the profile + length distance; the learned channel adds ~0)."""
    from neuroseed.model_file import read_identity
    from neuroseed.models import build_encoder, build_siamese, split_siamese

    ident = read_identity(path)
    import keras

    keras.utils.set_random_seed(ident.seed)
    encoder = build_encoder(ident.encoder, ident.input_width, ident.embedding_dim, ident.distance)
    encoder, head = split_siamese(build_siamese(encoder, ident.distance))
    name = f"{ident.encoder} untrained start (of {path.stem})"
    return Generator(name, "untrained", pool, encoder, head, ident.padded_length)


def ranked(gen: Generator, queries, refs, threads: int, m: int = max(NS)):
    """Each query's ``m`` nearest references by the generator, nearest first, and their
    estimates; brute force (for k-mer embeddings an index with every reference a candidate,
    exact), with the time it took."""
    from neuroseed import index as ref_index
    from neuroseed.encoding import encode
    from neuroseed.runtime import embed

    width = gen.encoder.input_shape[1]
    ref_emb = embed(gen.encoder, encode(refs, width)[0])
    scale = getattr(gen.head, "scale", None)
    scale = scale if isinstance(scale, float) else 1.0
    index = ref_index.build(
        ref_emb,
        [str(i) for i in range(len(refs))],
        refs,
        gen.head.distance,
        scale,
        gen.length,
        "",
        64,
    )
    start = time.perf_counter()
    q_emb = embed(gen.encoder, encode(queries, width)[0])
    lists = len(index.centroids)
    idx, est = ref_index.search(index, q_emb, min(m, len(refs)), len(refs), threads, probe=lists)
    return idx, est, time.perf_counter() - start


def rank_of_truth(idx: np.ndarray, est: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1 + the listed references estimated nearer than or as near as the truth (ties against
    the method); beyond the list: infinite."""
    ranks = np.full(len(truth), np.inf)
    for q, t in enumerate(truth):
        hit = np.flatnonzero(idx[q] == t)
        if t >= 0 and hit.size:
            ranks[q] = (est[q] <= est[q, hit[0]]).sum()
    return ranks


def embedding_rows(gen: Generator, proto: Protocol, threads: int):
    idx, est, seconds = ranked(gen, proto.queries, proto.refs, threads)
    ranks = rank_of_truth(idx, est, proto.truth)[proto.scored]
    row = row_of(gen.method + " (embedding only, brute force)", gen.kind, gen.pool, ranks, proto)
    row.update(seconds=f"{seconds:.3g}", ms_per_query=f"{1e3 * seconds / len(proto.queries):.3g}")
    recall = [
        {
            "method": gen.method,
            "kind": gen.kind,
            "pool": gen.pool,
            "n_candidates": n,
            "recall": f"{(ranks <= n).mean():.4f}",
            "protocol": proto.name,
        }
        for n in NS
    ]
    return row, recall, ranks


def row_of(method, kind, pool, ranks, proto: Protocol, **extra) -> dict:
    row = {"method": method, "kind": kind, "pool": pool, "protocol": proto.name}
    for k in (1, 5, 10):
        row[f"top{k}"] = f"{(ranks <= k).mean():.4f}"
    row["queries_scored"] = len(ranks)
    row.update(extra)
    return row


def n_for(ranks: np.ndarray, share: float) -> float:
    """Candidates needed for ``share`` of the queries' true nearest (inf if beyond 200)."""
    return float(np.quantile(ranks, share, method="higher"))


# --- neuroseed's exact search -------------------------------------------------------------------


def exact_rows(gen: Generator, proto: Protocol, args) -> list[dict]:
    """``neuroseed search`` with ``gen``'s model file as the candidate generator: an index
    built and calibrated (``neuroseed index``), then the queries searched exactly (-k 10)."""
    from neuroseed import embedding_search as es
    from neuroseed import index as ref_index
    from neuroseed.verify import Stop, competition_ranks

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, seqs in (("refs", proto.refs), ("queries", proto.queries)):
            (tmp / f"{name}.fasta").write_text("".join(f">{i}\n{s}\n" for i, s in enumerate(seqs)))
        cmd = [
            sys.executable,
            "-m",
            "neuroseed.cli",
            "index",
            str(gen.path),
            str(tmp / "refs.fasta"),
            "-o",
            str(tmp / "refs.npz"),
            "--threads",
            str(args.threads),
        ]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=quiet_env())
        index_seconds = time.perf_counter() - start
        trained = es.load_model(gen.path)
        index = ref_index.load(tmp / "refs.npz")
        searcher = es.Searcher(trained, index.ids, index.sequences, index, args.threads)
        stop, _ = searcher.stop(args.recall, es.DEFAULT_LIMIT)
        searcher.exact(proto.queries[:8], 10, stop)  # warm-up: graph tracing is not search time
        modes = [(f"recall {args.recall}", stop, proto.queries)]
        sample = proto.queries
        if len(proto.queries) * len(proto.refs) > 10**6:  # minutes for all
            sample = proto.queries[: args.sample]
        modes.append(("--exhaustive", Stop(limit=len(proto.refs)), sample))
        for mode, how, queries in modes:
            start = time.perf_counter()
            hits = searcher.exact(queries, 10, how)
            seconds = (time.perf_counter() - start) * len(proto.queries) / len(queries)
            truth = proto.truth[: len(queries)]
            scored = np.flatnonzero(truth >= 0)
            ranks = np.full(len(scored), np.inf)
            for j, q in enumerate(scored):
                answer = hits[q].answer
                at = np.flatnonzero(answer.refs == truth[q])
                if at.size:
                    ranks[j] = competition_ranks(answer.exact)[at[0]]
            note = (
                ""
                if len(queries) == len(proto.queries)
                else (f"{len(queries)} queries, time scaled to {len(proto.queries)}")
            )
            rows.append(
                row_of(
                    f"neuroseed search exact ({gen.method} candidates, {mode}, -k 10)",
                    "exact",
                    gen.pool,
                    ranks,
                    Protocol(proto.name, queries, [], truth),
                    seconds=f"{seconds:.3g}",
                    ms_per_query=f"{1e3 * seconds / len(proto.queries):.3g}",
                    index_seconds=f"{index_seconds:.3g}",
                    verified=f"{np.mean([h.answer.verified for h in hits]):.1f}",
                    certified=f"{np.mean([h.certified for h in hits]):.4f}",
                    note=note,
                )
            )
            say(f"  {proto.name} {rows[-1]['method']}: top1 {rows[-1]['top1']}")
    return rows


def quiet_env() -> dict:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT / "src")}


# --- VSEARCH -------------------------------------------------------------------------------------


def vsearch_rows(proto: Protocol, args) -> list[dict]:
    if shutil.which("vsearch") is None:
        say("vsearch not on PATH: VSEARCH rows skipped (apt-get install vsearch)")
        return []
    rows = []
    for iddef in ("1", "2"):
        for mode, flags in VSEARCH_MODES.items():
            sample = len(proto.queries)
            if mode == "exhaustive" and sample * len(proto.refs) > 10**6:  # hours for all
                sample = min(args.sample if iddef == "1" else args.sample // 2, sample)
            ranks, seconds = vsearch(proto, sample, flags + ["--iddef", iddef], args.threads)
            seconds *= len(proto.queries) / sample
            label = "the fair anchor: terminal gaps count" if iddef == "1" else "VSEARCH's default"
            note = (
                ""
                if sample == len(proto.queries)
                else (f"{sample} queries, time scaled to {len(proto.queries)}")
            )
            rows.append(
                row_of(
                    f"vsearch {mode} --iddef {iddef} ({label})",
                    "vsearch",
                    "",
                    ranks,
                    proto,
                    seconds=f"{seconds:.3g}",
                    ms_per_query=f"{1e3 * seconds / len(proto.queries):.3g}",
                    note=note,
                )
            )
            say(f"  {proto.name} {rows[-1]['method']}: top1 {rows[-1]['top1']}")
    return rows


def vsearch(proto: Protocol, sample: int, flags: list[str], threads: int):
    """VSEARCH's ranking by identity (hits in order of decreasing identity, misses last):
    ranks of the truth of the first ``sample`` queries, and the command's wall time (reading
    and k-mer-indexing its database included)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, seqs in (("q", proto.queries[:sample]), ("r", proto.refs)):
            (tmp / f"{name}.fasta").write_text("".join(f">{i}\n{s}\n" for i, s in enumerate(seqs)))
        cmd = ["vsearch", "--usearch_global", str(tmp / "q.fasta"), "--db", str(tmp / "r.fasta")]
        cmd += ["--id", "0.5", "--maxhits", "10", "--threads", str(threads), *flags]
        cmd += ["--userout", str(tmp / "hits.tsv"), "--userfields", "query+target+id", "--quiet"]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        hits: dict[int, list[tuple[float, int]]] = {}
        for line in (tmp / "hits.tsv").read_text().splitlines():
            q, r, ident = line.split("\t")
            hits.setdefault(int(q), []).append((float(ident), int(r)))
    truth = proto.truth[:sample]
    ranks = []
    for q in np.flatnonzero(truth >= 0):
        found = dict((r, i) for i, r in hits.get(q, []))
        if truth[q] in found:
            ranks.append(sum(i >= found[truth[q]] for i, _ in hits[q]))
        else:
            ranks.append(np.inf)
    return np.array(ranks, float), seconds


# --- main -----------------------------------------------------------------------------------------


def choose_profile(proto: Protocol, width: int, length: int, args, out: Path):
    """The untrained profile (k, length weight) that needs the fewest candidates for 99 %
    recall of the true nearest on the validation protocol (ties: for 99.5 %, then fewer
    columns); the table of ``out`` is reused when it holds this protocol."""
    if out.is_file():
        with open(out) as fh:
            done = list(csv.DictReader(fh, delimiter="\t"))
        if done and done[0]["protocol"] == proto.name:
            key = min(
                done, key=lambda r: (float(r["n_for_99"]), float(r["n_for_99.5"]), int(r["k"]))
            )
            return int(key["k"]), float(key["length_weight"])
    rows, best = [], None
    for k, weights in PROFILE_GRID.items():
        for c in weights:
            gen = untrained_profile(k, c, width, length)
            idx, est, _ = ranked(gen, proto.queries, proto.refs, args.threads)
            ranks = rank_of_truth(idx, est, proto.truth)[proto.scored]
            n99, n995 = n_for(ranks, 0.99), n_for(ranks, 0.995)
            rows.append(
                {
                    "k": k,
                    "length_weight": c,
                    "n_for_99": n99,
                    "n_for_99.5": n995,
                    **{f"recall@{n}": f"{(ranks <= n).mean():.4f}" for n in NS},
                    "protocol": proto.name,
                }
            )
            say(f"  profile k={k} c={c}: N99 {n99} N99.5 {n995}")
            key = (n99, n995, k)
            if best is None or key < best[0]:
                best = (key, k, c)
    write_tsv(out, rows[0].keys(), rows)
    return best[1], best[2]


def write_tsv(path: Path, columns, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, list(columns), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="gg2000")
    ap.add_argument("--split", default="random-s1")
    ap.add_argument("--model", default="greengenes16s", help="the shipped (or any) model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--large", type=int, nargs=2, default=(2000, 20000), metavar=("Q", "R"))
    ap.add_argument("--validation", type=int, nargs=2, default=(1000, 5000), metavar=("Q", "R"))
    ap.add_argument("--seed", default="0", help="the workflow models' seed (a glob)")
    ap.add_argument("--sample", type=int, default=100, help="queries of the slow anchors")
    ap.add_argument("--recall", type=float, default=0.995)
    ap.add_argument("--protocols", nargs="*", help="only these (name prefixes)")
    ap.add_argument("--out", default=None, help="directory of the TSVs (docs/results)")
    ap.add_argument(
        "--embedding-only",
        action="store_true",
        help="only the embeddings' rankings and recall@N (no exact search, no VSEARCH)",
    )
    args = ap.parse_args()

    from neuroseed.model_file import resolve
    from neuroseed.runtime import configure_backend

    configure_backend(args.threads, 0)
    base = ROOT / paths.dataset_dir(args.dataset)
    data = load_prepared(args.dataset, args.split, ROOT / paths.RESULTS)
    provenance = json.loads((ROOT / paths.artifact("provenance", args.dataset)).read_text())
    region = provenance["region"]["region"]
    fasta = ROOT / paths.artifact("sequences", args.dataset)
    by_id = {rid: seq.upper() for rid, _, seq in read_fasta(fasta)}
    out = Path(args.out or ROOT / "docs" / "results")
    width, length = data.codes.shape[1], data.length

    shipped = resolve(args.model)
    generators = []
    if read_width(shipped) == width:  # the shipped model reads this dataset's sequences
        gen = model_generator(shipped, f"{args.model} (shipped)", "20000")
        gen.exact = True
        generators.append(gen)
        generators.append(untrained_start(shipped, "0"))
    pattern = paths.glob("model", split=args.split, seed=args.seed)
    for path in sorted((ROOT / paths.RESULTS).glob(pattern)):
        run = path.parents[4].name
        if run != args.dataset and not run.startswith(f"{args.dataset}_"):
            continue
        metrics = json.loads((path.parent / paths.METRICS).read_text())
        if metrics["padded_length"] != length:
            continue
        name = f"{path.parent.parent.name} {path.parent.name} ({run})"
        gen = model_generator(path, name, str(metrics.get("pool_sequences", 0)))
        # neuroseed's candidate generators: the untrained profile, and a learned model where
        # the shipped one does not fit the data (the first seed-0 model of each kind)
        first = not any(g.exact and g.kind == gen.kind for g in generators)
        gen.exact = (
            first
            and path.parent.name == "seed0"
            and (gen.kind == "untrained" or "kmer_net" in name)
        )
        generators.append(gen)

    all_protocols = protocols(args, base, data, by_id, region)
    rows, recall = [], []
    chosen = None
    for proto in all_protocols:
        if proto.choose:
            chosen = choose_profile(
                proto, width, length, args, out / f"profile_choice_{args.dataset}.tsv"
            )
            say(f"chosen on {proto.name}: k={chosen[0]}, length weight {chosen[1]}")
    for proto in all_protocols:
        if args.protocols and not any(proto.name.startswith(p) for p in args.protocols):
            continue
        say(f"protocol {proto.name}: {len(proto.queries)} queries x {len(proto.refs)} references")
        gens = generators + [untrained_profile(*chosen, width, length)]
        for gen in gens:
            row, rec, _ = embedding_rows(gen, proto, args.threads)
            rows.append(row)
            recall += rec
            say(f"  {proto.name} {row['method']}: top1 {row['top1']} top10 {row['top10']}")
        if proto.choose or args.embedding_only:  # searches: measured on the other protocols
            continue
        for gen in gens:
            if gen.exact:
                rows += exact_rows(gen, proto, args)
        rows += vsearch_rows(proto, args)
    write_tsv(out / f"retrieval_{args.dataset}.tsv", COLUMNS, rows)
    write_tsv(out / f"recall_{args.dataset}.tsv", RECALL_COLUMNS, recall)
    print((out / f"retrieval_{args.dataset}.tsv").read_text(), end="")


def read_width(path: Path) -> int:
    from neuroseed.model_file import read_identity

    return read_identity(path).input_width


if __name__ == "__main__":
    main()
