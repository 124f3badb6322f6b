"""All-pairs distances of N Greengenes sequences: trained embeddings vs exact edit distance.

    python benchmarks/embedding_search.py --threads 2 --n 2000 5000 10000

For every trained model found under results/<dataset>/training/<split>/*/seed0/ (the
workflow's artifacts), on the same machine, cores and sequences (the gg recipe: N records drawn
with seed 0): the embedding route (encode + embed N sequences + the model's distance for all
N(N-1)/2 pairs), timed whole; against the exact route (this project's edit-distance engine,
`neuroseed.edit_distance`). The exact all-pairs matrix is measured at the smallest N; at larger
N its time is extrapolated from the all-pairs rate measured at the smallest N, scaled by how the
pairs/s of a random sample of pairs (--exact-sample) changes between the two sets of sequences
(longer sequences cost more per pair), and the table says so. Beside each speedup: the model's
top-10 closest-string retrieval accuracy from the workflow (results/<dataset>/evaluation/...),
and the N above which the embedding route wins
(N* = 2 * embed_time_per_sequence / (exact - embedding time per pair)).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import paths  # noqa: E402
from neuroseed.edit_distance import edit_distance_matrix  # noqa: E402
from neuroseed.sequences import load_records  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402


def exact_rate(seqs: list[str], pairs: int, threads: int, seed: int = 0) -> float:
    """Exact edit-distance pairs/s on a random sample of pairs of ``seqs``."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(seqs), pairs)
    b = rng.integers(0, len(seqs), pairs)
    left, right = [seqs[i] for i in a], [seqs[j] for j in b]
    start = time.perf_counter()
    cpdist(left, right, scorer=Levenshtein.distance, workers=threads)
    return pairs / (time.perf_counter() - start)


def embedding_route(model_path: Path, seqs: list[str], width: int) -> tuple[float, float]:
    """Seconds to embed ``seqs`` and to compute all their pairwise model distances."""
    from neuroseed.encoding import encode
    from neuroseed.model_file import load_siamese
    from neuroseed.runtime import distances, embed

    encoder, head = load_siamese(model_path)
    codes, _ = encode(seqs[:64], width)
    embed(encoder, codes)  # warm-up (graph tracing)
    start = time.perf_counter()
    codes, _ = encode(seqs, width)
    emb = embed(encoder, codes)
    embed_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for lo in range(0, len(emb), 1000):  # all pairs, a block of rows at a time
        distances(head, emb[lo : lo + 1000], emb)
    pair_seconds = (time.perf_counter() - start) / 2  # computed both triangles
    return embed_seconds, pair_seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", nargs="+", type=int, default=[2000, 5000, 10000])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dataset", default="gg2000")
    p.add_argument("--split", default="random-s1")
    p.add_argument("--exact-sample", type=int, default=100_000, help="pairs timed for larger N")
    args = p.parse_args(argv)

    from neuroseed.runtime import configure_backend

    info = configure_backend(args.threads, 0)
    models = paths.glob("model", args.dataset, split=args.split, seed=0)
    runs = sorted(model.parent for model in (ROOT / paths.RESULTS).glob(models))
    if not runs:
        sys.exit(f"no trained models: nothing matches {paths.RESULTS}/{models}")
    sizes = sorted(args.n)
    rows = []
    for n in sizes:
        seqs = [r.sequence for r in load_records(greengenes_paths()[0], n, 0)]
        pairs = n * (n - 1) // 2
        sample_rate = exact_rate(seqs, args.exact_sample, args.threads)
        if n == sizes[0]:
            start = time.perf_counter()
            edit_distance_matrix(seqs, workers=args.threads)
            exact_seconds = time.perf_counter() - start
            exact_how = "measured"
            # The all-pairs engine is faster per pair than timing random pairs one by one;
            # larger N keep the measured matrix rate, corrected by how the sampled rate changes.
            matrix_rate, base_sample_rate = pairs / exact_seconds, sample_rate
        else:
            exact_seconds = pairs / (matrix_rate * sample_rate / base_sample_rate)
            exact_how = f"extrapolated ({args.exact_sample:,} sampled pairs)"
        print(f"N={n}: exact {exact_seconds:.1f} s ({exact_how})", file=sys.stderr, flush=True)
        for run in runs:
            metrics = json.loads((run / paths.METRICS).read_text())
            width = metrics.get("input", {}).get("width", metrics["padded_length"])
            # sequences longer than the model's input cannot be embedded: time the rest, scale up
            seqs_n = [s for s in seqs if len(s) <= width]
            embed_s, pair_s = embedding_route(run / paths.MODEL, seqs_n, width)
            scale = pairs / max(1, len(seqs_n) * (len(seqs_n) - 1) // 2)
            total = embed_s * len(seqs) / len(seqs_n) + pair_s * scale
            encoder, distance = run.parent.name.rsplit("-", 1)
            retrieval = ROOT / paths.artifact(
                "retrieval",
                args.dataset,
                split=args.split,
                encoder=encoder,
                distance=distance,
                seed=0,
            )
            top10 = json.loads(retrieval.read_text())["top10"] if retrieval.exists() else np.nan
            per_pair_exact = exact_seconds / pairs
            per_pair_emb = pair_s * scale / pairs
            crossover = 2 * (embed_s / len(seqs_n)) / max(per_pair_exact - per_pair_emb, 1e-15)
            rows.append((n, run.parent.name, total, exact_seconds, exact_how, top10, crossover))
            if len(seqs_n) < len(seqs):
                print(
                    f"  {len(seqs) - len(seqs_n)} longer than {width} nt skipped", file=sys.stderr
                )
            print(f"  {run.parent.name}: {total:.2f} s", file=sys.stderr, flush=True)

    print(
        f"\nbackend {info['backend']} on {info['device']}, {args.threads} threads; "
        f"models: {paths.RESULTS}/{models}\n"
    )
    print("| N | model | embedding route (s) | exact ED (s) | speedup | top-10 retrieval | N* |")
    print("|---|---|---|---|---|---|---|")
    for n, name, total, exact_s, how, top10, crossover in rows:
        mark = "" if how == "measured" else " (extrap.)"
        print(
            f"| {n:,} | {name} | {total:.2f} | {exact_s:.0f}{mark} | {exact_s / total:,.0f}× "
            f"| {100 * top10:.1f}% | {crossover:,.0f} |"
        )
    print("\ncommand: " + " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
