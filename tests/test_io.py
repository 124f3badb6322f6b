import os

import pytest

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, read_fasta, write_fasta, write_text


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
        ("@r1\nACGT\n+\nIII\n", r"FASTQ record 1 is not valid \(.*r1 \(4 and 3\)"),
        ("@r1\nACGT\nIIII\n", "FASTQ record 1 is not valid"),
        ("@r1\nACGT\n+\nIIII\nACGT\n+\nIIII\n", "FASTQ record 1 is not valid"),
        ("@r1\nACGT\n+\nIIII\n@r2\nAC\n+\nI\n", r"FASTQ record 2 is not valid \(.*r2 \(2 and 1\)"),
        ("@r1\nACGT\n+\nIIII\n@r1\nGG\n+\nII\n", "duplicate sequence id 'r1'"),
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


def test_read_fasta_takes_gzip(tmp_path):
    import gzip

    path = tmp_path / "in.fasta.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(">a x\nACGT\n>b\nGG\n")
    assert read_fasta(path) == [("a", "a x", "ACGT"), ("b", "b", "GG")]
    # by content, not by name
    plain_name = tmp_path / "in.fasta"
    plain_name.write_bytes(path.read_bytes())
    assert len(read_fasta(plain_name)) == 2


@pytest.mark.parametrize(
    "data, message",
    [
        (b">a\nAC\xff\xfeGT\n", r"not a text FASTA file \(byte 0xff is not UTF-8 text\)"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip file"),
    ],
)
def test_binary_or_damaged_gzip_input_is_named(tmp_path, data, message):
    path = tmp_path / "in.fasta"
    path.write_bytes(data)
    with pytest.raises(NeuroseedError, match=message) as err:
        read_fasta(path)
    assert str(err.value).startswith(str(path))


def test_atomic_files_get_the_umask_mode_not_0600(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
        os.umask(0o002)
        write_text(tmp_path / "b.txt", "x")
        assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_temporaries_of_a_killed_writer_are_removed(tmp_path):
    """kill -9 inside atomic_path leaves its hidden temporary; the next write removes it."""
    import signal
    import subprocess
    import sys

    code = (
        "import os, signal\n"
        "from neuroseed.io import atomic_path\n"
        f"with atomic_path({str(tmp_path / 'model.keras')!r}) as tmp:\n"
        "    tmp.write_bytes(b'x' * 1000)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code])
    assert proc.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".model.keras.tmp-"), left
    write_text(tmp_path / "model.keras", "new")
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_a_live_writers_temporary_is_kept(tmp_path):
    import os

    with atomic_path(tmp_path / "x.txt") as first:
        first.write_text("a")
        write_text(tmp_path / "x.txt", "b")  # same process: its own temporary survives
        assert first.exists()
    assert (tmp_path / "x.txt").read_text() == "a"
    assert os.listdir(tmp_path) == ["x.txt"]


FILE_TOO_LARGE = """
import resource
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
from neuroseed import NeuroseedError
from neuroseed.io import write_text
try:
    write_text({path!r}, "x" * 5000)
except NeuroseedError as exc:
    print(exc)
"""


def test_an_os_error_while_writing_names_the_file(tmp_path):
    """A file-size limit (as ``ulimit -f``; a full disk is the same OSError) names the file."""
    import subprocess
    import sys

    target = tmp_path / "out.txt"
    proc = subprocess.run(
        [sys.executable, "-c", FILE_TOO_LARGE.format(path=str(target))],
        capture_output=True,
        text=True,
    )
    assert proc.stdout.strip() == f"{target}: cannot write it (File too large); fix that and rerun"
    assert list(tmp_path.iterdir()) == []


def test_crlf_line_endings_read_like_lf(tmp_path):
    crlf, lf = tmp_path / "crlf.fasta", tmp_path / "lf.fasta"
    crlf.write_bytes(b">a x\r\nACGT\r\nAC\r\n>b\r\nGG\r\n")
    lf.write_bytes(b">a x\nACGT\nAC\n>b\nGG\n")
    assert read_fasta(crlf) == read_fasta(lf) == [("a", "a x", "ACGTAC"), ("b", "b", "GG")]


def test_classic_mac_cr_line_endings_read_like_lf(tmp_path):
    cr = tmp_path / "cr.fasta"
    cr.write_bytes(b">a x\rACGT\rAC\r>b\rGG\r")
    assert read_fasta(cr) == [("a", "a x", "ACGTAC"), ("b", "b", "GG")]


def test_a_pipe_is_read_in_one_pass(tmp_path):
    """A FIFO (what ``<(zcat x.fa.gz)`` gives) can be read once only: gzip or FASTQ are told
    apart without reading it twice."""
    import gzip
    import threading

    for content in [gzip.compress(b">a\nACGT\n>b\nGG\n"), b"@a\nACGT\n+\nIIII\n"]:
        fifo = tmp_path / "fifo"
        fifo.unlink(missing_ok=True)
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(content,))
        writer.start()
        records = read_fasta(fifo)
        writer.join()
        assert records[0] == ("a", "a", "ACGT")


def test_a_directory_is_named_as_one(tmp_path):
    with pytest.raises(NeuroseedError, match="is a directory; give a FASTA file"):
        read_fasta(tmp_path)


def test_a_full_or_read_only_disk_names_the_file(small_disk):
    import subprocess

    with pytest.raises(NeuroseedError) as err:
        write_text(small_disk / "big.txt", "x" * 400_000)  # 256 kB disk
    assert str(err.value) == (
        f"{small_disk / 'big.txt'}: cannot write it (No space left on device); fix that and rerun"
    )
    assert list(small_disk.iterdir()) == []
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(NeuroseedError, match="Read-only file system"):
        write_text(small_disk / "x.txt", "x")


def test_read_fasta_takes_fastq_plain_and_gzipped(tmp_path):
    import gzip

    text = "@r1 run=7\nACGT\n+\nIIII\n\n@r2\nGG\n+r2\n!!\n"
    (tmp_path / "reads.fastq").write_text(text)
    with gzip.open(tmp_path / "reads.fq.gz", "wt") as fh:
        fh.write(text)
    expect = [("r1", "r1 run=7", "ACGT"), ("r2", "r2", "GG")]
    assert read_fasta(tmp_path / "reads.fastq") == expect
    assert read_fasta(tmp_path / "reads.fq.gz") == expect
