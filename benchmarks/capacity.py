"""The capacity model: each stage's time and peak memory as a function of N, fitted to workflow
runs at some sizes and checked against runs at others, on this machine, in one run.

    python benchmarks/capacity.py --fit 500 1000 1500 3000 --check 2000 5000 --cores 2

For each N the workflow runs (``snakemake --cores``) on N Greengenes records drawn with seed 0
(dataset ``capN``, results removed first) up to one trained CNN (hyperbolic, ``--epochs``
epochs); every stage's time (``s``) and peak RSS (``max_rss``) come from its Snakemake
benchmark file. Each stage's time and memory are fitted as ``a + b·x`` by least squares on the
``--fit`` sizes, where ``x`` is the stage's work: pairs ``N(N-1)/2`` for the edit distances,
``N`` for the others (training draws ``partners`` pairs per training sequence per epoch and
embeds the test part); memory grows with ``N²`` where a stage holds the matrix. The table
compares the fits' predictions at the ``--check`` sizes with their measurements, and the
fitted rates give the predictions in docs/benchmarks.md "Capacity model". Writes
``docs/results/capacity.tsv`` (``--out``) and prints it; ``--measured TSV`` refits an earlier
run's measurements without running anything.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroseed import paths  # noqa: E402

RUN = {"split": "random-s1", "encoder": "cnn", "distance": "hyperbolic", "seed": 0}
# stage -> (its job's part of its benchmark file's name under results/<dataset>/benchmarks, the
# work its time grows with, what its memory grows with)
STAGES = {
    "prepare_sequences": (None, "n", "n"),
    "encode_sequences": (None, "n", "n"),
    "compute_edit_distance": (None, "pairs", "n2"),
    "split_sequences": (RUN["split"], "n", "n"),
    "train_model": (paths.fill(paths.RUN_JOB, **RUN), "n", "matrix"),
}
# Training reads the whole matrix for its evaluation (capacity.training): its memory is fitted
# as a base plus the matrix's 2·N² bytes, not a free N² slope. A free slope, fitted on 500-3,000
# (1.0-1.26 GB, TensorFlow's allocator varies by ~0.2 GB), over-predicted 5,000 by 50 %.
MATRIX_MB = 2 / 1e6


def work(kind: str, n: int) -> float:
    return {"n": n, "pairs": n * (n - 1) / 2, "n2": n * n, "matrix": n * n}[kind]


def run(n: int, cores: int, epochs: int) -> dict[str, dict[str, float]]:
    """The workflow up to one trained CNN on ``n`` records; each stage's seconds and MB."""
    dataset = f"cap{n}"
    shutil.rmtree(ROOT / paths.dataset_dir(dataset), ignore_errors=True)
    config = {
        "dataset": dataset,
        "source": {"n_sequences": n},
        "training": {"encoders": ["cnn"], "distances": ["hyperbolic"]},
        "encoders": {"cnn": {"epochs": epochs}},
    }
    path = ROOT / paths.RESULTS / f".{dataset}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(config))
    cmd = [sys.executable, "-m", "snakemake", paths.artifact("model", dataset, **RUN), "--quiet"]
    cmd += ["--cores", str(cores), "--configfile", "config/config.yaml", str(path)]
    subprocess.run(cmd, cwd=ROOT, check=True)
    path.unlink()
    out = {}
    for stage, (job, _, _) in STAGES.items():
        with open(ROOT / paths.benchmark(stage, job, dataset)) as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        out[stage] = {"s": float(row["s"]), "mb": float(row["max_rss"])}
    print(n, json.dumps(out), file=sys.stderr, flush=True)
    return out


def fit(xs: list[float], ys: list[float], kind: str = "") -> tuple[float, float]:
    """``a, b`` of ``y = a + b·x`` by least squares; for ``matrix`` only ``a``, ``b`` being the
    matrix's MB per N²."""
    if kind == "matrix":
        return float(np.mean(np.subtract(ys, np.multiply(xs, MATRIX_MB)))), MATRIX_MB
    b, a = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(a), float(b)


def read_measured(path: str) -> dict[int, dict[str, dict[str, float]]]:
    """The measurements of an earlier run's TSV (``--measured``), to refit without rerunning."""
    with open(path) as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["stage"] in STAGES]
    out: dict[int, dict[str, dict[str, float]]] = {}
    for r in rows:
        out.setdefault(int(r["n"]), {})[r["stage"]] = {
            "s": float(r["time_s"]),
            "mb": float(r["rss_mb"]),
        }
    return out


