"""Exact Levenshtein distance matrices (rapidfuzz, multithreaded) and a reference DP."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neuroseed import NeuroseedError
from neuroseed.io import atomic_path, read_fasta
from neuroseed.tiles import row_bounds, tile_jobs

log = logging.getLogger(__name__)


def distance_dtype(max_distance: int) -> np.dtype:
    """Smallest unsigned integer dtype that holds ``max_distance``."""
    for dt in (np.uint8, np.uint16, np.uint32):
        if max_distance <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.uint64)


def score_hint(sequences: Sequence[str], sample: int = 200, seed: int = 0) -> int:
    """A typical pair distance from a small random sample; rapidfuzz uses it to pick a band."""
    from rapidfuzz.distance import Levenshtein

    n = len(sequences)
    if n < 2:
        return 1
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=sample)
    j = rng.integers(0, n, size=sample)
    d = [Levenshtein.distance(sequences[a], sequences[b]) for a, b in zip(i, j, strict=True)]
    return max(1, int(np.quantile(d, 0.9)))


def unique_sequences(sequences: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Distinct sequences in order of first appearance, and each input's index among them."""
    first: dict[str, int] = {}
    inverse = np.fromiter((first.setdefault(s, len(first)) for s in sequences), dtype=np.int64)
    return list(first), inverse


def _digest(sequences: Sequence[str]) -> str:
    """SHA-256 of the input sequences: what ties a partial matrix or a tile file to them."""
    import hashlib

    return hashlib.sha256("\n".join(sequences).encode()).hexdigest()


