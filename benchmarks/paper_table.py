"""The paper's Table 1 on V4 reads (issue #31) assembled from kept run records.

    python benchmarks/paper_table.py keep    # finished runs of results/ggv4_paper -> records
    python benchmarks/paper_table.py table   # records -> docs/results/paper_v4.tsv, figures and
                                             # the two tables in docs/experiments.md
    python benchmarks/paper_table.py markdown  # the same as the docs' Markdown table
    python benchmarks/paper_table.py markdown --dims  # the embedding-dimension sweep's table
    python benchmarks/paper_table.py check   # the committed tables are the records' tables

The 30 cells (about 16 h of one core) outlast one machine: a session's machine may be new, and
``results/`` goes with it. So each finished run's ``metrics.json`` and ``history.tsv`` are kept
under ``docs/results/paper_v4_runs/<encoder>-<distance>/seed<N>/`` (a few KB each), with the
digests of the data they were trained on (``data.json``: the reads, the edit-distance matrix
and the split, which the preset draws with fixed seeds). The runs of the embedding-dimension
sweep (the paper's Figure 1, ``fig_embedding_dim``) are kept the same way under
``embedding_dim/<encoder>-<distance>/dim<N>/seed<S>/`` and give
``docs/results/paper_v4_embedding_dim.tsv`` and its figure. ``keep`` refuses a run whose settings
are not the preset's current ones or whose data differ from the records'; ``table`` writes
what ``fig_rmse_table`` writes, from the records (``plots.summarize_rmse``,
``plots.paper_comparison``, ``plots.paper_claims``, ``plots.plot_rmse_table``). Where one
machine runs every cell, ``fig_rmse_table`` gives the same table from ``results/`` directly.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from neuroseed import io, paths, plots  # noqa: E402
from neuroseed.config import overlay, with_defaults  # noqa: E402
from neuroseed.settings import settings_from_config  # noqa: E402

DATASET = "ggv4_paper"
SPLIT = "random-s1"
PRESET = ROOT / "config" / "presets" / "paper_v4.yaml"
RECORDS = ROOT / "docs" / "results" / "paper_v4_runs"
TABLE = ROOT / "docs" / "results" / "paper_v4.tsv"
CLAIMS = ROOT / "docs" / "results" / "paper_v4_claims.tsv"
FIGURE = ROOT / "docs" / "figures" / "paper_v4_rmse_table.png"
DIM_TABLE = ROOT / "docs" / "results" / "paper_v4_embedding_dim.tsv"
DIM_FIGURE = ROOT / "docs" / "figures" / "paper_v4_embedding_dim.png"
DOCS = ROOT / "docs" / "experiments.md"
# Where docs/experiments.md holds each table: (opening marker, closing marker, its dims flag).
DOC_MARKERS = [
    (
        "<!-- paper_v4 records: benchmarks/paper_table.py markdown -->",
        "<!-- end of the records' table -->",
        False,
    ),
    (
        "<!-- paper_v4 sweep records: benchmarks/paper_table.py markdown --dims -->",
        "<!-- end of the sweep's table -->",
        True,
    ),
]
# The two kinds of run kept: the artifact of a run's metrics, the records' sub-folder for it.
KINDS = {"cells": ("metrics", ""), "dims": ("dim_metrics", "embedding_dim")}
DATA_FILE = "data.json"
TRAIN_READS = 7000  # the preset's split: 7,000 / 700 / 1,500


def preset_config() -> dict:
    """config/config.yaml with the preset over it, the schema's defaults filled in."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    return with_defaults(overlay(config, yaml.safe_load(PRESET.read_text())))


def run_dim(metrics_file: Path) -> int | None:
    """The embedding dimension a sweep's run was given by its folder (``dim<N>``); None for a
    cell of the table."""
    folder = paths.DIM_RUN.split("/")[-2]  # "dim{dim}"
    m = re.fullmatch(folder.replace("{dim}", r"(\d+)"), metrics_file.parent.parent.name)
    return int(m.group(1)) if m else None


def stale_settings(metrics: dict, config: dict, embedding_dim: int | None = None) -> list[str]:
    """The settings in which a run's ``metrics.json`` differs from the preset's for its cell
    (a sweep's run: at ``embedding_dim``, as the workflow's ``train_settings`` sets it)."""
    want = settings_from_config(config, metrics["model"], metrics["distance"], metrics["seed"])
    if embedding_dim is not None:
        want["embedding_dim"] = embedding_dim
    return [
        f"{k}: ran {metrics.get(k)!r}, preset {v!r}" for k, v in want.items() if metrics.get(k) != v
    ]


