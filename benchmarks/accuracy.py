"""Test %RMSE on gg2000 beside the original NeuroSEED code (the peer run), one command.

    python benchmarks/accuracy.py --cores 2
    python benchmarks/accuracy.py --cores 2 --hyperbolic-seeds 0 1 2 3 4   # the NaN check

Trains, through the workflow (so every run is a cached artifact under results/gg2000/), the
linear, MLP and CNN encoders with the euclidean and hyperbolic distances on the gg2000 benchmark
split with the default config (the peer's settings and epoch budget), hyperbolic over several
seeds, plus the k-mer baseline; then prints our seed-0 result, the mean ± sd over seeds and the
number of runs that failed on a NaN, next to the peer's figures (measured 2026-11-25 on 2 CPU
cores with the original PyTorch code on exactly this data and split; docs/reference.md, "The
peer run").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroseed import paths  # noqa: E402

SPLIT = "random-s1"
# The original code on gg2000 (seed 0, same split, same epoch budget): best figure of each row.
PEER = {
    ("linear", "euclidean"): (21.2, "diverged at lr 0.01; 21.2 at lr 0.001"),
    ("linear", "hyperbolic"): (4.31, ""),
    ("mlp", "euclidean"): (5.80, ""),
    ("mlp", "hyperbolic"): (3.54, ""),
    ("cnn", "euclidean"): (2.97, "lr 0.001, 8 epochs; 4.34 at lr 0.01"),
    ("cnn", "hyperbolic"): (2.53, ""),
}
PEER_CONSTANT = 3.79


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--dataset", default="gg2000", help="the dataset name of the default config")
    p.add_argument("--encoders", nargs="+", default=["linear", "mlp", "cnn"])
    p.add_argument("--euclidean-seeds", nargs="+", type=int, default=[0])
    p.add_argument("--hyperbolic-seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--kmer-distances", nargs="*", default=["euclidean", "cosine", "hyperbolic"])
    p.add_argument("--dry-run", action="store_true", help="only print the table of what exists")
    args = p.parse_args(argv)

    runs = [
        (enc, dist, seed)
        for enc in args.encoders
        for dist, seeds in (
            ("euclidean", args.euclidean_seeds),
            ("hyperbolic", args.hyperbolic_seeds),
        )
        for seed in seeds
    ] + [("kmer", dist, 0) for dist in args.kmer_distances]
    keys = [dict(encoder=e, distance=d, seed=s, split=SPLIT) for e, d, s in runs]
    if not args.dry_run:
        targets = [paths.artifact("metrics", args.dataset, **k) for k in keys]
        # --keep-going: a run that fails (a NaN loss) is counted below, not fatal
        cmd = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--keep-going"]
        subprocess.run([*cmd, *targets], cwd=ROOT, check=False)

    results: dict[tuple[str, str], list[float]] = {}
    failed: dict[tuple[str, str], int] = {}
    extra: dict[tuple[str, str], dict] = {}
    for k in keys:
        pair = (k["encoder"], k["distance"])
        metrics = ROOT / paths.artifact("metrics", args.dataset, **k)
        log = ROOT / paths.log("train_model", paths.RUN_JOB, args.dataset, **k)
        if metrics.exists():
            m = json.loads(metrics.read_text())
            results.setdefault(pair, []).append(m["test_rmse_pct"])
            if k["seed"] == min(s for e, d, s in runs if (e, d) == pair):
                extra[pair] = m
        elif log.exists() and "loss became nan" in log.read_text().lower():
            failed[pair] = failed.get(pair, 0) + 1

    print(
        "\n| encoder | distance | ours, seed 0 | ours, mean ± sd (runs) | NaN runs "
        "| peer (original code) | ours ≤ peer | s per epoch | training pairs/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for pair in dict.fromkeys((e, d) for e, d, _ in runs):
        vals = results.get(pair, [])
        m = extra.get(pair)
        first = f"{m['test_rmse_pct']:.2f}" if m else "—"
        spread = (
            f"{np.mean(vals):.2f} ± {np.std(vals, ddof=1):.2f} ({len(vals)})"
            if len(vals) > 1
            else "—"
        )
        peer, note = PEER.get(pair, (None, ""))
        peer_txt = (f"{peer:.2f}" + (f" ({note})" if note else "")) if peer else "—"
        ok = ("yes" if m["test_rmse_pct"] <= peer else "**no**") if (m and peer) else "—"
        per_epoch = f"{m['train_seconds'] / m['epochs_run']:.1f}" if m else "—"
        rate = f"{m['train_pairs_per_second']:,.0f}" if m else "—"
        print(
            f"| {pair[0]} | {pair[1]} | {first} | {spread} | {failed.get(pair, 0)} | {peer_txt} "
            f"| {ok} | {per_epoch} | {rate} |"
        )
    constant = [m["constant_predictor_test_rmse_pct"] for m in extra.values()]
    if constant:
        print(f"\nconstant predictor: ours {constant[0]:.2f}, peer {PEER_CONSTANT:.2f}")
    print("command: " + " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