def block_pairs(n: int, block_size: int) -> list[tuple[int, int]]:
    """Upper-triangle block coordinates ``(bi, bj)``, ``bi <= bj``, over ``n`` rows."""
    nb = max(1, -(-n // block_size))
    return [(bi, bj) for bi in range(nb) for bj in range(bi, nb)]


class _Expansion:
    """Maps rows of the unique-sequence matrix back to every input row that shares them."""

    def __init__(self, inverse: np.ndarray, n_unique: int):
        order = np.argsort(inverse, kind="stable")
        counts = np.bincount(inverse, minlength=n_unique)
        self.starts = np.concatenate([[0], np.cumsum(counts)])
        self.order = order
        self.identity = len(inverse) == n_unique and bool((inverse == np.arange(n_unique)).all())

    def rows(self, u0: int, u1: int) -> tuple[np.ndarray | slice, np.ndarray | slice]:
        """Input rows of unique rows ``u0:u1``, and for each the row of the block it copies."""
        if self.identity:
            return slice(u0, u1), slice(None)
        s0, s1 = self.starts[u0], self.starts[u1]
        orig = self.order[s0:s1]
        local = np.repeat(np.arange(u1 - u0), np.diff(self.starts[u0 : u1 + 1]))
        return orig, local


def _place(
    out, exp: _Expansion, block: np.ndarray, u_rows: tuple[int, int], u_cols: tuple[int, int]
):
    rows, rmap = exp.rows(*u_rows)
    cols, cmap = exp.rows(*u_cols)
    if exp.identity:
        out[rows, cols] = block
        out[cols, rows] = block.T
        return
    expanded = block[np.ix_(rmap, cmap)]
    out[np.ix_(rows, cols)] = expanded
    out[np.ix_(cols, rows)] = expanded.T


def _cdist_blocks(
    rows: list[str], cols: list[str] | None, coords, hint: int, dtype, workers: int, block_size: int
):
    """``(bi, bj, block)`` for the ``block_size`` blocks ``coords`` of ``rows`` x ``cols``
    (``cols`` None: ``rows`` x ``rows``, whose diagonal blocks hold both triangles)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    row_chunks = [rows[i : i + block_size] for i in range(0, len(rows), block_size)]
    col_chunks = (
        row_chunks
        if cols is None
        else [cols[i : i + block_size] for i in range(0, len(cols), block_size)]
    )
    for bi, bj in coords:
        a = row_chunks[bi]
        # The same list object on both sides makes rapidfuzz compute one triangle only.
        b = a if cols is None and bi == bj else col_chunks[bj]
        block = cdist(a, b, scorer=Levenshtein.distance, dtype=dtype, workers=workers,
                      score_hint=hint)  # fmt: skip
        yield bi, bj, block


def _pairs(block: np.ndarray, diagonal: bool) -> int:
    n, m = block.shape
    return n * (n - 1) // 2 if diagonal else n * m


def fill_matrix(
    out,
    sequences: Sequence[str],
    workers: int = 1,
    block_size: int = 512,
    done: set[tuple[int, int]] | None = None,
    on_block=None,
    hint: int | None = None,
) -> None:
    """Fill ``out`` (n x n, an array or a memory map) with exact Levenshtein distances.

    Identical sequences are computed once; each unordered pair of distinct sequences once, block
    by block (a diagonal block computes one triangle); blocks in ``done`` are skipped; after each
    block ``on_block(bi, bj, pairs)`` is called (where a caller records progress). ``hint`` is
    the band hint (default: :func:`score_hint` of these sequences).
    """
    uniq, inverse = unique_sequences(sequences)
    exp = _Expansion(inverse, len(uniq))
    hint = score_hint(uniq) if hint is None else hint
    coords = [c for c in block_pairs(len(uniq), block_size) if uniq and c not in (done or ())]
    for bi, bj, block in _cdist_blocks(uniq, None, coords, hint, out.dtype, workers, block_size):
        i0, j0 = bi * block_size, bj * block_size
        _place(out, exp, block, (i0, i0 + block.shape[0]), (j0, j0 + block.shape[1]))
        if on_block is not None:
            on_block(bi, bj, _pairs(block, bi == bj))


def edit_distance_matrix(
    sequences: Sequence[str], workers: int = 1, block_size: int = 512
) -> np.ndarray:
    """Exact all-pairs Levenshtein matrix in memory (symmetric, zero diagonal, smallest dtype)."""
    seqs = list(sequences)
    out = np.zeros((len(seqs), len(seqs)), dtype=distance_dtype(max(map(len, seqs), default=0)))
    fill_matrix(out, seqs, workers=workers, block_size=block_size)
    return out


class _Progress:
    """Logs blocks done, pairs/s and ETA about every ``every`` seconds."""

    def __init__(self, total_blocks: int, total_pairs: int, done_blocks: int, every: float = 10.0):
        self.total_blocks, self.total_pairs, self.every = total_blocks, total_pairs, every
        self.blocks, self.pairs = done_blocks, 0
        self.start = self.last = time.perf_counter()

    def __call__(self, pairs: int) -> None:
        self.blocks += 1
        self.pairs += pairs
        now = time.perf_counter()
        if now - self.last >= self.every or self.blocks == self.total_blocks:
            self.last = now
            rate = self.pairs / max(now - self.start, 1e-9)
            left = self.total_pairs * (1 - self.blocks / self.total_blocks)
            log.info(
                "blocks %d/%d, %.0f pairs/s, ETA %.0f s",
                self.blocks,
                self.total_blocks,
                rate,
                left / max(rate, 1e-9),
            )


def compute_to_file(
    sequences: Sequence[str], out_npy: str | Path, workers: int = 1, block_size: int = 512
) -> None:
    """Exact matrix into ``out_npy`` through a resumable, memory-mapped partial file.

    Completed blocks are recorded in ``<out>.progress`` only after their data are flushed, so a
    killed run restarts from them and gives a bit-identical file; ``out_npy`` appears only when
    every block is done. Peak memory stays near the matrix size.
    """
    import os

    out_npy = Path(out_npy)
    partial = out_npy.with_name(f".{out_npy.name}.partial")
    progress = out_npy.with_name(f".{out_npy.name}.progress")
    seqs = list(sequences)
    n = len(seqs)
    dtype = distance_dtype(max(map(len, seqs), default=0))
    header = {"n": n, "dtype": dtype.name, "block_size": block_size, "sha256": _digest(seqs)}
    done: set[tuple[int, int]] = set()
    if partial.exists() and progress.exists():
        lines = progress.read_text().splitlines()
        if lines and json.loads(lines[0]) == header:
            done = {tuple(map(int, line.split())) for line in lines[1:] if len(line.split()) == 2}
            log.info("resuming %s: %d blocks already done", partial, len(done))
    if not done:
        out_npy.parent.mkdir(parents=True, exist_ok=True)
        progress.write_text(json.dumps(header) + "\n")
        out = _create(partial, out_npy, dtype, n)
    else:
        out = np.lib.format.open_memmap(partial, mode="r+")
    n_unique = len(set(seqs))
    all_blocks = block_pairs(n_unique, block_size)
    log.info(
        "%d sequences (%d distinct), %d blocks of up to %d, dtype %s, %d workers",
        n,
        n_unique,
        len(all_blocks),
        block_size,
        dtype,
        workers,
    )
    report = _Progress(len(all_blocks), n_unique * (n_unique - 1) // 2, len(done))
    start = time.perf_counter()
    with open(progress, "a") as prog:

        def record(bi: int, bj: int, pairs: int) -> None:
            out.flush()
            prog.write(f"{bi} {bj}\n")
            prog.flush()
            os.fsync(prog.fileno())
            report(pairs)

        fill_matrix(out, seqs, workers=workers, block_size=block_size, done=done, on_block=record)
    out.flush()
    os.replace(partial, out_npy)
    progress.unlink()
    log.info("edit distances done in %.1f s -> %s", time.perf_counter() - start, out_npy)


def _create(path: Path, label: Path, dtype: np.dtype, n: int):
    """The ``n`` x ``n`` memory-mapped partial matrix, its disk space allocated now: a full disk
    then fails here with a message naming the file, not hours later as a SIGBUS that kills the
    job without a word (a memory map of a sparse file has no space behind it)."""
    import errno
    import os

    size = n * n * dtype.itemsize
    try:
        out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, n))
        fd = os.open(path, os.O_RDWR)
        try:
            os.posix_fallocate(fd, 0, path.stat().st_size)
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # else: cannot; write as before
                raise
        finally:
            os.close(fd)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise NeuroseedError(
            f"{label}: cannot reserve {size / 1e6:,.1f} MB for the edit-distance matrix "
            f"({exc.strerror}); free space (or raise the file-size limit) and rerun"
        ) from None
    return out


def _tiling(sequences: Sequence[str], blocks: int):
    """What every tile job and the merge derive alike from the whole input: the distinct
    sequences, each input's index among them, the band hint, the dtype, the row blocks and a
    header that ties a tile file to this input and tiling."""
    uniq, inverse = unique_sequences(sequences)
    dtype = distance_dtype(max(map(len, sequences), default=0))
    header = {
        "n": len(sequences),
        "n_unique": len(uniq),
        "blocks": blocks,
        "dtype": dtype.name,
        "sha256": _digest(sequences),
    }
    return uniq, inverse, dtype, row_bounds(len(uniq), blocks), header


def compute_tile(
    sequences: Sequence[str],
    blocks: int,
    job: int,
    out_npz: str | Path,
    workers: int = 1,
    block_size: int = 512,
) -> None:
    """One tile job (``tile_jobs(blocks)[job]``) of the exact matrix over the distinct
    sequences of the whole input, written atomically to ``out_npz``. De-duplication and the band
    hint are those of the whole input, so the merged matrix is bit-identical to one job's."""
    seqs = list(sequences)
    jobs = tile_jobs(blocks)
    if not 0 <= job < len(jobs):
        raise NeuroseedError(f"{out_npz}: tile {job} does not exist with {blocks} blocks")
    uniq, _, dtype, bounds, header = _tiling(seqs, blocks)
    hint = score_hint(uniq)
    parts = {
        (bi, bj): (uniq[bounds[bi] : bounds[bi + 1]], uniq[bounds[bj] : bounds[bj + 1]])
        for bi, bj in jobs[job]
    }
    # sub-blocks of each tile: a diagonal tile's upper triangle, an off-diagonal tile's all
    coords = {
        key: block_pairs(len(r), block_size)
        if key[0] == key[1]
        else [
            (i, j) for i in range(-(-len(r) // block_size)) for j in range(-(-len(c) // block_size))
        ]
        for key, (r, c) in parts.items()
    }
    total = sum(
        len(r) * (len(r) - 1) // 2 if bi == bj else len(r) * len(c)
        for (bi, bj), (r, c) in parts.items()
    )
    log.info(
        "tile %d of %d (%s) over %d distinct of %d sequences: %d pairs, %d workers",
        job, len(jobs), " + ".join(f"{bi}x{bj}" for bi, bj in jobs[job]),
        len(uniq), len(seqs), total, workers,
    )  # fmt: skip
    report = _Progress(max(sum(map(len, coords.values())), 1), total, 0)
    start = time.perf_counter()
    arrays = {}
    for (bi, bj), (rows, cols) in parts.items():
        tile = np.zeros((len(rows), len(cols)), dtype=dtype)
        if bi == bj:  # a square matrix of distinct sequences, with the whole input's hint
            fill_matrix(tile, rows, workers, block_size, on_block=lambda *b: report(b[2]),
                        hint=hint)  # fmt: skip
        else:
            computed = _cdist_blocks(rows, cols, coords[bi, bj], hint, dtype, workers, block_size)
            for si, sj, block in computed:
                i0, j0 = si * block_size, sj * block_size
                tile[i0 : i0 + block.shape[0], j0 : j0 + block.shape[1]] = block
                report(block.size)
        arrays[f"{bi}_{bj}"] = tile
    with atomic_path(out_npz) as tmp:
        np.savez(tmp, header=np.array(json.dumps(header)), **arrays)
    log.info("tile %d done in %.1f s -> %s", job, time.perf_counter() - start, out_npz)


def merge_tiles(
    sequences: Sequence[str], blocks: int, tiles: Sequence[str | Path], out_npy: str | Path
) -> None:
    """Assemble the tile jobs' files (in ``tile_jobs`` order) into the full matrix in input
    order, through a memory-mapped partial file that replaces ``out_npy`` only when complete."""
    import os

    out_npy = Path(out_npy)
    seqs = list(sequences)
    jobs = tile_jobs(blocks)
    if len(tiles) != len(jobs):
        raise NeuroseedError(f"{out_npy}: {len(tiles)} tile files for {len(jobs)} tile jobs")
    uniq, inverse, dtype, bounds, header = _tiling(seqs, blocks)
    exp = _Expansion(inverse, len(uniq))
    partial = out_npy.with_name(f".{out_npy.name}.partial")
    out = _create(partial, out_npy, dtype, len(seqs))
    try:
        for path, job in zip(tiles, jobs, strict=True):
            with np.load(path) as z:
                if json.loads(str(z["header"])) != header:
                    raise NeuroseedError(
                        f"{path}: computed for other sequences or another tiling than "
                        f"{blocks} blocks of these {len(seqs)}; delete it and rerun"
                    )
                for bi, bj in job:
                    rows = (bounds[bi], bounds[bi + 1])
                    cols = (bounds[bj], bounds[bj + 1])
                    _place(out, exp, z[f"{bi}_{bj}"], rows, cols)
        out.flush()
        del out
        os.replace(partial, out_npy)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    log.info("%d tiles merged -> %s", len(jobs), out_npy)


def levenshtein_reference(a: str, b: str) -> int:
    """Plain O(len(a)*len(b)) dynamic programme, the ground truth for tests."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def _fasta_sequences(fasta: str) -> list[str]:
    return [s for _, _, s in read_fasta(fasta)]


def compute(fasta: str, out_npy: str, workers: int = 1, block_size: int = 512) -> None:
    """The ``edit_distance`` stage as one job: FASTA -> exact matrix ``.npy`` in FASTA order."""
    compute_to_file(_fasta_sequences(fasta), out_npy, workers, block_size)


def compute_fasta_tile(fasta: str, blocks: int, job: int, out_npz: str, workers: int = 1) -> None:
    """One tile job of the ``edit_distance`` stage cut into ``blocks`` row blocks."""
    compute_tile(_fasta_sequences(fasta), blocks, job, out_npz, workers)


def merge_fasta_tiles(fasta: str, blocks: int, tiles: Sequence[str], out_npy: str) -> None:
    """The tile jobs' files -> the exact matrix ``.npy`` in FASTA order."""
    merge_tiles(_fasta_sequences(fasta), blocks, tiles, out_npy)
