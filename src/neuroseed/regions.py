"""In-silico amplicons: a 16S region cut out of full-length sequences with its PCR primers.

``source.region: v4`` turns Greengenes (or any full-length 16S FASTA) into short reads like the
paper's Qiita set (152-nt V4 reads): the forward primer 515F and the reverse primer 806R (EMP,
Caporaso et al. 2011) must both match, with IUPAC degenerate bases in the primers matching every
base they stand for; the read is the ``read_length`` bases that follow the forward primer, as an
Illumina forward read of an EMP library starts there. Identical reads are kept once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IUPAC = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
}
COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")


def reverse_complement(seq: str) -> str:
    return seq.translate(COMPLEMENT)[::-1]


def primer_pattern(primer: str) -> re.Pattern:
    """A regex matching ``primer`` with each degenerate base as the class of its bases."""
    return re.compile("".join(f"[{IUPAC[b]}]" for b in primer.upper()))


@dataclass(frozen=True)
class Region:
    forward: str  # 5'->3' on the sequence's strand
    reverse: str  # 5'->3' on the opposite strand (as ordered)
    read_length: int


# The one place the built-in regions are defined; the schema's source.region lists their names.
REGIONS = {
    "v4": Region(forward="GTGCCAGCMGCCGCGGTAA", reverse="GGACTACHVGGGTWTCTAAT", read_length=152),
}


def amplicon_read(seq: str, region: Region) -> str | None:
    """The read of ``seq`` (first match of each primer, reverse primer after the forward one),
    or None when a primer does not match or the amplicon is shorter than the read."""
    seq = seq.upper().replace("U", "T")
    fwd = primer_pattern(region.forward).search(seq)
    if fwd is None:
        return None
    rev = primer_pattern(reverse_complement(region.reverse)).search(seq, fwd.end())
    if rev is None or rev.start() - fwd.end() < region.read_length:
        return None
    return seq[fwd.end() : fwd.end() + region.read_length]


def cut(records: list[tuple[str, str, str]], name: str) -> tuple[list[tuple[str, str, str]], dict]:
    """Records ``(id, header, sequence)`` -> their reads of region ``name`` (``full``: as they
    are), identical reads once (the first in file order); with counts for the provenance."""
    if name == "full":
        return records, {"region": "full"}
    region = REGIONS[name]
    out, seen, no_amplicon = [], set(), 0
    for rid, header, seq in records:
        read = amplicon_read(seq, region)
        if read is None:
            no_amplicon += 1
        elif read not in seen:
            seen.add(read)
            out.append((rid, header, read))
    counts = {
        "region": name,
        "primers": {"forward": region.forward, "reverse": region.reverse},
        "read_length": region.read_length,
        "records": len(records),
        "without_amplicon": no_amplicon,
        "duplicate_reads": len(records) - no_amplicon - len(out),
        "reads": len(out),
    }
    return out, counts
