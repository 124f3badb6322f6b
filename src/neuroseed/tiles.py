"""How the exact edit-distance matrix (:mod:`neuroseed.edit_distance`) is cut into tile jobs.

Pure Python: the Snakefile reads the jobs while it parses the workflow (one rule job a tile),
without numpy."""

from __future__ import annotations


def tile_jobs(blocks: int) -> list[tuple[tuple[int, int], ...]]:
    """The jobs of a matrix cut into ``blocks`` x ``blocks`` tiles of row blocks (upper
    triangle): each off-diagonal tile alone; the diagonal tiles, which hold half as many pairs,
    two to a job. Every job then computes about as many pairs: blocks·(blocks−1)/2 +
    ⌈blocks/2⌉ jobs (8 for 4 blocks)."""
    diagonal = [
        ((i, i),) if i == blocks - 1 - i else ((i, i), (blocks - 1 - i, blocks - 1 - i))
        for i in range((blocks + 1) // 2)
    ]
    return diagonal + [((i, j),) for i in range(blocks) for j in range(i + 1, blocks)]


def row_bounds(n_unique: int, blocks: int) -> list[int]:
    """Where each of ``blocks`` row blocks of ``n_unique`` rows starts (and the last ends)."""
    return [k * n_unique // blocks for k in range(blocks + 1)]
