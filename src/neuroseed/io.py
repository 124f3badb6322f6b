"""File input/output: FASTA, JSON and atomic writes; no half-written file survives a crash."""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from neuroseed import NeuroseedError, paths

# Which rule writes which artifact (by file name), for the message that says how to rebuild it.
RULES = {
    paths.DISTANCES: "compute_edit_distance or merge_edit_distance",
    paths.ENCODED: "encode_sequences",
    paths.SEQUENCES: "prepare_sequences",
    paths.PROVENANCE: "prepare_sequences",
    paths.METRICS: "train_model",
}


def damaged(path: str | os.PathLike, what: str) -> NeuroseedError:
    path = Path(path)
    by_folder = {paths.folder("split"): "split_sequences", paths.folder("pool"): "prepare_pool"}
    rule = RULES.get(path.name) or by_folder.get(path.parent.name)
    fix = f" (rule {rule} rebuilds it)" if rule else ""
    return NeuroseedError(f"{path}: damaged ({what}); delete it and run snakemake again{fix}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_stale_temporaries(path: Path) -> None:
    """Temporary files of ``path`` left by a writer killed with SIGKILL (no ``finally`` ran)."""
    for old in path.parent.glob(f".{path.name}.tmp-*"):
        pid = old.name[len(path.name) + 6 :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            old.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The file gets the mode a plain ``open`` would give (umask applied, not mkstemp's 0600), and
    an OS error while writing (disk full, file too large) names ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.tmp-{os.getpid()}-",
            suffix=suffix or "".join(path.suffixes),
            dir=path.parent,
        )
        os.close(fd)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except OSError as exc:
        if exc.filename not in (None, str(tmp_path), str(path)):
            raise  # about another file, which it names
        raise _cannot_write(path, exc) from exc
    finally:
        tmp_path.unlink(missing_ok=True)


def _cannot_write(path: Path, exc: OSError) -> NeuroseedError:
    reason = exc.strerror or str(exc)
    return NeuroseedError(f"{path}: cannot write it ({reason}); fix that and rerun")


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def write_yaml(path: str | os.PathLike, obj: Any) -> None:
    import yaml

    write_text(path, yaml.safe_dump(obj, sort_keys=False))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return obj.tolist()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's content (read in blocks)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def loads_json(text: str | bytes, **options: Any) -> Any:
    """``json.loads``, with a value nested too deeply for Python's parser a ``ValueError`` (as
    for any other malformed JSON) instead of a ``RecursionError``."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        raise ValueError("nested too deeply to read (a damaged or crafted file)") from None


def read_json(path: str | os.PathLike) -> Any:
    """A JSON artifact; a damaged one is named (with the rule that rebuilds it)."""
    try:
        with open(path, "rb") as fh:
            return loads_json(fh.read())
    except ValueError as exc:  # malformed, too deep, or bytes that are not UTF-8
        raise damaged(path, f"not valid JSON: {exc}") from None


# numpy is imported where used: the Snakefile imports this module (through artifacts) where
# only Snakemake's own packages may be installed.
def save_npy(path: str | os.PathLike, array) -> None:
    import numpy as np

    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, array)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    import numpy as np

    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


STDIN = "-"  # the file name that means standard input (one input per command at most)


def read_fasta(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """Read ``(id, description, sequence)`` records, from plain or gzipped FASTA or FASTQ (told
    apart by the first character: '>' or '@'; FASTQ qualities are checked and dropped) with
    Biopython's parsers; ids are the first word of the header. ``-`` is standard input; pipes
    (``<(zcat x.fa.gz)``) are read too, in one pass.

    Raises :class:`NeuroseedError` for a missing or empty file, a file that is neither,
    records without an id or a sequence, bad FASTQ and duplicate ids.
    """
    path = Path(path)
    if str(path) != STDIN and not path.exists():
        raise NeuroseedError(f"{path}: FASTA file not found")
    if path.is_dir():
        raise NeuroseedError(f"{path}: is a directory; give a FASTA file")
    try:
        with open_text(path) as fh:
            lineno, line = next(((n, x) for n, x in enumerate(fh, 1) if x.strip()), (0, ""))
            if not line:  # the first line with text tells the format
                raise NeuroseedError(f"{path}: FASTA file is empty")
            line = line.lstrip()
            if line[0] not in ">@":
                raise NeuroseedError(f"{path}:{lineno}: not FASTA (sequence before the first '>')")
            parse = _fastq_records if line[0] == "@" else _fasta_records
            return _unique(path, parse(path, _Rest(line, fh)))
    except UnicodeDecodeError as exc:
        raise NeuroseedError(
            f"{path}: not a text FASTA file (byte 0x{exc.object[exc.start]:02x} is not "
            "UTF-8 text); give plain or gzipped FASTA or FASTQ"
        ) from None
    except (gzip.BadGzipFile, EOFError) as exc:
        raise NeuroseedError(f"{path}: damaged gzip file ({exc})") from None


@contextlib.contextmanager
def open_text(path: str | os.PathLike) -> Iterator[Any]:
    """Open a text file (``-``: standard input) for reading in one pass, so that a pipe works
    too, gunzipping it when it starts with the gzip magic bytes; UTF-8 with or without the
    byte-order mark desktop tools write; LF, CRLF or CR line ends."""
    stdin = str(path) == STDIN
    with open(sys.stdin.fileno() if stdin else path, "rb", closefd=not stdin) as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.open(raw, "rt", encoding="utf-8-sig") as fh:
                yield fh
        else:
            fh = io.TextIOWrapper(raw, encoding="utf-8-sig")
            try:
                yield fh
            finally:
                fh.detach()  # raw is closed by its own with


class _Rest:
    """The rest of a text file from a line already read: the handle Biopython's parsers take
    (they read it line by line; ``read(0)`` is their check for text mode)."""

    def __init__(self, line: str, fh: Any):
        self.lines = itertools.chain([line], fh)

    def read(self, size: int = -1) -> str:
        return "" if size == 0 else "".join(self.lines)

    def readline(self) -> str:
        return next(self.lines, "")

    def __iter__(self) -> Iterator[str]:
        return self.lines


def _fasta_records(path: Path, lines: Iterable[str]) -> list[tuple[str, str, str]]:
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    return _records(path, "FASTA", SimpleFastaParser(lines))


def _fastq_records(path: Path, lines: Iterable[str]) -> list[tuple[str, str, str]]:
    from Bio.SeqIO.QualityIO import FastqGeneralIterator

    records: list[tuple[str, str, str]] = []
    try:
        pairs = ((header, sequence) for header, sequence, _ in FastqGeneralIterator(lines))
        return _records(path, "FASTQ", pairs, records)
    except NeuroseedError:
        raise
    except ValueError as exc:  # Biopython's word on a malformed record, kept to one line
        said = " ".join(str(exc).split())
        raise NeuroseedError(
            f"{path}: FASTQ record {len(records) + 1} is not valid ({said})"
        ) from None


def _records(
    path: Path, kind: str, pairs: Iterable[tuple[str, str]], records: list | None = None
) -> list[tuple[str, str, str]]:
    """``(id, header, sequence)`` of a parser's ``(header, sequence)`` pairs, appended to
    ``records`` as they come; a header without an id or a record without a sequence is
    refused."""
    records = [] if records is None else records
    for number, (header, sequence) in enumerate(pairs, 1):
        header = header.strip()
        if not header:
            raise NeuroseedError(f"{path}: record {number}: {kind} header without an id")
        rid = header.split()[0]
        if not sequence:
            raise NeuroseedError(f"{path}: record '{rid}' has no sequence")
        records.append((rid, header, sequence))
    return records


def _unique(path: Path, records: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``records``, unless there are none or an id repeats."""
    if not records:
        raise NeuroseedError(f"{path}: FASTA file is empty")
    seen: set[str] = set()
    for rid, _, _ in records:
        if rid in seen:
            raise NeuroseedError(f"{path}: duplicate sequence id '{rid}'")
        seen.add(rid)
    return records


def write_fasta(path: str | os.PathLike, records: Iterable[tuple[str, str]]) -> None:
    """Write ``(header, sequence)`` pairs, one sequence line per record."""
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        for header, seq in records:
            fh.write(f">{header}\n{seq}\n")
