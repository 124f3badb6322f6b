"""Closest-string retrieval in one run: trained models, the k-mer baseline and VSEARCH.

    python benchmarks/retrieval.py --threads 2
    python benchmarks/retrieval.py --threads 2 --large-queries 500 --large-refs 5000

Two protocols, every method on the same queries and references:

* ``fig_retrieval`` -- the workflow's: queries = the validation part, references = the test
  part of the dataset's split (200 and 400 on gg2000). Models are every
  ``results/<dataset>/training/<split>/<encoder>-<distance>/seed*/model.keras``.
* ``search_<Q>x<R>`` -- a larger search: Q queries against R references, both Greengenes
  records that no model saw (outside the dataset and outside every training pool under
  ``results/<dataset>/pool/``). The references are embedded once beforehand, as an index
  would hold them (``index_seconds``); ``seconds`` is then the time of all queries. Each
  model is searched twice: by brute force over all references, and through the reference
  index of ``neuroseed index`` (rows ``... index (candidates N)``; ``index_seconds`` then
  includes building it). The exact edit distances that define the truth are cached under
  ``results/<dataset>/benchmarks/``.

A query counts only if its true nearest reference (exact edit distance) is unique; top-k = the
true nearest is among the method's k nearest, ties counted against the method. VSEARCH ranks by
its identity (``--usearch_global --id 0.5 --maxhits 10``); it runs exhaustively
(``--maxaccepts 0 --maxrejects 0``) on the small protocol only, and with
``--maxaccepts 10 --maxrejects 64`` on both. Install it with ``apt-get install vsearch``; without
it the VSEARCH rows are skipped with a message. Learned and k-mer rows are means over seeds.
Writes ``docs/results/retrieval_<dataset>.tsv`` (``--out``) and prints it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import registry  # noqa: E402
from neuroseed.artifacts import load_dataset  # noqa: E402
from neuroseed.encoding import encode  # noqa: E402
from neuroseed.io import read_fasta  # noqa: E402
from neuroseed.retrieval import ranks_of_truth, topk_accuracy  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402

COLUMNS = ("method", "kind", "seeds", "test_rmse_pct", "top1", "top5", "top10", "seconds")
COLUMNS += ("index_seconds", "queries_scored", "protocol")
VSEARCH_MODES = {
    "vsearch exhaustive": ["--maxaccepts", "0", "--maxrejects", "0"],
    "vsearch maxaccepts 10 maxrejects 64": ["--maxaccepts", "10", "--maxrejects", "64"],
}


def model_runs(training: Path) -> dict[str, list[Path]]:
    """``encoder-distance`` -> its trained ``model.keras`` files (one per seed)."""
    runs = defaultdict(list)
    for path in sorted(training.glob("*/seed*/model.keras")):
        runs[path.parent.parent.name].append(path)
    return dict(runs)


def score(estimated: np.ndarray, exact: np.ndarray) -> dict[str, float]:
    ranks = ranks_of_truth(estimated, exact)
    return {**topk_accuracy(ranks, (1, 5, 10)), "queries_scored": len(ranks)}


def warm_up(encoder, query_codes, search) -> None:
    """Graph tracing (once per batch shape) and first-call set-up are not search time: embed
    codes shaped like the queries (all padding, not the queries) and search with them once."""
    from neuroseed.runtime import embed

    search(embed(encoder, np.full_like(query_codes, -1)))


def model_scores(path: Path, query_codes, ref_codes, exact) -> dict[str, float]:
    """One model file's retrieval scores and times."""
    from neuroseed.model_file import load_siamese

    return embedding_scores(*load_siamese(path), query_codes, ref_codes, exact)


def index_scores(
    path: Path, query_codes, ref_codes, exact, candidates: int, threads: int
) -> dict[str, float]:
    """Search through a reference index (:mod:`neuroseed.index`): references embedded and
    indexed once (``index_seconds``), then the queries embedded and searched (``seconds``)."""
    from neuroseed import index as ref_index
    from neuroseed.model_file import load_siamese
    from neuroseed.runtime import embed

    encoder, head = load_siamese(path)
    start = time.perf_counter()
    refs = embed(encoder, ref_codes)
    n = len(refs)
    index = ref_index.build(refs, [str(i) for i in range(n)], [""] * n, head.distance, 1.0, 1, "")
    index_seconds = time.perf_counter() - start
    warm_up(encoder, query_codes, lambda emb: ref_index.search(index, emb[:64], 10, candidates))
    start = time.perf_counter()
    idx, est = ref_index.search(index, embed(encoder, query_codes), 10, candidates, threads)
    seconds = time.perf_counter() - start
    full = np.full(exact.shape, np.inf)  # the references not returned rank behind
    np.put_along_axis(full, idx, est, axis=1)
    return {**score(full, exact), "seconds": seconds, "index_seconds": index_seconds}