def project(rows: list[dict], cores: int, node_cores: int, epochs: int) -> None:
    """Predictions beyond the measured sizes from the fitted rates: the matrix as one job on one
    node or as tile jobs over 50 nodes of ``node_cores`` cores (pairs per core-second as
    measured, merged at MERGE_MB_S), against one CNN's training per epoch."""
    from neuroseed.capacity import MERGE_MB_S
    from neuroseed.tiles import tile_jobs

    rate = {r["stage"]: r for r in rows if r["stage"] != "total"}
    pair_core_s = float(rate["compute_edit_distance"]["time_b_s"]) * cores
    epoch_s = float(rate["train_model"]["time_b_s"]) / epochs
    print("N\tnodes\tblocks\tjobs\tmatrix_GB\ted_hours\tjob_GB\tcnn_epoch_min", file=sys.stderr)
    for n in (20_000, 100_000, 1_000_000):
        pairs, matrix_gb = n * (n - 1) / 2, 2 * n * n / 1e9
        for nodes in (1, 50):
            blocks = 1
            while nodes > 1 and len(tile_jobs(blocks)) < 2 * nodes:
                blocks += 1
            jobs = len(tile_jobs(blocks))
            rounds = -(-jobs // nodes)
            compute = pairs / jobs * rounds * pair_core_s / node_cores
            merge = 0 if blocks == 1 else 2 * matrix_gb * 1e3 / MERGE_MB_S
            # one job writes the matrix through a memory map (its own memory stays small); a
            # tile job holds up to two tiles
            job_gb = 0.0 if blocks == 1 else 4 * (n / blocks) ** 2 / 1e9
            print(
                f"{n}\t{nodes}\t{blocks}\t{jobs}\t{matrix_gb:,.1f}\t{(compute + merge) / 3600:,.1f}"
                f"\t{job_gb:,.2f}\t{epoch_s * n / 60:,.1f}",
                file=sys.stderr,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", type=int, nargs="+", default=[500, 1000, 1500, 3000])
    ap.add_argument("--check", type=int, nargs="+", default=[2000, 5000])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--node-cores", type=int, default=32, help="cores per node, projections")
    ap.add_argument("--keep", action="store_true", help="keep results/capN")
    ap.add_argument("--measured", help="refit the measurements of this earlier TSV, run nothing")
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "capacity.tsv"))
    args = ap.parse_args()

    sizes = [*args.fit, *args.check]
    if args.measured:
        measured = read_measured(args.measured)
        measured = {n: measured[n] for n in sizes}
        args.keep = True
    else:
        measured = {n: run(n, args.cores, args.epochs) for n in sizes}
    rows = []
    for stage, (_, time_kind, mem_kind) in STAGES.items():
        t = fit([work(time_kind, n) for n in args.fit], [measured[n][stage]["s"] for n in args.fit])
        m = fit(
            [work(mem_kind, n) for n in args.fit],
            [measured[n][stage]["mb"] for n in args.fit],
            mem_kind,
        )
        print(
            f"{stage}: time = {t[0]:.2f} s + {t[1]:.3g} s x {time_kind}; "
            f"peak RSS = {m[0]:.0f} MB + {m[1]:.3g} MB x {mem_kind}",
            file=sys.stderr,
        )
        for n in [*args.fit, *args.check]:
            pred_s = t[0] + t[1] * work(time_kind, n)
            pred_mb = m[0] + m[1] * work(mem_kind, n)
            got = measured[n][stage]
            rows.append(
                {
                    "stage": stage,
                    "n": n,
                    "role": "fit" if n in args.fit else "check",
                    "time_s": round(got["s"], 2),
                    "predicted_s": round(pred_s, 2),
                    "time_ratio": round(pred_s / got["s"], 3),
                    "rss_mb": round(got["mb"], 1),
                    "predicted_mb": round(pred_mb, 1),
                    "rss_ratio": round(pred_mb / got["mb"], 3),
                    "time_a_s": round(t[0], 3),
                    "time_b_s": f"{t[1]:.4g}",
                    "time_x": time_kind,
                    "rss_a_mb": round(m[0], 1),
                    "rss_b_mb": f"{m[1]:.4g}",
                    "rss_x": mem_kind,
                }
            )
    for n in measured:  # the stages together, as one after another
        own = [r for r in rows if r["n"] == n]
        got, pred = sum(r["time_s"] for r in own), sum(r["predicted_s"] for r in own)
        total = {"stage": "total", "n": n, "role": own[0]["role"], "time_s": round(got, 2)}
        rows.append({**total, "predicted_s": round(pred, 2), "time_ratio": round(pred / got, 3)})
    if not args.keep:
        for n in measured:
            shutil.rmtree(ROOT / paths.dataset_dir(f"cap{n}"), ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t", restval="")
        writer.writeheader()
        writer.writerows(rows)
    print(out.read_text(), end="")
    project(rows, args.cores, args.node_cores, args.epochs)
    checks = [r for r in rows if r["role"] == "check"]
    worst = max(checks, key=lambda r: abs(r["time_ratio"] - 1))
    print(
        f"worst check (time): {worst['stage']} at N = {worst['n']}: predicted/measured "
        f"{worst['time_ratio']}; command: python benchmarks/capacity.py --fit "
        f"{' '.join(map(str, args.fit))} --check {' '.join(map(str, args.check))} "
        f"--cores {args.cores} --epochs {args.epochs}"
    )


if __name__ == "__main__":
    main()
