"""Training and embedding throughput of every encoder on real Greengenes 16S, one run.

    python benchmarks/throughput.py --threads 2
    KERAS_BACKEND=torch python benchmarks/throughput.py --encoders cnn gru   # other backends
    python benchmarks/throughput.py --fasta results/gg2000/sequences/sequences.fasta
    python benchmarks/throughput.py --xla --threads 1 --fasta results/ggv4/sequences/sequences.fasta

For each encoder: Siamese training steps (batch 128, the default config's model settings,
optimiser and targets ED/L) on pairs of the gg2000 sequences padded to the longest (2,033),
timed after a warm-up, as training pairs/s; and embedding speed (sequences/s, inference).
Ratios are against the linear encoder measured in the same run. The backend and device are
printed with the table. Each encoder is compiled as training compiles it (XLA column,
``runtime.xla_training``); ``--xla`` also trains it without XLA and gives the ratio.

GFLOP/s: the floating-point operations of a training step divided by its time, beside a float32
matrix product's GFLOP/s measured in the same run on the same threads (the practical ceiling).
A step's operations are 3x the encoder's forward operations (forward, input gradient, weight
gradient) for each of the 2 sequences of every pair; the forward count is TensorFlow's profiler
count of the encoder's graph computed layer by layer (TensorFlow backend only; it cannot see
into the GRU's loop, so the GRU shows none). The CNN's first block computes the same function
from a table with far fewer operations (models.FirstBlock), so its count is that of the layers
it replaces: the rate at which the step delivers the model's arithmetic.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neuroseed import paths  # noqa: E402
from neuroseed.config import with_defaults  # noqa: E402
from neuroseed.encoding import encode  # noqa: E402
from neuroseed.registry import TRAINED  # noqa: E402
from neuroseed.runtime import compile_for_training, configure_backend  # noqa: E402
from neuroseed.sequences import load_records  # noqa: E402
from neuroseed.settings import settings_from_config  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402


def load_config() -> dict:
    """The default workflow config with the schema's defaults filled in."""
    import yaml

    return with_defaults(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))


def pair_batches(seqs, codes, batches, batch_size, seed=0):
    """``batches`` batches of random pairs with their ED/L targets."""
    from rapidfuzz.distance import Levenshtein

    rng = np.random.default_rng(seed)
    length = codes.shape[1]
    out = []
    for _ in range(batches):
        a = rng.integers(0, len(seqs), batch_size)
        b = rng.integers(0, len(seqs), batch_size)
        y = (
            np.array([Levenshtein.distance(seqs[i], seqs[j]) for i, j in zip(a, b, strict=True)])
            / length
        )
        out.append(((codes[a], codes[b]), y.astype(np.float32)))
    return out