def untrained_start(metrics: Path, width: int):
    """A freshly built model of the run that wrote ``metrics``: where its training started
    (for kmer_net, close to the untrained counts + length distance)."""
    from neuroseed.models import build_encoder, build_siamese, split_siamese
    from neuroseed.settings import TrainSettings

    fields = json.loads(metrics.read_text())
    # runs from before training.pool.near, training.loss and training.groups
    fields = {"near_partners": 0.0, "loss": "mse", "groups": 0, **fields}
    settings = TrainSettings(
        **{k: v for k, v in fields.items() if k in TrainSettings.__dataclass_fields__}
    )
    import keras

    keras.utils.set_random_seed(settings.seed)  # as training does: the run's own start
    encoder = build_encoder(
        settings.model, width, settings.embedding_dim, settings.distance, settings.hparams
    )
    return split_siamese(build_siamese(encoder, settings.distance))


def embedding_scores(encoder, head, query_codes, ref_codes, exact) -> dict[str, float]:
    """Retrieval scores and times of an encoder (references embedded first, apart)."""
    from neuroseed.runtime import distances, embed

    start = time.perf_counter()
    refs = embed(encoder, ref_codes)
    index_seconds = time.perf_counter() - start
    warm_up(encoder, query_codes, lambda emb: distances(head, emb[:64], refs))
    start = time.perf_counter()
    est = distances(head, embed(encoder, query_codes), refs)
    seconds = time.perf_counter() - start
    return {**score(est, exact), "seconds": seconds, "index_seconds": index_seconds}


