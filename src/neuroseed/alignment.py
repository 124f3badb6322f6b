"""Multiple sequence alignment with MAFFT, so the encoder sees homologous positions.

Edit distances are never computed on the alignment: they always use the raw sequences.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, read_fasta, write_fasta

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "install it with 'apt-get install mafft' (Debian/Ubuntu), 'conda install -c bioconda mafft', "
    "or run snakemake with --sdm conda (envs/mafft.yaml)"
)


def mafft_version(executable: str = "mafft") -> str:
    proc = subprocess.run([executable, "--version"], capture_output=True, text=True)
    return (proc.stderr or proc.stdout).strip().splitlines()[0] if proc.returncode == 0 else "?"


def align(fasta: str | Path, out_fasta: str | Path, threads: int, options: str) -> None:
    """Align ``fasta`` with MAFFT into ``out_fasta`` (upper case, gaps '-', input order kept)."""
    exe = shutil.which("mafft")
    if exe is None:
        raise NeuroseedError(
            f"encoding.alignment is 'mafft' but mafft is not on PATH: {INSTALL_HINT}"
        )
    records = read_fasta(fasta)
    cmd = [exe, *shlex.split(options), "--thread", str(threads), "--inputorder", str(fasta)]
    log.info("running %s (%s)", " ".join(cmd), mafft_version(exe))
    with atomic_path(out_fasta, suffix=".raw") as raw:
        with open(raw, "w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            tail = proc.stderr.strip().splitlines()[-1:] or ["no message"]
            raise NeuroseedError(f"mafft failed on {fasta} (exit {proc.returncode}): {tail[0]}")
        aligned = read_fasta(raw)
    check_alignment(records, aligned, str(fasta))
    width = len(aligned[0][2])
    gaps = sum(s.count("-") for _, _, s in aligned) / (width * len(aligned))
    log.info("%d sequences aligned to %d columns (%.1f%% gaps)", len(aligned), width, 100 * gaps)
    write_fasta(
        out_fasta, [(h, s.upper()) for (_, h, _), (_, _, s) in zip(records, aligned, strict=True)]
    )


def check_alignment(records, aligned, source: str) -> None:
    """Same ids in the same order, equal widths, each row ungapping to its sequence's length."""
    if [r[0] for r in records] != [a[0] for a in aligned]:
        raise NeuroseedError(
            f"{source}: the alignment's ids differ from the sequences' ids or order"
        )
    widths = {len(a[2]) for a in aligned}
    if len(widths) != 1:
        raise NeuroseedError(f"{source}: alignment rows have different widths {sorted(widths)[:5]}")
    for (rid, _, seq), (_, _, row) in zip(records, aligned, strict=True):
        if not _same_sequence(seq, row.replace("-", "").upper()):
            raise NeuroseedError(f"{source}: aligned row '{rid}' does not ungap to its sequence")


def _same_sequence(seq: str, ungapped: str) -> bool:
    """Equal, except that MAFFT may rewrite ambiguity codes (e.g. as N)."""
    if len(seq) != len(ungapped):
        return False
    a = np.frombuffer(seq.encode(), dtype=np.uint8)
    b = np.frombuffer(ungapped.encode(), dtype=np.uint8)
    definite = np.isin(a, np.frombuffer(b"ACGT", dtype=np.uint8))
    return bool((a[definite] == b[definite]).all())
