"""Reading the Greengenes 13_8 inputs: the 99,322-record FASTA and the 99,322-tip tree.

    python benchmarks/read_inputs.py --repeats 3

Times (best of ``--repeats``) and Python peak memory (``tracemalloc``) of this project's
readers, ``neuroseed.io.read_fasta`` and ``neuroseed.trees.read_tree``, beside the bare
Biopython calls they are built on (``SimpleFastaParser`` over the file, ``Bio.Phylo.read``),
measured in the same run; the ratio is the cost of the project's checks and one-line errors.
Copied into an older checkout, the same file measures that checkout's readers against the same
Biopython calls (docs/benchmarks.md, "Reading the inputs", has both).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from neuroseed.io import read_fasta  # noqa: E402
from neuroseed.sources import greengenes_paths  # noqa: E402
from neuroseed.trees import read_tree  # noqa: E402


def measure(read: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best time in seconds over ``repeats`` and the peak of Python allocations in MiB."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        read()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    read()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20


def bare_fasta(path: Path) -> list:
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    with open(path) as fh:
        return list(SimpleFastaParser(fh))


def bare_tree(path: Path):
    from Bio import Phylo

    return Phylo.read(path, "newick")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    fasta, tree = greengenes_paths()
    print("input\treader\tseconds\tpeak_mib\tratio_to_biopython")
    for name, ours, bare in (
        ("fasta", lambda: read_fasta(fasta), lambda: bare_fasta(fasta)),
        ("tree", lambda: read_tree(tree), lambda: bare_tree(tree)),
    ):
        base, base_mem = measure(bare, args.repeats)
        took, mem = measure(ours, args.repeats)
        print(f"{name}\tbiopython\t{base:.2f}\t{base_mem:.0f}\t1.00")
        print(f"{name}\tneuroseed\t{took:.2f}\t{mem:.0f}\t{took / base:.2f}")


if __name__ == "__main__":
    main()
