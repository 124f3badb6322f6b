"""The search's tables: BLAST tabular and --userfields columns from one optimal alignment."""

import numpy as np
import pytest

from neuroseed import NeuroseedError, outfmt
from neuroseed.edit_distance import levenshtein_reference


@pytest.mark.parametrize(
    "query, target, expected",
    [
        ("ACGTACGT", "ACGTACGT", (8, 8, 0, 0, 0)),
        ("AAAACCCC", "AAAAGGCCCC", (10, 8, 0, 2, 1)),  # one run of two gaps
        ("AAAACCCC", "AAAACCCCGG", (10, 8, 0, 2, 1)),  # a terminal run counts
        ("AGAAACCCC", "AAAAGGCCC", (9, 6, 3, 0, 0)),
        ("AATTCCCCGGTTAA", "AACCCCGGAA", (14, 10, 0, 4, 2)),  # two runs of two
        ("", "ACG", (3, 0, 0, 3, 1)),
    ],
)
def test_alignment_columns(query, target, expected):
    a = outfmt.align(query, target)
    assert (a.length, a.ids, a.mism, a.gaps, a.opens) == expected


def test_alignments_agree_with_the_edit_distance_on_random_pairs():
    rng = np.random.default_rng(0)
    for _ in range(300):
        q = "".join(rng.choice(list("ACGT"), rng.integers(0, 40)))
        t = list(q)
        for _ in range(rng.integers(0, 12)):
            at = rng.integers(0, len(t) + 1)
            kind = rng.integers(0, 3)
            if kind == 0 or not t:
                t.insert(at, rng.choice(list("ACGT")))
            elif kind == 1:
                del t[min(at, len(t) - 1)]
            else:
                t[min(at, len(t) - 1)] = rng.choice(list("ACGT"))
        t = "".join(t)
        a = outfmt.align(q, t)
        ed = levenshtein_reference(q, t)
        assert a.mism + a.gaps == ed
        assert a.length == a.ids + a.mism + a.gaps >= max(len(q), len(t))
        assert a.opens <= a.gaps and (a.opens > 0) == (a.gaps > 0)
        assert a.pident == pytest.approx(100 * (a.length - ed) / a.length if a.length else 100)


def _hits():
    return [
        outfmt.Hit("q1", "r1", 1, "AAAACCCC", "AAAAGGCCCC", 1.6, 2, 5, True),
        outfmt.Hit("q1", "r2", 2, "AAAACCCC", "AAAACCCA", 2.9, 1, 5, True),
    ]


def test_blast6_rows_have_vsearchs_twelve_columns():
    rows = [line.split("\t") for line in outfmt.lines(_hits(), "blast6")]
    assert rows == [
        ["q1", "r1", "80.0", "10", "0", "1", "1", "8", "1", "10", "-1", "0"],
        ["q1", "r2", "87.5", "8", "1", "0", "1", "8", "1", "8", "-1", "0"],
    ]


def test_the_default_table_and_userfields():
    default = list(outfmt.lines(_hits(), "tsv"))
    assert default[0] == "query\trank\treference\texact_ed\testimated_ed\tverified\tcertified"
    assert default[1] == "q1\t1\tr1\t2\t1.6\t5\tyes"
    fields = outfmt.userfields("query+target+id+ed+est_ed+ql+tl+opens", exact=True)
    assert list(outfmt.lines(_hits(), "tsv", fields)) == [
        "q1\tr1\t80.0\t2\t1.6\t8\t10\t1",
        "q1\tr2\t87.5\t1\t2.9\t8\t8\t0",
    ]


def test_what_the_approximate_search_cannot_give_is_one_line():
    with pytest.raises(NeuroseedError, match="unknown field 'pid'"):
        outfmt.userfields("query+pid", exact=True)
    with pytest.raises(NeuroseedError, match=r"--userfields ed\+id: need the exact search"):
        outfmt.userfields("query+ed+est_ed+id", exact=False)
    assert outfmt.userfields("query+target+est_ed+ql", exact=False)
    with pytest.raises(NeuroseedError, match="--outfmt blast6 reports alignments"):
        outfmt.check_format("blast6", exact=False)
