"""The reference index at growing numbers of references: build time, size, time per query and
recall@10 against brute force over the same embeddings.

    python benchmarks/index_scale.py --threads 2 --refs 10000 20000 0

The shipped ``greengenes16s`` model (kmer_net, manhattan) embeds the package's Greengenes
records that fit its input and hold only ACGT (88,437 of 99,322); ``--queries`` of them (seed 0)
are the queries, the others references, of which the first N of that draw are indexed (0: all).
The queries are embedded once beforehand, so ``search_ms`` is the index alone
(``neuroseed.index.search`` with each of ``--candidates`` and ``--probe``, ``--threads``
workers); brute force
(``brute_ms``) is the exact manhattan distance to every reference (scipy ``cdist``, one
thread, on ``--recall-queries`` queries), and ``recall10`` the share of its 10 nearest that the
index returns. ``index_mb`` is the size of the index's arrays in memory. Writes
``docs/results/index_scale.tsv`` (``--out``) and prints it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed.io import read_fasta  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402

COLUMNS = ("references", "lists", "build_s", "index_mb", "candidates", "probe", "search_ms")
COLUMNS += ("brute_ms", "recall10")


def embedded_greengenes(threads: int) -> np.ndarray:
    """Embeddings of every Greengenes record the shipped model takes."""
    from neuroseed.embedding_search import embed, load_model
    from neuroseed.model_file import resolve
    from neuroseed.runtime import configure_backend

    configure_backend(threads, 0)
    model = load_model(resolve("greengenes16s"))
    seqs = [s.upper() for _, _, s in read_fasta(greengenes_paths()[0])]
    seqs = [s for s in seqs if len(s) <= model.width and set(s) <= set("ACGT")]
    start = time.perf_counter()
    emb = np.vstack([embed(model, seqs[i : i + 4096], 1024) for i in range(0, len(seqs), 4096)])
    print(f"{len(seqs)} records embedded in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return emb


def nbytes(index) -> int:
    return sum(v.nbytes for v in vars(index).values() if isinstance(v, np.ndarray))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--refs", type=int, nargs="+", default=[10000, 20000, 0])
    ap.add_argument("--candidates", type=int, nargs="+", default=[200, 800])
    ap.add_argument("--probe", type=int, nargs="+", default=[32])
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "index_scale.tsv"))
    args = ap.parse_args()

    from scipy.spatial.distance import cdist

    from neuroseed import index as ref_index

    emb = embedded_greengenes(args.threads)
    order = np.random.default_rng(0).permutation(len(emb))
    queries, pool = emb[order[: args.queries]], emb[order[args.queries :]]
    rows = []
    for n in args.refs:
        refs = pool[: n or len(pool)]
        start = time.perf_counter()
        ids = [str(i) for i in range(len(refs))]
        index = ref_index.build(refs, ids, [""] * len(refs), "manhattan", 1.0, 1, "")
        build_s = time.perf_counter() - start
        sample = queries[: args.recall_queries]
        start = time.perf_counter()
        brute = np.argsort(cdist(sample, refs, "cityblock"), axis=1, kind="stable")[:, :10]
        brute_ms = (time.perf_counter() - start) / len(sample) * 1e3
        ref_index.search(index, queries[:64], 10)  # first-call set-up is not search time
        for candidates, probe in itertools.product(args.candidates, args.probe):
            start = time.perf_counter()
            idx, _ = ref_index.search(index, queries, 10, candidates, args.threads, probe=probe)
            search_s = time.perf_counter() - start
            hits = [len(set(a) & set(b)) / 10 for a, b in zip(idx, brute, strict=False)]
            row = {
                "references": len(refs),
                "lists": len(index.centroids),
                "build_s": round(build_s, 1),
                "index_mb": round(nbytes(index) / 2**20),
                "candidates": candidates,
                "probe": probe,
                "search_ms": round(search_s / len(queries) * 1e3, 3),
                "brute_ms": round(brute_ms, 1),
                "recall10": round(float(np.mean(hits)), 4),
            }
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
    import pandas as pd

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(out, sep="\t", index=False)
    print(out.read_text(), end="")


if __name__ == "__main__":
    main()
