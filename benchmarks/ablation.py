"""Training ablations judged on the validation part only (the test part chooses nothing).

    python benchmarks/ablation.py --threads 2 gg2000 gg2000_relative gg2000_groups
    python benchmarks/ablation.py --out docs/results/ablation_ggv4.tsv ggv4 ggv4_groups

Each argument is a dataset under ``results/`` (one ablation each, e.g. from
``config/ablations/*.yaml``), all on the same split. For every trained run there
(``training/<split>/<encoder>-<distance>/seed<s>/``): its best validation %RMSE (the epoch
early stopping kept, from ``history.tsv``; the fit's for ``kmer``), its training time and
retrieval on the validation part: queries = the validation sequences, references = the train
part (the split's, not the pool), truth = the exact edit distances of the matrix; a query
counts only if its true nearest reference is unique, ties count against the model (as
``fig_retrieval``). Writes a TSV (``--out``, default
``docs/results/ablation_<first dataset>.tsv``) and prints it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import paths  # noqa: E402
from neuroseed.artifacts import load_prepared  # noqa: E402
from neuroseed.retrieval import ranks_of_truth, topk_accuracy  # noqa: E402

COLUMNS = ("dataset", "run", "loss", "groups", "near", "pool", "epochs_run", "best_epoch")
COLUMNS += ("val_rmse_pct", "val_top1", "val_top5", "val_top10", "queries_scored")
COLUMNS += ("train_seconds",)


def runs(root: Path, dataset: str, split: str, seeds: list[int] | None):
    """Every trained run's folder of ``dataset`` (under ``root``) on ``split`` (of ``seeds``),
    in name order."""
    found = (p.parent for p in root.glob(paths.glob("model", dataset, split=split)))
    return sorted(p for p in found if seeds is None or int(p.name[4:]) in seeds)


def score(run: Path, data, label: str) -> dict:
    from neuroseed.model_file import load_siamese
    from neuroseed.runtime import distances, embed

    metrics = json.loads((run / paths.METRICS).read_text())
    history = np.genfromtxt(run / paths.HISTORY, delimiter="\t", names=True)
    val = np.atleast_1d(history["val_rmse_pct"])
    queries, refs = data.parts["val"], data.parts["train"]
    exact = np.asarray(data.distances[np.ix_(queries, refs)])
    encoder, head = load_siamese(run / paths.MODEL)
    est = distances(head, embed(encoder, data.codes[queries]), embed(encoder, data.codes[refs]))
    ranks = ranks_of_truth(est, exact)
    top = topk_accuracy(ranks, (1, 5, 10))
    return {
        "dataset": label,
        "run": f"{run.parent.name}/{run.name}",
        # runs from before training.loss and training.groups trained with NeuroSEED's
        "loss": metrics.get("loss", "mse"),
        "groups": metrics.get("groups", 0),
        "near": metrics.get("near_partners", 0.0),
        "pool": metrics["pool_sequences"],
        "epochs_run": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "val_rmse_pct": round(float(val.min()), 3),
        **{f"val_{k}": round(100 * v, 1) for k, v in top.items()},
        "queries_scored": len(ranks),
        "train_seconds": metrics["train_seconds"],
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("datasets", nargs="+", help="datasets under results/ (one per ablation)")
    ap.add_argument("--split", default="random-s1")
    ap.add_argument("--results", type=Path, default=ROOT / "results")
    ap.add_argument("--seeds", type=int, nargs="+", help="only these seeds (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    from neuroseed.runtime import configure_backend

    configure_backend(args.threads, 0)
    rows = []
    for name in args.datasets:
        data = load_prepared(name, args.split, args.results)
        found = runs(args.results, name, args.split, args.seeds)
        if not found:
            base = args.results / name
            sys.exit(f"{base}: no trained model under training/{args.split}/; run the workflow")
        for run in found:  # closed-form ones (kmer) too: the untrained reference
            rows.append(score(run, data, name))
            print("\t".join(str(rows[-1][c]) for c in COLUMNS), flush=True)
    out = args.out or ROOT / "docs" / "results" / f"ablation_{args.datasets[0]}.tsv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
