"""Run the original NeuroSEED code (PyTorch; a checkout of github.com/gcorso/NeuroSEED, not part
of this project) on a dataset built by this workflow: its own training loop, models and
settings on our sequences, split and exact edit distances, to tell differences of the data
from differences of the implementation (issue #31).

    git clone https://github.com/gcorso/NeuroSEED /tmp/NeuroSEED   # once, then its imports:
    pip install torch tqdm biopython cython
    (cd /tmp/NeuroSEED/hierarchical_clustering/relaxed/mst && python setup.py build_ext --inplace)
    python benchmarks/original_code.py --original /tmp/NeuroSEED --dataset ggv4_paper \\
        -- edit_distance.models.feedforward.train --scaling=False --distance=hyperbolic \\
        --lr=0.01 --weight_decay=0.0 --dropout=0.0 --embedding_size=128 --layer=1 \\
        --patience=50 --epochs=500 --batch_size=128

Writes ``results/<dataset>/benchmarks/original/data.pkl`` (the original's format: per part, the
sequences as A0 C1 G2 T3 with -1 for anything else, which its one-hot encodes as zeros, and the
part's edit-distance matrix) once, then runs the given module of the original with
``--data`` pointing at it, in a scratch folder (it writes its checkpoints to the working
directory), and prints its output. Test %RMSE = 100 * sqrt(its final test loss).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroseed import paths  # noqa: E402
from neuroseed.artifacts import load_prepared  # noqa: E402
from neuroseed.io import read_fasta  # noqa: E402

CODES = {"A": 0, "C": 1, "G": 2, "T": 3}


def write_pickle(dataset: str, split: str, out: Path) -> None:
    import torch

    data = load_prepared(dataset, split, ROOT / paths.RESULTS)
    fasta = ROOT / paths.artifact("sequences", dataset)
    by_id = {rid: seq.upper() for rid, _, seq in read_fasta(fasta)}
    width = max(len(s) for s in by_id.values())
    sequences, distances = {}, {}
    for part, rows in data.parts.items():
        codes = np.full((len(rows), width), -1, np.int64)
        for k, i in enumerate(rows):
            seq = by_id[data.ids[i]]
            codes[k, : len(seq)] = [CODES.get(c, -1) for c in seq]
        sequences[part] = torch.from_numpy(codes)
        matrix = np.asarray(data.distances[np.ix_(rows, rows)], np.float32)
        distances[part] = torch.from_numpy(matrix)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump((sequences, distances), fh)
    tmp.replace(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--original", required=True, help="a checkout of gcorso/NeuroSEED")
    ap.add_argument("--dataset", default="ggv4_paper")
    ap.add_argument("--split", default="random-s1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- MODULE ARGS... of the original")
    args = ap.parse_args()
    command = [c for c in args.command if c != "--"]
    if not command:
        ap.error("give the original's module and its arguments after --")
    data = ROOT / paths.dataset_dir(args.dataset) / paths.BENCHMARKS / "original" / "data.pkl"
    if not data.is_file():
        write_pickle(args.dataset, args.split, data)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(args.original).resolve()),
        "OMP_NUM_THREADS": str(args.threads),
        "MKL_NUM_THREADS": str(args.threads),
    }
    lines = []
    with tempfile.TemporaryDirectory() as scratch:
        with subprocess.Popen(
            [sys.executable, "-u", "-m", *command, f"--data={data}", "--no-cuda"],
            cwd=scratch,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        ) as proc:
            for line in proc.stdout:  # its progress as it comes (a run takes hours)
                print(line, end="", flush=True)
                lines.append(line)
    if proc.returncode:
        sys.exit(proc.returncode)
    for line in lines:
        if line.startswith("Final results test"):
            mse = float(line.split("loss = ")[1].split()[0])
            print(json.dumps({"test_rmse_pct": 100 * mse**0.5, "command": command}))


if __name__ == "__main__":
    main()
