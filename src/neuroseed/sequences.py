"""Sequence sources (embedded Greengenes 13_8, user FASTA) and alphabet/length validation."""

from __future__ import annotations

import hashlib
import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import read_fasta, write_fasta, write_json
from neuroseed.regions import cut
from neuroseed.sources import sequence_file

log = logging.getLogger(__name__)

NUCLEOTIDES = frozenset("ACGT")
AMBIGUITY_CODES = frozenset("NRYSWKMBDHV")
GAP_CHARACTERS = frozenset("-.")
POLICIES = ("keep", "replace_n", "drop", "error")


@dataclass
class Record:
    id: str
    header: str
    sequence: str


@dataclass
class CleaningReport:
    """Counts of what validation did, kept in the provenance record."""

    input: int = 0
    output: int = 0
    with_ambiguity_codes: int = 0
    ambiguity_replaced: int = 0
    dropped_ambiguous: int = 0
    dropped_short: int = 0
    dropped_long: int = 0
    ungapped: int = 0
    rna_converted: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)
    # every dropped id and why: a split file naming one is then told what removed it
    dropped: dict[str, str] = field(default_factory=dict)

    def note(self, what: str, rid: str) -> None:
        ex = self.examples.setdefault(what, [])
        if len(ex) < 5:
            ex.append(rid)


def sample_indices(total: int, n: int | None, seed: int) -> np.ndarray:
    """Indices of ``n`` of ``total`` records, the gg2000 recipe: a seeded choice, sorted."""
    if n is None or n == total:
        return np.arange(total)
    if n < 1 or n > total:
        raise NeuroseedError(f"source.n_sequences: {n} is outside 1..{total} (records available)")
    return np.sort(np.random.default_rng(seed).choice(total, n, replace=False))


def load_records(path: str | Path, n: int | None = None, seed: int = 0) -> list[Record]:
    """Read a FASTA file and keep ``n`` records chosen with ``seed`` (all when ``n`` is None)."""
    raw = read_fasta(path)
    idx = sample_indices(len(raw), n, seed)
    return [Record(*raw[i]) for i in idx]


def clean_records(
    records: list[Record],
    policy: str,
    min_length: int,
    source: str = "input",
    max_length: int | None = None,
) -> tuple[list[Record], CleaningReport]:
    """Upper-case, turn U into T, remove alignment gaps, apply the ambiguity-code policy and the
    length bounds. Characters that are neither nucleotides nor IUPAC codes are always an error.

    ``policy``: ``keep`` (codes stay; they count in edit distances and encode as all-zero rows),
    ``replace_n`` (every code becomes N), ``drop`` (the record is dropped) or ``error``.
    """
    if policy not in POLICIES:
        raise NeuroseedError(f"sequences.ambiguous: unknown policy '{policy}' (use {POLICIES})")
    report = CleaningReport(input=len(records))
    out: list[Record] = []
    for rec in records:
        seq = rec.sequence.upper()
        if "U" in seq:
            seq = seq.replace("U", "T")
            report.rna_converted += 1
        if GAP_CHARACTERS.intersection(seq):
            seq = seq.replace("-", "").replace(".", "")
            report.ungapped += 1
            report.note("ungapped", rec.id)
        chars = set(seq)
        invalid = chars - NUCLEOTIDES - AMBIGUITY_CODES
        if invalid:
            bad = sorted(invalid)[0]
            raise NeuroseedError(
                f"{source}: record '{rec.id}' has invalid character {bad!r} at position "
                f"{seq.index(bad) + 1} (allowed: ACGT, U, gaps and IUPAC codes NRYSWKMBDHV)"
            )
        if chars & AMBIGUITY_CODES:
            report.with_ambiguity_codes += 1
            report.note("ambiguous", rec.id)
            if policy == "error":
                bad = sorted(chars & AMBIGUITY_CODES)[0]
                raise NeuroseedError(
                    f"{source}: record '{rec.id}' has ambiguity code {bad!r} at position "
                    f"{seq.index(bad) + 1} and sequences.ambiguous is 'error'"
                )
            if policy == "drop":
                report.dropped_ambiguous += 1
                report.dropped[rec.id] = "has ambiguity codes and sequences.ambiguous is 'drop'"
                continue
            if policy == "replace_n":
                seq = "".join(c if c in NUCLEOTIDES else "N" for c in seq)
                report.ambiguity_replaced += 1
        if len(seq) < min_length:
            report.dropped_short += 1
            report.note("short", rec.id)
            report.dropped[rec.id] = (
                f"{len(seq)} nt, shorter than sequences.min_length {min_length}"
            )
            continue
        if max_length is not None and len(seq) > max_length:
            report.dropped_long += 1
            report.note("long", rec.id)
            report.dropped[rec.id] = f"{len(seq)} nt, longer than sequences.max_length {max_length}"
            continue
        out.append(Record(rec.id, rec.header, seq))
    report.output = len(out)
    if not out:
        raise NeuroseedError(
            f"{source}: no sequence left after validation ({report.dropped_short} shorter than "
            f"{min_length}, {report.dropped_long} longer than {max_length}, "
            f"{report.dropped_ambiguous} dropped for ambiguity codes)"
        )
    return out, report


