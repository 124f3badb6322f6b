"""Training stability of settings on several datasets: does a run blow up, and how good is it
on validation? Chooses defaults for the unbounded geometries (euclidean, manhattan, square).

    python benchmarks/stability.py --datasets gg2000 otus88 --encoder mlp \\
        --distances euclidean manhattan square --seeds 0 1 2 \\
        --variant default='{}' --variant clip1='{"clipnorm": 1.0}' --jobs 2

Each dataset must have been prepared by the workflow (results/<dataset>/encoding/encoded.npz,
edit_distance/distances.npy, splits/random-s1.json), e.g. for deblur's 88% OTUs (the recipe in
docs/reliability.md). A variant overrides settings of config/config.yaml (`learning_rate`,
`clipnorm`, `weight_decay`, `epochs`, or an encoder setting). Per run it prints the first-epoch
and the worst later training %RMSE (a jump above the previous best is a blow-up), the best
validation %RMSE (what chooses a variant) and the constant predictor; then mean ± sd per
dataset, distance and variant, with the test %RMSE beside (reported, it chooses nothing).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_one(job: dict) -> dict:
    """One training run in a fresh process (one thread)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT / "src"))
    import yaml

    from neuroseed import paths
    from neuroseed.artifacts import load_prepared
    from neuroseed.config import with_defaults
    from neuroseed.runtime import configure_backend
    from neuroseed.settings import TrainSettings, settings_from_config
    from neuroseed.training import train

    config = with_defaults(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))
    configure_backend(job["threads"], job["seed"])
    data = load_prepared(job["dataset"], "random-s1", ROOT / paths.RESULTS)
    fields = settings_from_config(config, job["encoder"], job["distance"], job["seed"])
    for key, value in job["overrides"].items():
        (fields if key in fields else fields["hparams"])[key] = value
    try:
        _, history, metrics = train(
            TrainSettings(**fields),
            data.codes,
            data.distances,
            data.parts,
            data.length,
            verbose=0,
            alphabet_size=data.alphabet_size,
        )
    except Exception as exc:  # a NaN loss is a result here, not a crash
        return {**job, "failed": str(exc).splitlines()[0]}
    train_rmse = history["rmse_pct"].tolist()
    later_jump = max(
        (train_rmse[k] / min(train_rmse[1:k]) for k in range(2, len(train_rmse))), default=1.0
    )
    return {
        **job,
        "epoch1_train": train_rmse[0],
        "worst_jump": later_jump,  # worst training %RMSE after epoch 2 / best before it
        "best_val": float(history["val_rmse_pct"].min()),
        "test": metrics["test_rmse_pct"],  # reported beside, never used to choose
        "constant": metrics["constant_predictor_test_rmse_pct"],
        "seconds": metrics["train_seconds"],
    }


def mean_sd(values: list[float]) -> str:
    if not values:
        return "—"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.2f} ± {sd:.2f}"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["gg2000"])
    p.add_argument("--encoder", default="mlp")
    p.add_argument("--distances", nargs="+", default=["euclidean"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--variant", action="append", default=[], metavar="NAME=JSON")
    p.add_argument("--jobs", type=int, default=1, help="runs in parallel, one thread each")
    p.add_argument("--output", help="also write every run as JSON lines here")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # inherited by the workers
    variants = dict(v.split("=", 1) for v in args.variant) or {"default": "{}"}
    jobs = [
        dict(dataset=d, encoder=args.encoder, distance=dist, seed=s, variant=name,
             overrides=json.loads(spec), threads=max(1, 2 // args.jobs))
        for d in args.datasets for dist in args.distances for name, spec in variants.items()
        for s in args.seeds
    ]  # fmt: skip
    print("dataset\tdistance\tvariant\tseed\tepoch1_train\tworst_jump\tbest_val\tconstant")
    results = []
    # a fresh process per run: no TensorFlow state carried from one run to the next
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=spawn, max_tasks_per_child=1) as pool:
        for r in pool.map(run_one, jobs):
            results.append(r)
            cells = (
                [f"failed: {r['failed']}"]
                if "failed" in r
                else [f"{r[k]:.2f}" for k in ("epoch1_train", "worst_jump", "best_val", "constant")]
            )
            print("\t".join([r["dataset"], r["distance"], r["variant"], str(r["seed"]), *cells]))
            sys.stdout.flush()
    if args.output:
        Path(args.output).write_text("".join(json.dumps(r) + "\n" for r in results))
    print("\ndataset\tdistance\tvariant\tbest_val (mean ± sd)\tworst_jump (max)\tfailed\ttest")
    for d in args.datasets:
        for dist in args.distances:
            for name in variants:
                rs = [
                    r for r in results
                    if (r["dataset"], r["distance"], r["variant"]) == (d, dist, name)
                ]  # fmt: skip
                ok = [r for r in rs if "failed" not in r]
                jump = max((r["worst_jump"] for r in ok), default=float("nan"))
                print(
                    f"{d}\t{dist}\t{name}\t{mean_sd([r['best_val'] for r in ok])}\t"
                    f"{jump:.2f}\t{len(rs) - len(ok)}\t{mean_sd([r['test'] for r in ok])}"
                )
    print(f"\n(command: python benchmarks/stability.py {' '.join(sys.argv[1:])})")


if __name__ == "__main__":
    main()