def data_digests(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 of the reads, the edit-distance matrix and the split the runs trained on."""
    files = {
        "sequences": paths.artifact("sequences", DATASET),
        "distances": paths.artifact("distances", DATASET),
        "split": paths.artifact("split", DATASET, split=SPLIT),
    }
    return {name: io.file_sha256(root / rel) for name, rel in files.items()}


def record_files(records: Path = RECORDS, kind: str = "cells") -> list[Path]:
    """Every kept run's ``metrics.json`` (``kind``: the table's cells or the sweep's runs)."""
    artifact, sub = KINDS[kind]
    pattern = paths.ARTIFACTS[artifact].split("/", 2)[2]  # past "<stage>/{split}/"
    return sorted((records / sub).glob(paths.fill(pattern, glob=True)))


def results_runs(kind: str, root: Path = ROOT) -> list[tuple[Path, Path]]:
    """Each run of ``kind`` under ``root``'s ``results/``, with its place in the records."""
    artifact, sub = KINDS[kind]
    depth = paths.ARTIFACTS[artifact].count("/") - 2  # its folders under the split's
    found = (root / paths.RESULTS).glob(paths.glob(artifact, DATASET, split=SPLIT))
    return [(f.parent, Path(sub, *f.parent.parts[-depth:])) for f in sorted(found)]


def keep(records: Path = RECORDS, replace: bool = False, root: Path = ROOT) -> None:
    """Copy every finished run of the preset under ``root`` into the records (never over a
    differing one unless ``replace``)."""
    digests = data_digests(root)
    data_json = records / DATA_FILE
    if data_json.exists() and io.read_json(data_json) != digests:
        raise SystemExit(
            f"{data_json}: the records were trained on other data than "
            f"{paths.dataset_dir(DATASET)} (digests differ); "
            "rebuild the data with the preset or start new records"
        )
    config = preset_config()
    kept = 0
    for run, place in results_runs("cells", root) + results_runs("dims", root):
        files = [run / paths.MODEL, run / paths.HISTORY, run / paths.METRICS]
        if not all(f.exists() for f in files):
            continue  # not finished
        metrics = io.read_json(run / paths.METRICS)
        stale = stale_settings(metrics, config, run_dim(run / paths.METRICS))
        if stale:
            print(f"{run}: not kept, its settings are not the preset's: {'; '.join(stale)}")
            continue
        target = records / place
        old = target / paths.METRICS
        if old.exists() and io.read_json(old) == metrics:
            continue  # kept already
        if old.exists() and not replace:
            print(f"{target}: kept already with another result; --replace to overwrite")
            continue
        target.mkdir(parents=True, exist_ok=True)
        for f in files[1:]:
            shutil.copyfile(f, target / f.name)
        kept += 1
    io.write_json(data_json, digests)
    print(
        f"{kept} new run(s) kept in {records}; {len(record_files(records))} cell runs and "
        f"{len(record_files(records, 'dims'))} sweep runs in all"
    )


def summary(records: Path = RECORDS):
    """``plots.summarize_rmse`` of the kept runs."""
    return plots.summarize_rmse(plots.collect_metrics(record_files(records)), TRAIN_READS)


def dim_table(records: Path = RECORDS):
    """The sweep's table as ``plot_embedding_dim`` writes it (``plots.collect_metrics``);
    empty while no sweep run is kept."""
    import pandas as pd

    files = record_files(records, "dims")
    return plots.collect_metrics(files) if files else pd.DataFrame()


def table(
    records: Path = RECORDS,
    tsv: Path = TABLE,
    claims: Path = CLAIMS,
    figure: Path = FIGURE,
    dim_tsv: Path = DIM_TABLE,
    dim_figure: Path = DIM_FIGURE,
    docs: Path | None = DOCS,
) -> None:
    """The comparison, the claims, the sweep's table and the figures (PNGs: the docs keep no
    PDF) from the records, and both tables into ``docs`` (None: not)."""
    s = summary(records)
    plots.write_paper_comparison(s, tsv, claims)
    title = f"{DATASET}: test %RMSE, encoder x distance ({len(s)} of 30 cells)"
    dims = dim_table(records)
    encoder = preset_config()["embedding_dim_sweep"]["encoder"]
    with tempfile.TemporaryDirectory() as tmp:
        plots.plot_rmse_table(s, Path(tmp) / "table.pdf", figure, title=title)
        if len(dims):
            dim_title = f"{DATASET}: {encoder} encoder, test %RMSE vs embedding dimension"
            plots.write_embedding_dim(dims, dim_tsv, Path(tmp) / "dims.pdf", dim_figure, dim_title)
    print(f"{len(s)} cells from {len(record_files(records))} runs: {tsv}")
    print(f"{len(dims)} runs of the embedding-dimension sweep: {dim_tsv}")
    if docs is not None:
        write_docs(records, docs)
        print(f"both tables written into {docs}")


def write_docs(records: Path = RECORDS, docs: Path = DOCS) -> None:
    """Put the records' two Markdown tables between their markers in ``docs``; refuse (and
    write nothing) where a marker is missing."""
    text = docs.read_text()
    for start, end, dims in DOC_MARKERS:
        a = text.find(start + "\n")
        b = text.find(end, a) if a >= 0 else -1
        if b < 0:
            raise SystemExit(
                f"{docs}: no '{start}' line followed by '{end}': put the two markers back "
                "where the table belongs"
            )
        md = markdown_dims(records) if dims else markdown(records)
        text = text[: a + len(start) + 1] + md + "\n" + text[b:]
    io.write_text(docs, text)


def markdown_dims(records: Path = RECORDS) -> str:
    """The sweep's test %RMSE as the docs show it: one row per dimension, one column per
    distance (the sweep's order), the best epoch and those run in brackets."""
    t = dim_table(records)
    if t.empty:
        return ""
    distances = preset_config()["embedding_dim_sweep"]["distances"]
    lines = [
        "| dimension | " + " | ".join(distances) + " |",
        "|---|" + "---|" * len(distances),
    ]
    for dim, rows in t.groupby("embedding_dim"):
        cells = []
        for d in distances:
            r = rows[rows["distance"] == d]
            cells.append(
                ""
                if r.empty
                else " / ".join(f"{x:.2f}" for x in r["test_rmse_pct"])
                + f" ({r['best_epoch'].iloc[0]:.0f}/{r['epochs_run'].iloc[0]:.0f})"
            )
        lines.append(f"| {dim} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(records: Path = RECORDS) -> str:
    """The records' table as the docs show it (docs/experiments.md, "The paper's Table 1")."""
    t = plots.paper_comparison(summary(records))
    lines = [
        "| encoder | distance | seeds | test %RMSE | without the worst read | epochs: best / run "
        "(limit) | min per run | paper |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in t.itertuples():
        sd = f" ± {r.sd:.2f}" if r.seeds > 1 else ""
        epochs = (
            "closed form"
            if r.max_epochs != r.max_epochs  # NaN: fitted without epochs (kmer)
            else f"{r.best_epoch:.0f} / {r.epochs_run:.0f} ({r.max_epochs:.0f})"
        )
        paper = "" if r.paper_rmse_pct != r.paper_rmse_pct else f"{r.paper_rmse_pct:.2f}"
        lines.append(
            f"| {r.encoder} | {r.distance} | {r.seeds} | {r.test_rmse_pct:.2f}{sd} | "
            f"{r.test_rmse_pct_without_worst_read:.2f} | {epochs} | {r.train_minutes:.1f} | "
            f"{paper} |"
        )
    return "\n".join(lines)


def _same_table(tsv: Path, want) -> bool:
    """``tsv`` holds ``want`` (to the 4 decimals it is written with)."""
    import pandas as pd

    if not tsv.exists():
        return len(want) == 0
    have = pd.read_csv(tsv, sep="\t")
    if list(have.columns) != list(want.columns) or len(have) != len(want):
        return False
    try:
        pd.testing.assert_frame_equal(
            have.reset_index(drop=True), want.reset_index(drop=True),
            check_dtype=False, atol=1e-4, rtol=0,
        )  # fmt: skip
    except AssertionError:
        return False
    return True


def check(records: Path = RECORDS, tsv: Path = TABLE, dim_tsv: Path = DIM_TABLE) -> list[str]:
    """What is wrong with the committed tables: a record with stale settings, or a table that
    is not the records' own."""
    config = preset_config()
    problems = []
    for f in record_files(records) + record_files(records, "dims"):
        stale = stale_settings(io.read_json(f), config, run_dim(f))
        if stale:
            problems.append(f"{f}: settings are not the preset's: {'; '.join(stale)}")
    for path, want in [
        (tsv, plots.paper_comparison(summary(records))),
        (dim_tsv, dim_table(records)),
    ]:
        if not _same_table(path, want):
            problems.append(f"{path} is not the table of the records in {records}: run `table`")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["keep", "table", "markdown", "check"])
    ap.add_argument("--replace", action="store_true", help="keep: overwrite a differing record")
    ap.add_argument(
        "--dims", action="store_true", help="markdown: the embedding-dimension sweep's table"
    )
    args = ap.parse_args()
    if args.action == "keep":
        keep(replace=args.replace)
    elif args.action == "table":
        table()
    elif args.action == "markdown":
        print(markdown_dims() if args.dims else markdown())
    else:
        problems = check()
        for p in problems:
            print(p)
        if problems:
            raise SystemExit(1)
        print(
            f"{TABLE.relative_to(ROOT)}: the table of {len(record_files())} kept runs; "
            f"{DIM_TABLE.relative_to(ROOT)}: of {len(record_files(kind='dims'))}"
        )


if __name__ == "__main__":
    main()
