import os
import shutil

import pytest

from neuroseed import NeuroseedError
from neuroseed.alignment import align, check_alignment
from neuroseed.io import read_fasta

needs_mafft = pytest.mark.skipif(
    shutil.which("mafft") is None and not os.environ.get("CI"),
    reason="mafft not installed (CI installs it and must run these)",
)


@needs_mafft
def test_mafft_alignment_keeps_ids_order_and_sequences(fasta, tmp_path):
    recs = [("s1 first", "ACGTACGTTGCA"), ("s2", "ACGTCGTTGCA"), ("s3", "ACGTACGTAATTGCA")]
    out = tmp_path / "aln.fasta"
    align(fasta(recs), out, threads=1, options="--auto")
    rows = read_fasta(out)
    assert [r[0] for r in rows] == ["s1", "s2", "s3"] and rows[0][1] == "s1 first"
    assert len({len(r[2]) for r in rows}) == 1
    assert [r[2].replace("-", "") for r in rows] == [s for _, s in recs]
    assert "-" in rows[1][2]


def test_missing_mafft_says_how_to_install(fasta, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        NeuroseedError, match="mafft is not on PATH: install it with 'apt-get install mafft'"
    ):
        align(fasta([("a", "ACGT"), ("b", "ACGA")]), tmp_path / "o.fasta", 1, "--auto")
    assert not (tmp_path / "o.fasta").exists()


def test_check_alignment_rejects_rows_that_do_not_ungap():
    recs = [("a", "a", "ACGT"), ("b", "b", "ACG")]
    with pytest.raises(NeuroseedError, match="'b' does not ungap"):
        check_alignment(recs, [("a", "a", "ACGT"), ("b", "b", "AC-T")], "x")
    with pytest.raises(NeuroseedError, match="different widths"):
        check_alignment(recs, [("a", "a", "ACGT"), ("b", "b", "ACG")], "x")
