"""Training jobs side by side: how much Numba's spinning OpenMP threads cost, one run.

    python benchmarks/side_by_side.py                # 152-nt V4 reads of gg2000 (as paper_v4's)
    python benchmarks/side_by_side.py --region full  # gg2000 full length (the default run's)

`python -m snakemake --cores 2` runs two training jobs of one thread side by side
(`jobs.training_threads`). The CNN's first block runs Numba kernels on OpenMP threads, and
libgomp's threads spin while they wait for work unless `OMP_WAIT_POLICY` says otherwise. Alone
that costs nothing; beside another job the spinning threads take the cores the other job needs.
`neuroseed.kernels` therefore sets `OMP_WAIT_POLICY=PASSIVE` unless it is set.

Each configuration runs worker processes of this script: Siamese training steps of the default
config's CNN + hyperbolic (batch 128, random pairs with targets ED/L), timed after a warm-up.
Configurations: one job of one thread alone, one job of two threads alone, and two jobs of one
thread side by side, each with libgomp's default wait policy (the state before) and with
PASSIVE. Ratios are against "two side by side, default policy", measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def worker(args) -> None:
    """Time ``args.steps`` training steps; print pairs/s as JSON on the last line."""
    from neuroseed import kernels  # sets OMP_WAIT_POLICY=PASSIVE unless it is set

    if args.policy == "default":
        # before libgomp is loaded (Numba loads it when it first starts its threads)
        os.environ.pop("OMP_WAIT_POLICY", None)
    import keras
    from throughput import load_config, pair_batches

    from neuroseed.encoding import encode
    from neuroseed.models import build_encoder, build_siamese
    from neuroseed.regions import cut
    from neuroseed.runtime import configure_backend
    from neuroseed.sequences import load_records
    from neuroseed.settings import settings_from_config
    from neuroseed.sources import greengenes_paths

    records = load_records(greengenes_paths()[0], args.n, 0)
    reads, _ = cut([(r.id, r.header, r.sequence) for r in records], args.region)
    seqs = [seq for _, _, seq in reads]
    codes, _ = encode(seqs)
    batches = pair_batches(seqs, codes, args.warmup + args.steps, 128, seed=args.seed)
    configure_backend(args.threads, 0)
    s = settings_from_config(load_config(), "cnn", "hyperbolic", 0)
    encoder = build_encoder("cnn", codes.shape[1], s["embedding_dim"], "hyperbolic", s["hparams"])
    model = build_siamese(encoder, "hyperbolic")
    model.compile(optimizer=keras.optimizers.Adam(s["learning_rate"]), loss="mse")
    for x, y in batches[: args.warmup]:
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for x, y in batches[args.warmup :]:
        loss = model.train_on_batch(x, y)
    seconds = time.perf_counter() - start
    policy = os.environ.get("OMP_WAIT_POLICY", "unset")
    print(
        json.dumps(
            {
                "pairs_per_second": args.steps * 128 / seconds,
                "ms_per_step": 1000 * seconds / args.steps,
                "last_loss": float(loss),
                "policy": policy,
                "layer": kernels.numba.threading_layer(),
                "width": int(codes.shape[1]),
                "sequences": len(seqs),
            }
        )
    )


def run_jobs(args, policy: str, threads: int, jobs: int) -> list[dict]:
    """``jobs`` workers at once, each of ``threads`` threads; their results."""
    cmd = [sys.executable, __file__, "--worker", "--policy", policy, "--threads", str(threads)]
    cmd += ["--region", args.region, "--n", str(args.n), "--steps", str(args.steps)]
    cmd += ["--warmup", str(args.warmup)]
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    procs = [
        subprocess.Popen([*cmd, "--seed", str(k)], stdout=subprocess.PIPE, text=True, env=env)
        for k in range(jobs)
    ]
    out = []
    for p in procs:
        stdout, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"worker failed ({p.returncode}): {' '.join(cmd)}")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--region", default="v4", help="v4 (152-nt reads) or full")
    p.add_argument("--n", type=int, default=2000, help="Greengenes sequences (gg recipe, seed 0)")
    p.add_argument("--steps", type=int, default=200, help="timed training steps per job")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--policy", default="passive", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return

    layout = [("one job, 1 thread, alone", 1, 1), ("one job, 2 threads, alone", 2, 1)]
    layout.append(("two jobs of 1 thread, side by side", 1, 2))
    rows = []
    for policy in ("default", "passive"):
        for label, threads, jobs in layout:
            results = run_jobs(args, policy, threads, jobs)
            rows.append((label, policy, results))
            rates = ", ".join(f"{r['ms_per_step']:.1f}" for r in results)
            print(f"{label}, {policy}: {rates} ms/step", file=sys.stderr, flush=True)
    base = sum(r["pairs_per_second"] for r in rows[2][2])  # two side by side, default policy
    info = rows[0][2][0]
    print(
        f"\nCNN + hyperbolic (default config), batch 128, {args.steps} timed steps per job; "
        f"{info['sequences']} sequences ({args.region}) of width {info['width']}; "
        f"{os.cpu_count()} CPUs; Numba threading layer {info['layer']}\n"
    )
    header = "| jobs | OMP_WAIT_POLICY | ms per step (each job) | training pairs/s, all jobs |"
    print(header + " ratio |")
    print("|---|---|---|---|---|")
    for label, policy, results in rows:
        total = sum(r["pairs_per_second"] for r in results)
        steps = " / ".join(f"{r['ms_per_step']:.1f}" for r in results)
        shown = "libgomp's default (spin, then sleep)" if policy == "default" else "PASSIVE"
        print(f"| {label} | {shown} | {steps} | {total:,.0f} | {total / base:.2f} |")
    # the first job of one thread in each layout trains on the same pairs from the same start
    losses = {r[2][0]["last_loss"] for r in rows if "1 thread" in r[0]}
    same = "identical" if len(losses) == 1 else f"NOT identical ({sorted(losses)})"
    print(f"\nlast loss of the seed-0 jobs of one thread, both policies: {same}")
    print("\ncommand: " + " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