def vsearch_scores(queries, refs, exact, threads: int, mode: list[str]) -> dict[str, float]:
    """VSEARCH's ranking by identity: hits in order of decreasing identity, misses last."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, seqs in (("q", queries), ("r", refs)):
            with open(tmp / f"{name}.fasta", "w") as fh:
                fh.writelines(f">{i}\n{s}\n" for i, s in enumerate(seqs))
        cmd = ["vsearch", "--usearch_global", str(tmp / "q.fasta"), "--db", str(tmp / "r.fasta")]
        cmd += ["--id", "0.5", "--maxhits", "10", "--threads", str(threads), *mode]
        cmd += ["--userout", str(tmp / "hits.tsv"), "--userfields", "query+target+id", "--quiet"]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        est = np.full(exact.shape, 2.0)
        for line in (tmp / "hits.tsv").read_text().splitlines():
            q, r, ident = line.split("\t")
            est[int(q), int(r)] = 1.0 - float(ident) / 100.0
    return {**score(est, exact), "seconds": seconds}


def exact_distances(queries, refs, threads: int, cache: Path) -> np.ndarray:
    """All query x reference edit distances, cached (they take minutes at 2,000 x 20,000)."""
    if cache.is_file():
        return np.load(cache)
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    start = time.perf_counter()
    out = np.empty((len(queries), len(refs)), dtype=np.int32)
    step = 100
    for i in range(0, len(queries), step):
        out[i : i + step] = cdist(
            queries[i : i + step], refs, scorer=Levenshtein.distance, workers=threads
        )
        done = min(i + step, len(queries))
        print(
            f"  exact distances: {done}/{len(queries)} queries, "
            f"{time.perf_counter() - start:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.tmp.npy")
    np.save(tmp, out)
    tmp.replace(cache)
    return out


def unseen_records(dataset_ids: set[str], pool_dir: Path, n: int, seed: int, max_len: int):
    """``n`` Greengenes records outside the dataset and every training pool."""
    taken = set(dataset_ids)
    for pool in pool_dir.glob("*.npz"):
        with np.load(pool) as data:
            taken |= {str(i) for i in data["ids"]}
    records = [r for r in read_fasta(greengenes_paths()[0]) if r[0] not in taken]
    records = [r for r in records if 100 <= len(r[2]) <= max_len]
    pick = np.random.default_rng(seed).choice(len(records), n, replace=False)
    return [records[i][2].upper() for i in pick]


def summarise(method, kind, runs: list[dict], protocol: str, seeds="") -> dict:
    row = {"method": method, "kind": kind, "seeds": seeds, "protocol": protocol}
    for key in ("test_rmse_pct", "top1", "top5", "top10", "seconds", "index_seconds"):
        values = [r[key] for r in runs if r.get(key) is not None]
        row[key] = f"{np.mean(values):.4g}" if values else ""
    row["queries_scored"] = runs[0]["queries_scored"]
    return row


def evaluate(protocol, runs, starts, query_codes, ref_codes, exact, rmse, vsearch_inputs, args):
    """Rows of one protocol: each model (mean over seeds) and the untrained ``starts`` of
    kmer_net runs, then VSEARCH."""
    rows = []
    for method, paths in runs.items():
        encoder = method.rsplit("-", 1)[0]
        kind = "learned" if encoder in registry.TRAINED else "kmer"
        scores = []
        for path in paths:
            s = model_scores(path, query_codes, ref_codes, exact)
            s["test_rmse_pct"] = rmse.get(path)
            scores.append(s)
        seeds = ",".join(p.parent.name.removeprefix("seed") for p in paths)
        rows.append(summarise(method, kind, scores, protocol, seeds))
        print(f"  {protocol} {method}: top10 {rows[-1]['top10']}", file=sys.stderr, flush=True)
        if not protocol.startswith("fig"):  # a large search: the same models through an index
            args_ = (query_codes, ref_codes, exact, args.candidates, args.threads)
            scores = [{**index_scores(p, *args_), "test_rmse_pct": rmse.get(p)} for p in paths]
            name = f"{method} index (candidates {args.candidates})"
            rows.append(summarise(name, kind, scores, protocol, seeds))
            print(f"  {protocol} {name}: top10 {rows[-1]['top10']}", file=sys.stderr, flush=True)
        if method in starts:  # the ablation "no training": the model it starts as
            s = embedding_scores(*starts[method], query_codes, ref_codes, exact)
            s["test_rmse_pct"] = rmse.get(f"{method} untrained")
            rows.append(summarise(f"{method} untrained start", "kmer", [s], protocol))
    if shutil.which("vsearch") is None:
        print(
            "vsearch not on PATH: VSEARCH rows skipped (apt-get install vsearch)", file=sys.stderr
        )
        return rows
    for name, mode in VSEARCH_MODES.items():
        if name == "vsearch exhaustive" and not protocol.startswith("fig"):
            continue  # every alignment of a large search: hours
        s = vsearch_scores(*vsearch_inputs, exact, args.threads, mode)
        rows.append(summarise(name, "vsearch", [s], protocol))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="gg2000")
    ap.add_argument("--split", default="random-s1")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--large-queries", type=int, default=2000)
    ap.add_argument("--large-refs", type=int, default=20000)
    ap.add_argument("--skip-large", action="store_true", help="only the fig_retrieval protocol")
    ap.add_argument(
        "--candidates", type=int, default=200, help="index search: candidates ranked exactly"
    )
    ap.add_argument(
        "--out", default=None, help="TSV (default docs/results/retrieval_<dataset>.tsv)"
    )
    args = ap.parse_args()

    from neuroseed.runtime import configure_backend

    configure_backend(args.threads, 0)
    base = ROOT / "results" / args.dataset
    data = load_dataset(
        base / "encoding/encoded.npz",
        base / "edit_distance/distances.npy",
        base / f"splits/{args.split}.json",
    )
    runs = model_runs(base / "training" / args.split)
    if not runs:
        sys.exit(f"no trained models under {base / 'training' / args.split}: run the workflow")
    rmse = {
        p: json.loads((p.parent / "metrics.json").read_text())["test_rmse_pct"]
        for paths in runs.values()
        for p in paths
    }
    from neuroseed.training import evaluate as all_pairs_rmse

    width = data.codes.shape[1]
    starts = {
        method: untrained_start(paths[0].with_name("metrics.json"), width)
        for method, paths in runs.items()
        if method.startswith("kmer_net-")
    }
    for method, (encoder, head) in starts.items():
        rmse[f"{method} untrained"] = all_pairs_rmse(
            encoder, head, data.codes, data.distances, data.parts["test"], data.length
        )[0]
    by_id = {rid: seq.upper() for rid, _, seq in read_fasta(base / "sequences/sequences.fasta")}
    qs, refs = data.parts["val"], data.parts["test"]
    exact = np.asarray(data.distances[np.ix_(qs, refs)])
    seqs = ([by_id[data.ids[i]] for i in qs], [by_id[data.ids[i]] for i in refs])
    rows = evaluate(
        "fig_retrieval", runs, starts, data.codes[qs], data.codes[refs], exact, rmse, seqs, args
    )
    if not args.skip_large:
        nq, nr = args.large_queries, args.large_refs
        protocol = f"search_{nq}x{nr}"
        unseen = unseen_records(set(data.ids), base / "pool", nq + nr, 1, data.codes.shape[1])
        queries, references = unseen[:nq], unseen[nq:]
        # named by the sequences themselves: another pool or draw never reuses a stale truth
        digest = hashlib.sha256("\n".join(queries + ["#"] + references).encode()).hexdigest()
        cache = base / "benchmarks" / "retrieval" / f"exact-{protocol}-{digest[:12]}.npy"
        exact = exact_distances(queries, references, args.threads, cache)
        width = data.codes.shape[1]
        qc, rc = encode(queries, width)[0], encode(references, width)[0]
        rows += evaluate(protocol, runs, starts, qc, rc, exact, rmse, (queries, references), args)
    out = Path(args.out or ROOT / "docs" / "results" / f"retrieval_{args.dataset}.tsv")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(out.read_text(), end="")


if __name__ == "__main__":
    main()