# The padded length L is the longest sequence: one far longer than the rest (a genome among
# genes) would multiply every model's input, memory and time, and change the %RMSE scale.
OUTLIER_RATIO = 3.0
# Two sequences each for train, validation and test.
MIN_SEQUENCES = 6


def check_dataset(records: list[Record], source: str, max_length: int | None) -> None:
    """A dataset worth splitting and training on: enough sequences, not all identical, and
    (unless ``sequences.max_length`` is set) no length outlier that would set L alone."""
    if len(records) < MIN_SEQUENCES:
        raise NeuroseedError(
            f"{source}: only {len(records)} sequences left after validation; a train/validation/"
            f"test split needs at least {MIN_SEQUENCES}"
        )
    if len({r.sequence for r in records}) < 2:
        raise NeuroseedError(
            f"{source}: all {len(records)} sequences are identical: every edit distance is 0 "
            "and there is nothing to learn"
        )
    if max_length is None:
        lengths = [len(r.sequence) for r in records]
        median = statistics.median(lengths)
        longest = max(records, key=lambda r: len(r.sequence))
        if len(longest.sequence) > OUTLIER_RATIO * median:
            raise NeuroseedError(
                f"{source}: record '{longest.id}' is {len(longest.sequence)} nt, "
                f"{len(longest.sequence) / median:.0f}x the median {median:g} nt, and would set "
                "the padded length L of every sequence; drop such records with "
                f"sequences.max_length (e.g. {int(OUTLIER_RATIO * median)}) or keep them with "
                f"sequences.max_length: {len(longest.sequence)}"
            )


def length_summary(records: list[Record]) -> dict[str, float]:
    lengths = [len(r.sequence) for r in records]
    return {
        "min": min(lengths),
        "median": statistics.median(lengths),
        "max": max(lengths),
        "mean": round(statistics.fmean(lengths), 2),
    }


def composition(records: list[Record]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for r in records:
        counts.update(r.sequence)
    return dict(sorted(counts.items()))


def fasta_md5(records: list[Record]) -> str:
    """md5 of the records written as ``>HEADER\\nSEQUENCE\\n``, as in ``sequences.fasta``."""
    h = hashlib.md5()
    for r in records:
        h.update(f">{r.header}\n{r.sequence}\n".encode())
    return h.hexdigest()


def prepare(
    source: dict,
    options: dict,
    fasta_out: str | Path,
    provenance_out: str | Path,
    fetched: str | Path | None = None,
) -> None:
    """The ``sequences`` stage: draw records from the configured source, validate, write FASTA
    and a provenance record (source, counts at each filter, lengths, seed, md5)."""
    path, origin, label = sequence_file(source, fetched)
    raw, region = cut(read_fasta(path), source["region"])
    idx = sample_indices(len(raw), source["n_sequences"], source["seed"])
    records = [Record(*raw[i]) for i in idx]
    max_length = options["max_length"]
    records, report = clean_records(
        records,
        options["ambiguous"],
        options["min_length"],
        str(path),
        max_length,
    )
    check_dataset(records, str(path), max_length)
    log.info(
        "%s: %d records, %d drawn (seed %s), %d kept; %d with ambiguity codes (policy %s), "
        "%d shorter than %d and %d longer than %s dropped",
        path,
        len(raw),
        len(idx),
        source["seed"],
        report.output,
        report.with_ambiguity_codes,
        options["ambiguous"],
        report.dropped_short,
        options["min_length"],
        report.dropped_long,
        max_length,
    )
    write_fasta(fasta_out, [(r.header, r.sequence) for r in records])
    write_json(
        provenance_out,
        {
            "source": label,
            "origin": origin,
            "path": str(path),
            "region": region,
            "records_in_source": len(raw),
            "drawn": len(idx),
            "seed": source["seed"],
            "policy": {
                "ambiguous": options["ambiguous"],
                "min_length": options["min_length"],
                "max_length": max_length,
            },
            "cleaning": report.__dict__,
            "sequences": len(records),
            "lengths": length_summary(records),
            "composition": composition(records),
            "md5": fasta_md5(records),
        },
    )
