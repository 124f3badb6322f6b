"""How much of a model's test %RMSE comes from its single worst test read, and why.

    python benchmarks/worst_read.py --dataset ggv4_paper mlp-square/seed0 mlp-manhattan/seed0

For each trained run (``results/<dataset>/training/<split>/<run>/model.keras``): its test
%RMSE, the test read whose pairs carry the largest squared error, that read's share of the
total, the %RMSE of the test part without it, how far its embedding lies from the training
reads' mean (beside the training reads' own 99th percentile), and, for every batch
normalisation of the encoder, the channels that are zero on every training read (a dead ReLU
ahead of batch norm: its moving variance is ~0, so a read that does activate it is multiplied
by up to 1/sqrt(epsilon)) but not on this read. A diagnostic: it chooses nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import paths  # noqa: E402


def dead_channels(encoder, train_codes: np.ndarray, read: np.ndarray) -> list[str]:
    """Batch-norm inputs that are zero on every training read but not on ``read``."""
    import keras

    found = []
    for layer in encoder.layers:
        if "norm" not in type(layer).__name__.lower():
            continue
        probe = keras.Model(encoder.inputs, layer.input)
        train = np.concatenate(
            [
                keras.ops.convert_to_numpy(probe(train_codes[k : k + 512]))
                for k in range(0, len(train_codes), 512)
            ]
        )
        mine = keras.ops.convert_to_numpy(probe(read[None]))
        width = train.shape[-1]
        train_max = np.abs(train.reshape(-1, width)).max(0)
        mine_max = np.abs(mine.reshape(-1, width)).max(0)
        dead = np.flatnonzero((train_max == 0) & (mine_max > 0))
        if len(dead):
            found.append(f"{layer.name}: {len(dead)} channel(s) dead in training, active here")
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="<encoder>-<distance>/seed<N> under training/<split>/")
    ap.add_argument("--dataset", default="ggv4_paper")
    ap.add_argument("--split", default="random-s1")
    args = ap.parse_args()

    from neuroseed.runtime import configure_backend

    configure_backend(2, 0)
    from neuroseed.metrics import worst_sequence
    from neuroseed.runtime import embed, load_run
    from neuroseed.training import evaluate

    for name in args.runs:
        pair, seed = name.split("/seed")
        encoder, distance = pair.rsplit("-", 1)
        model_fields = {"split": args.split, "encoder": encoder, "distance": distance, "seed": seed}
        run = load_run(
            str(ROOT / paths.artifact("model", args.dataset, **model_fields)),
            str(ROOT / paths.artifact("encoded", args.dataset)),
            str(ROOT / paths.artifact("distances", args.dataset)),
            str(ROOT / paths.artifact("split", args.dataset, split=args.split)),
        )
        data, test = run.data, run.data.parts["test"]
        rmse, target, pred = evaluate(
            run.encoder, run.head, data.codes, data.distances, test, data.length
        )
        worst, share, without = worst_sequence(target, pred, len(test))
        emb = embed(run.encoder, data.codes[test])
        train_emb = embed(run.encoder, data.codes[data.parts["train"]])
        centre = train_emb.mean(0)
        q99 = np.percentile(np.linalg.norm(train_emb - centre, axis=1), 99)
        far = float(np.linalg.norm(emb[worst] - centre))
        read = data.codes[test[worst]]
        dead = dead_channels(run.encoder, data.codes[data.parts["train"]], read)
        print(
            f"{name}: test %RMSE {rmse:.3f}; worst read {data.ids[test[worst]]} carries "
            f"{100 * share:.1f} % of the squared error; without it "
            f"{without:.3f}; its embedding {far:.3f} from the training mean (training reads' "
            f"99th percentile {q99:.3f}); {'; '.join(dead) or 'no dead batch-norm channel'}"
        )


if __name__ == "__main__":
    main()
