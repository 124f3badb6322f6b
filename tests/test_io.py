import pytest

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, read_fasta, write_fasta


def test_read_fasta_multiline_and_ids(fasta):
    path = fasta([("a desc here", "ACGT\nACGT"), ("b", "GG")])
    assert read_fasta(path) == [("a", "a desc here", "ACGTACGT"), ("b", "b", "GG")]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("ACGT\n>a\nACGT\n", "not FASTA"),
        (">a\nACGT\n>a\nAC\n", "duplicate sequence id 'a'"),
        (">a\n>b\nACGT\n", "record 'a' has no sequence"),
        (">\nACGT\n", "header without an id"),
    ],
)
def test_read_fasta_rejects_bad_input(tmp_path, text, message):
    path = tmp_path / "bad.fasta"
    path.write_text(text)
    with pytest.raises(NeuroseedError, match=message) as err:
        read_fasta(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_read_fasta_missing_file(tmp_path):
    with pytest.raises(NeuroseedError, match="not found"):
        read_fasta(tmp_path / "nope.fasta")


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out" / "x.txt"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_write_fasta_roundtrip(tmp_path):
    path = tmp_path / "x.fasta"
    write_fasta(path, [("a x", "AC"), ("b", "GT")])
    assert path.read_text() == ">a x\nAC\n>b\nGT\n"
