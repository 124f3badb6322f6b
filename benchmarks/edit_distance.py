"""Edit-distance engines on real Greengenes 16S sequences, one run, same data and cores.

    python benchmarks/edit_distance.py --n 1000 --threads 2 --repeats 3
    python benchmarks/edit_distance.py --memory --n 5000 --threads 2
    python benchmarks/edit_distance.py --tiles 4 --n 5000 --threads 2

Speed mode times (a) this project's engine (de-duplication, sampled score_hint, blocks),
(b) raw ``rapidfuzz.process.cdist(seqs, seqs, workers=-1)``, (c) a multiprocessing Pool over rows
with ``Levenshtein.distance`` filling the full n x n matrix (the original NeuroSEED code's way) and
(d) a single-core loop over pairs; checks that all four matrices are identical and prints pairs/s
and ratios (medians over repeats). Memory mode runs the file engine in a child process and
compares its peak RSS with the matrix size. Tiles mode runs the stage as the workflow's jobs
would, each a fresh process reading the FASTA: (a) one job of ``--threads`` workers (rule
compute_edit_distance), (b) the ``tile_jobs`` of ``--tiles`` row blocks one after another with
``--threads`` workers each, then the merge, (c) the tile jobs ``--threads`` at a time with one
worker each (``snakemake --cores T`` with ``threads.edit_distance: 1``), then the merge; it
checks that the three files are byte-identical and prints pairs/s and the ratios b/a (the cost
of cutting the job) and c/a, medians over rounds of a, b, c in turn.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuroseed.edit_distance import edit_distance_matrix  # noqa: E402
from neuroseed.sequences import load_records  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402


def greengenes(n: int) -> list[str]:
    """The gg recipe: ``n`` records drawn with seed 0, in file order."""
    return [r.sequence for r in load_records(greengenes_paths()[0], n, 0)]


def engine(seqs, threads):
    return edit_distance_matrix(seqs, workers=threads)


def raw_cdist(seqs, threads):
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    return cdist(seqs, seqs, scorer=Levenshtein.distance, dtype=np.int32, workers=-1)


_SEQS: list[str] = []


def _row(i: int) -> list[int]:
    import Levenshtein

    return [Levenshtein.distance(_SEQS[i], s) for s in _SEQS]


def _init(seqs):
    global _SEQS
    _SEQS = seqs


def pool_rows(seqs, threads):
    with mp.get_context("fork").Pool(threads, initializer=_init, initargs=(seqs,)) as pool:
        return np.array(pool.map(_row, range(len(seqs)), chunksize=8))


def single_loop(seqs, threads):
    import Levenshtein

    n = len(seqs)
    out = np.zeros((n, n), dtype=np.int32)
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = Levenshtein.distance(seqs[i], seqs[j])
    return out


METHODS = {
    "a: this engine": engine,
    "b: raw cdist workers=-1": raw_cdist,
    "c: Pool over rows (original)": pool_rows,
    "d: single-core loop": single_loop,
}


def speed(args) -> None:
    seqs = greengenes(args.n)
    pairs = args.n * (args.n - 1) // 2
    print(
        f"{args.n} Greengenes sequences, {pairs} pairs, {args.threads} threads, "
        f"{args.repeats} repeats"
    )
    rates, ref = {}, None
    for name, fn in METHODS.items():
        times = []
        for _ in range(1 if name.startswith("d") else args.repeats):
            start = time.perf_counter()
            m = fn(seqs, args.threads)
            times.append(time.perf_counter() - start)
        if ref is None:
            ref = m
        identical = np.array_equal(np.asarray(m, dtype=np.int64), np.asarray(ref, dtype=np.int64))
        rates[name] = pairs / statistics.median(times)
        print(
            f"  {name:32s} {rates[name]:>10,.0f} pairs/s  (median {statistics.median(times):.1f} s)"
            f"  identical={identical}"
        )
        if not identical:
            sys.exit(f"{name}: matrix differs from the engine's")
    a = rates["a: this engine"]
    print(f"ratio a/b (engine vs raw cdist):      {a / rates['b: raw cdist workers=-1']:.2f}")
    print(f"ratio a/c (engine vs Pool baseline):  {a / rates['c: Pool over rows (original)']:.2f}")
    print(f"ratio a/d (engine vs 1-core loop):    {a / rates['d: single-core loop']:.2f}")
    print(
        f"command: python benchmarks/edit_distance.py --n {args.n} --threads {args.threads} "
        f"--repeats {args.repeats}"
    )


CHILD = """
import sys, logging
sys.path.insert(0, {src!r})
logging.basicConfig(level=logging.INFO, format="    %(message)s")
from neuroseed.edit_distance import compute_to_file
seqs = [l.strip() for l in open({seqs!r})]
compute_to_file(seqs, {out!r}, workers={threads})
"""


def memory(args) -> None:
    seqs = greengenes(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "s.txt").write_text("\n".join(seqs))
        out = Path(tmp) / "d.npy"
        code = CHILD.format(
            src=str(Path(__file__).resolve().parents[1] / "src"),
            seqs=str(Path(tmp) / "s.txt"),
            out=str(out),
            threads=args.threads,
        )
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        matrix = np.load(out, mmap_mode="r").nbytes
    pairs = args.n * (args.n - 1) // 2
    print(
        f"{args.n} sequences: {elapsed:.1f} s ({pairs / elapsed:,.0f} pairs/s), matrix "
        f"{matrix / 1e6:.1f} MB, peak RSS {peak / 1e6:.1f} MB, "
        f"bound 1.5 x matrix + 300 MB = {(1.5 * matrix + 300e6) / 1e6:.1f} MB "
        f"-> {'OK' if peak <= 1.5 * matrix + 300e6 else 'EXCEEDED'}"
    )
    cmd = "python benchmarks/edit_distance.py --memory"
    print(f"command: {cmd} --n {args.n} --threads {args.threads}")


JOB = """
import sys
sys.path.insert(0, {src!r})
from neuroseed import edit_distance as ed
{call}
"""


def tiles(args) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from neuroseed.tiles import tile_jobs

    seqs = greengenes(args.n)
    pairs = args.n * (args.n - 1) // 2
    jobs = len(tile_jobs(args.tiles))
    src = str(Path(__file__).resolve().parents[1] / "src")

    def job(call: str) -> None:
        subprocess.run([sys.executable, "-c", JOB.format(src=src, call=call)], check=True)

    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "s.fasta"
        fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))

        def one(out: Path) -> None:
            job(f"ed.compute({str(fasta)!r}, {str(out)!r}, workers={args.threads})")

        def tiled(out: Path, side_by_side: bool) -> None:
            parts = [Path(tmp) / f"t{k}.npz" for k in range(jobs)]
            workers = 1 if side_by_side else args.threads
            calls = [
                f"ed.compute_fasta_tile({str(fasta)!r}, {args.tiles}, {k}, {str(p)!r}, {workers})"
                for k, p in enumerate(parts)
            ]
            with ThreadPoolExecutor(args.threads if side_by_side else 1) as pool:
                list(pool.map(job, calls))
            names = [str(p) for p in parts]
            job(f"ed.merge_fasta_tiles({str(fasta)!r}, {args.tiles}, {names!r}, {str(out)!r})")
            for p in parts:
                p.unlink()

        methods = {
            "a: one job": one,
            f"b: {jobs} tile jobs one at a time + merge": lambda out: tiled(out, False),
            f"c: {jobs} tile jobs {args.threads} at a time + merge": lambda out: tiled(out, True),
        }
        print(
            f"{args.n} Greengenes sequences, {pairs} pairs, {args.tiles} row blocks = {jobs} "
            f"tile jobs, {args.threads} threads, {args.repeats} repeats"
        )
        # rounds of a, b, c in turn: a machine whose speed drifts over minutes (shared cores,
        # clocks) then shifts every method alike
        times, ref = {name: [] for name in methods}, None
        for r in range(args.repeats):
            for name, fn in methods.items():
                out = Path(tmp) / f"{name[0]}{r}.npy"
                start = time.perf_counter()
                fn(out)
                times[name].append(time.perf_counter() - start)
                ref = ref or out.read_bytes()
                if out.read_bytes() != ref:
                    sys.exit(f"{name}: the matrix file differs from one job's")
                out.unlink()
                print(f"    round {r + 1} {name}: {times[name][-1]:.1f} s", flush=True)
        rates = {name: pairs / statistics.median(t) for name, t in times.items()}
        for name, t in times.items():
            print(
                f"  {name:40s} {rates[name]:>10,.0f} pairs/s  (median "
                f"{statistics.median(t):.1f} s)  identical=True"
            )
    a, b, c = rates.values()
    print(f"ratio b/a (tile jobs one at a time vs one job): {b / a:.3f}")
    print(f"ratio c/a (tile jobs side by side vs one job):  {c / a:.3f}")
    print(
        f"command: python benchmarks/edit_distance.py --tiles {args.tiles} --n {args.n} "
        f"--threads {args.threads} --repeats {args.repeats}"
    )


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--memory", action="store_true", help="peak-RSS run of the file engine")
    p.add_argument("--tiles", type=int, default=0, help="row blocks: time the tile jobs")
    args = p.parse_args()
    if args.tiles:
        tiles(args)
    else:
        memory(args) if args.memory else speed(args)


if __name__ == "__main__":
    main()