def forward_flops(encoder, width: int) -> float | None:
    """Floating-point operations of one sequence through ``encoder`` (TensorFlow's count)."""
    import keras

    if keras.backend.backend() != "tensorflow" or any(
        isinstance(layer, keras.layers.RNN)
        for layer in encoder.layers  # GRU included
    ):
        return None
    import tensorflow as tf

    from neuroseed.models import FirstBlock

    table = FirstBlock.uses_table
    FirstBlock.uses_table = lambda self: False  # count the layers, not the table's lookups
    try:
        fn = tf.function(lambda x: encoder(x, training=False))
        graph = fn.get_concrete_function(tf.TensorSpec((1, width), tf.int8)).graph
    finally:
        FirstBlock.uses_table = table
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of a float32 matrix product on the configured threads: the practical ceiling."""
    import keras

    a = keras.ops.convert_to_tensor(np.random.default_rng(0).random((size, size), np.float32))
    keras.ops.convert_to_numpy(keras.ops.matmul(a, a))  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        keras.ops.convert_to_numpy(keras.ops.matmul(a, a))
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def measure(encoder, codes, batches, warmup, threads, distance, config, xla=True):
    """Training pairs/s, embedding sequences/s and training GFLOP/s; ``xla``: compiled as
    training compiles (XLA where ``runtime.xla_training`` says), else never through XLA."""
    import keras

    from neuroseed.models import build_encoder, build_siamese

    configure_backend(threads, 0)
    s = settings_from_config(config, encoder, distance, 0)
    enc = build_encoder(encoder, codes.shape[1], s["embedding_dim"], distance, s["hparams"])
    model = build_siamese(enc, distance)
    optimizer = keras.optimizers.Adam(s["learning_rate"])
    if xla:
        compile_for_training(model, encoder, optimizer=optimizer, loss="mse")
    else:
        model.compile(optimizer=optimizer, loss="mse", jit_compile=False)
    for x, y in batches[:warmup]:
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for x, y in batches[warmup:]:
        model.train_on_batch(x, y)
    train_seconds = time.perf_counter() - start
    pairs = sum(len(y) for _, y in batches[warmup:])
    enc.predict(codes[:256], batch_size=256, verbose=0)  # warm-up
    start = time.perf_counter()
    enc.predict(codes, batch_size=256, verbose=0)
    embed_seconds = time.perf_counter() - start
    flops = forward_flops(enc, codes.shape[1])
    gflops = None if flops is None else 3 * 2 * flops * pairs / train_seconds / 1e9
    return pairs / train_seconds, len(codes) / embed_seconds, gflops, bool(model.jit_compile)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=2000, help="Greengenes sequences (gg recipe, seed 0)")
    p.add_argument(
        "--fasta",
        help="read the sequences from this FASTA instead (e.g. the workflow's "
        f"{paths.artifact('sequences', 'gg2000')}, where qiime-default-reference is absent)",
    )
    p.add_argument("--encoders", nargs="+", default=list(TRAINED), choices=TRAINED)
    p.add_argument("--distance", default="hyperbolic")
    p.add_argument("--batches", type=int, default=30, help="timed batches per encoder")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--xla",
        action="store_true",
        help="also train each encoder without XLA and give the ratio (runtime.xla_training)",
    )
    args = p.parse_args(argv)

    import keras

    config = load_config()
    source = args.fasta or greengenes_paths()[0]
    seqs = [r.sequence for r in load_records(source, None if args.fasta else args.n, 0)]
    codes, _ = encode(seqs)
    batches = pair_batches(seqs, codes, args.warmup + args.batches, args.batch_size)
    info = configure_backend(args.threads, 0)
    encoders = ["linear"] + [e for e in args.encoders if e != "linear"]
    rows, plain = {}, {}
    for name in encoders:
        rows[name] = measure(name, codes, batches, args.warmup, args.threads, args.distance, config)
        print(f"{name}: {rows[name][0]:,.0f} training pairs/s", file=sys.stderr, flush=True)
        if args.xla:
            plain[name] = measure(
                name, codes, batches, args.warmup, args.threads, args.distance, config, False
            )
            print(f"{name} without XLA: {plain[name][0]:,.0f}", file=sys.stderr, flush=True)
    ceiling = matmul_gflops()
    base = rows["linear"]
    print(
        f"\nKeras {keras.__version__}, backend {info['backend']} on {info['device']}, "
        f"{args.threads} threads; {len(seqs)} sequences padded to {codes.shape[1]}, "
        f"{args.distance} distance, batch {args.batch_size}, {args.batches} timed batches\n"
    )
    print(f"float32 matrix product (2,048²): {ceiling:,.0f} GFLOP/s on {args.threads} threads\n")
    extra = " XLA | without XLA, pairs/s | ÷ without |" if args.xla else " XLA |"
    print(
        "| encoder | training pairs/s | ÷ linear | embedding seqs/s | ÷ linear "
        "| training GFLOP/s (layer-by-layer count) | ÷ matrix product |" + extra
    )
    print("|---|---|---|---|---|---|---|---|" + ("---|---|" if args.xla else ""))
    for name, (train_rate, embed_rate, gflops, jit) in rows.items():
        achieved = "— | —" if gflops is None else f"{gflops:,.1f} | {gflops / ceiling:.2f}"
        cells = f" {'yes' if jit else 'no'} |"
        if args.xla:
            cells += f" {plain[name][0]:,.0f} | {train_rate / plain[name][0]:.2f} |"
        print(
            f"| {name} | {train_rate:,.0f} | {train_rate / base[0]:.3f} | "
            f"{embed_rate:,.0f} | {embed_rate / base[1]:.3f} | {achieved} |" + cells
        )
    print("\ncommand: " + " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    main()
