"""The paper's Table 1 on V4 reads (issue #31) assembled from kept run records.

    python benchmarks/paper_table.py keep    # finished runs of results/ggv4_paper -> records
    python benchmarks/paper_table.py table   # records -> docs/results/paper_v4.tsv and figure
    python benchmarks/paper_table.py markdown  # the same as the docs' Markdown table
    python benchmarks/paper_table.py check   # the committed table is the records' table

The 30 cells (about 16 h on two cores) outlast one machine: a session's machine may be new, and
``results/`` goes with it. So each finished run's ``metrics.json`` and ``history.tsv`` are kept
under ``docs/results/paper_v4_runs/<encoder>-<distance>/seed<N>/`` (a few KB each), with the
digests of the data they were trained on (``data.json``: the reads, the edit-distance matrix
and the split, which the preset draws with fixed seeds). ``keep`` refuses a run whose settings
are not the preset's current ones or whose data differ from the records'; ``table`` writes
what ``fig_rmse_table`` writes, from the records (``plots.summarize_rmse``,
``plots.paper_comparison``, ``plots.paper_claims``, ``plots.plot_rmse_table``). Where one
machine runs every cell, ``fig_rmse_table`` gives the same table from ``results/`` directly.
"""

from __future__ import annotations

import argparse
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
DATA_FILE = "data.json"
TRAIN_READS = 7000  # the preset's split: 7,000 / 700 / 1,500


def preset_config() -> dict:
    """config/config.yaml with the preset over it, the schema's defaults filled in."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    return with_defaults(overlay(config, yaml.safe_load(PRESET.read_text())))


def stale_settings(metrics: dict, config: dict) -> list[str]:
    """The settings in which a run's ``metrics.json`` differs from the preset's for its cell."""
    want = settings_from_config(config, metrics["model"], metrics["distance"], metrics["seed"])
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


def record_files(records: Path = RECORDS) -> list[Path]:
    """Every kept run's ``metrics.json``."""
    return sorted(records.glob(f"*/seed*/{paths.METRICS}"))


def keep(records: Path = RECORDS, replace: bool = False) -> None:
    """Copy every finished run of the preset into the records (never over a differing one
    unless ``replace``)."""
    digests = data_digests()
    data_json = records / DATA_FILE
    if data_json.exists() and io.read_json(data_json) != digests:
        raise SystemExit(
            f"{data_json}: the records were trained on other data than "
            f"{paths.dataset_dir(DATASET)} (digests differ); "
            "rebuild the data with the preset or start new records"
        )
    config = preset_config()
    runs = sorted((ROOT / paths.dataset_dir(DATASET) / "training" / SPLIT).glob("*/seed*"))
    kept = 0
    for run in runs:
        files = [run / paths.MODEL, run / paths.HISTORY, run / paths.METRICS]
        if not all(f.exists() for f in files):
            continue  # not finished
        metrics = io.read_json(run / paths.METRICS)
        stale = stale_settings(metrics, config)
        if stale:
            print(f"{run}: not kept, its settings are not the preset's: {'; '.join(stale)}")
            continue
        target = records / run.parent.name / run.name
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
    print(f"{kept} new run(s) kept in {records}; {len(record_files(records))} in all")


def summary(records: Path = RECORDS):
    """``plots.summarize_rmse`` of the kept runs."""
    return plots.summarize_rmse(plots.collect_metrics(record_files(records)), TRAIN_READS)


def table(
    records: Path = RECORDS, tsv: Path = TABLE, claims: Path = CLAIMS, figure: Path = FIGURE
) -> None:
    """The comparison, the claims and the figure (a PNG: the docs keep no PDF) from the
    records."""
    s = summary(records)
    plots.write_paper_comparison(s, tsv, claims)
    title = f"{DATASET}: test %RMSE, encoder x distance ({len(s)} of 30 cells)"
    with tempfile.TemporaryDirectory() as tmp:
        plots.plot_rmse_table(s, Path(tmp) / "table.pdf", figure, title=title)
    print(f"{len(s)} cells from {len(record_files(records))} runs: {tsv}")


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


def check(records: Path = RECORDS, tsv: Path = TABLE) -> list[str]:
    """What is wrong with the committed table: a record with stale settings, or a table that
    is not the records' own."""
    import pandas as pd

    config = preset_config()
    problems = []
    for f in record_files(records):
        stale = stale_settings(io.read_json(f), config)
        if stale:
            problems.append(f"{f}: settings are not the preset's: {'; '.join(stale)}")
    want = plots.paper_comparison(summary(records))
    have = pd.read_csv(tsv, sep="\t")
    same = list(have.columns) == list(want.columns) and len(have) == len(want)
    if same:
        try:
            pd.testing.assert_frame_equal(
                have.reset_index(drop=True), want.reset_index(drop=True),
                check_dtype=False, atol=1e-4, rtol=0,
            )  # fmt: skip
        except AssertionError:
            same = False
    if not same:
        problems.append(f"{tsv} is not the table of the records in {records}: run `table`")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["keep", "table", "markdown", "check"])
    ap.add_argument("--replace", action="store_true", help="keep: overwrite a differing record")
    args = ap.parse_args()
    if args.action == "keep":
        keep(replace=args.replace)
    elif args.action == "table":
        table()
    elif args.action == "markdown":
        print(markdown())
    else:
        problems = check()
        for p in problems:
            print(p)
        if problems:
            raise SystemExit(1)
        print(f"{TABLE.relative_to(ROOT)}: the table of {len(record_files())} kept runs")


if __name__ == "__main__":
    main()
