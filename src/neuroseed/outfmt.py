"""The search's answer as a table: ours (with a header), BLAST tabular, or chosen fields.

- ``tsv``: query, rank, reference, exact_ed, estimated_ed, verified, certified (with
  ``--approx``: query, rank, reference, estimated_ed).
- ``blast6``: BLAST's ``-outfmt 6`` twelve columns, no header, as VSEARCH writes them for its
  ``--blast6out``: qseqid, sseqid, pident, length, mismatch, gapopen, qstart, qend, sstart,
  send, evalue (always -1) and bitscore (always 0), the alignment being global.
- ``--userfields``: the fields named, joined by ``+``, no header, as VSEARCH's ``--userout``.

The alignment columns come from one optimal Levenshtein alignment of the whole sequences
(rapidfuzz's edit operations; where several alignments cost the same, it may place gaps where an
aligner that scores gap openings would not, so ``gapopen`` can differ from one). Terminal gaps
count, as they do in the edit distance, so ``pident`` = 100 · (length − ED) / length is
VSEARCH's ``--iddef 1`` (and BLAST's definition) and ``mismatch`` + gap columns = ED.
VSEARCH's ``--blast6out`` leaves terminal gaps out of ``length`` and ``gapopen``; here they are
in both. They need the exact search (not ``--approx``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from neuroseed import NeuroseedError

FORMATS = ("tsv", "blast6")


@dataclass(frozen=True)
class Alignment:
    """A global alignment's columns: ``length`` in all, ``ids`` identical, ``mism``
    substituted, ``gaps`` with a gap (terminal ones too), ``opens`` runs of gaps."""

    length: int
    ids: int
    mism: int
    gaps: int
    opens: int

    @property
    def pident(self) -> float:
        return 100.0 * self.ids / self.length if self.length else 100.0


def align(query: str, target: str) -> Alignment:
    """One optimal Levenshtein (unit cost) alignment of ``query`` and ``target``, counted."""
    from rapidfuzz.distance import Levenshtein

    ops = Levenshtein.editops(query, target)
    mism = inserts = deletes = opens = 0
    last = None  # the previous gap's (kind, query position, target position)
    for op in ops:
        if op.tag == "replace":
            mism += 1
            continue
        if op.tag == "insert":  # a target base against a gap in the query
            inserts += 1
            follows = last is not None and last == ("insert", op.src_pos, op.dest_pos - 1)
        else:  # "delete": a query base against a gap in the target
            deletes += 1
            follows = last is not None and last == ("delete", op.src_pos - 1, op.dest_pos)
        opens += not follows
        last = (op.tag, op.src_pos, op.dest_pos)
    length = len(query) + inserts
    return Alignment(length, length - mism - inserts - deletes, mism, inserts + deletes, opens)


@dataclass(frozen=True)
class Hit:
    """One listed reference of one query."""

    query: str
    target: str
    rank: int
    qseq: str
    tseq: str
    est_ed: float
    ed: int | None = None  # None: --approx, nothing verified
    verified: int | None = None
    certified: bool | None = None


def _yes(flag: bool | None) -> str:
    return "yes" if flag else "no"


class Field(NamedTuple):
    """One column: what it is, what it needs (``None``; ``"exact"``: the exact search;
    ``"alignment"``: an alignment too), and its text for a hit and its alignment."""

    what: str
    needs: str | None
    text: Callable[[Hit, Alignment | None], str]


FIELDS: dict[str, Field] = {
    "query": Field("query id", None, lambda h, a: h.query),
    "target": Field("reference id", None, lambda h, a: h.target),
    "rank": Field(
        "rank by exact (or estimated) edit distance; ties share it", None, lambda h, a: str(h.rank)
    ),
    "ed": Field("exact edit distance", "exact", lambda h, a: str(h.ed)),
    "est_ed": Field(
        "estimated edit distance (embedding distance × L)", None, lambda h, a: f"{h.est_ed:.1f}"
    ),
    "id": Field(
        "identity %: 100 · (alnlen − ed) / alnlen (VSEARCH --iddef 1)",
        "alignment",
        lambda h, a: f"{a.pident:.1f}",
    ),
    "ql": Field("query length", None, lambda h, a: str(len(h.qseq))),
    "tl": Field("reference length", None, lambda h, a: str(len(h.tseq))),
    "alnlen": Field(
        "alignment columns, terminal gaps included", "alignment", lambda h, a: str(a.length)
    ),
    "ids": Field("identical columns", "alignment", lambda h, a: str(a.ids)),
    "mism": Field("substituted columns", "alignment", lambda h, a: str(a.mism)),
    "gaps": Field(
        "columns with a gap, terminal ones included", "alignment", lambda h, a: str(a.gaps)
    ),
    "opens": Field("runs of gaps", "alignment", lambda h, a: str(a.opens)),
    "verified": Field("references verified for this query", "exact", lambda h, a: str(h.verified)),
    "certified": Field(
        "yes: no unverified reference can be nearer", "exact", lambda h, a: _yes(h.certified)
    ),
}
TSV = ("query", "rank", "target", "ed", "est_ed", "verified", "certified")
TSV_APPROX = ("query", "rank", "target", "est_ed")
TSV_HEADER = {"target": "reference", "ed": "exact_ed", "est_ed": "estimated_ed"}


def userfields(text: str, exact: bool) -> tuple[str, ...]:
    """The fields of ``--userfields a+b+c``, checked against what this search computes."""
    names = tuple(text.split("+"))
    if unknown := [n for n in names if n not in FIELDS]:
        raise NeuroseedError(
            f"--userfields: unknown field {', '.join(map(repr, unknown))} (fields: "
            f"{'+'.join(FIELDS)})"
        )
    if not exact and (need := [n for n in names if FIELDS[n].needs]):
        raise NeuroseedError(f"--userfields {'+'.join(need)}: need the exact search; drop --approx")
    return names


def check_format(outfmt: str, exact: bool) -> None:
    if outfmt == "blast6" and not exact:
        raise NeuroseedError(
            "--outfmt blast6 reports alignments, which --approx does not make; drop --approx "
            "or use --outfmt tsv"
        )


def lines(hits: list[Hit], outfmt: str, fields: tuple[str, ...] | None = None) -> Iterator[str]:
    """The table's lines (no newline): ``fields`` (from :func:`userfields`) or ``outfmt``."""
    exact = all(h.ed is not None for h in hits)
    if fields is None and outfmt == "tsv":
        fields = TSV if exact else TSV_APPROX
        yield "\t".join(TSV_HEADER.get(f, f) for f in fields)
    # blast6, or a field that needs one (the exact distances come from the search itself)
    needs_alignment = fields is None or any(FIELDS[f].needs == "alignment" for f in fields)
    for hit in hits:
        a = align(hit.qseq, hit.tseq) if needs_alignment else None
        if a is not None and a.gaps + a.mism != hit.ed:  # the alignment must be the search's ED
            raise AssertionError(f"{hit.query} vs {hit.target}: alignment {a} for ED {hit.ed}")
        if fields is None:  # blast6
            yield (
                f"{hit.query}\t{hit.target}\t{a.pident:.1f}\t{a.length}\t{a.mism}\t{a.opens}"
                f"\t1\t{len(hit.qseq)}\t1\t{len(hit.tseq)}\t-1\t0"
            )
        else:
            yield "\t".join(FIELDS[f].text(hit, a) for f in fields)
