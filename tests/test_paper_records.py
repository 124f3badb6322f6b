"""The paper's Table 1 on V4 reads (issue #31) kept as run records: docs/results/paper_v4.tsv is
the table of the kept runs, and every kept run has the preset's current settings."""

import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "paper_table", ROOT / "benchmarks" / "paper_table.py"
)
paper_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(paper_table)


def test_the_committed_table_is_the_table_of_the_kept_runs():
    assert paper_table.record_files(), "no kept run under docs/results/paper_v4_runs"
    assert paper_table.check() == []


def test_every_kept_run_trained_on_the_recorded_data():
    digests = json.loads((paper_table.RECORDS / paper_table.DATA_FILE).read_text())
    assert set(digests) == {"sequences", "distances", "split"}
    for metrics in paper_table.record_files():
        run = json.loads(metrics.read_text())
        assert run["split"]["name"] == paper_table.SPLIT
        assert (metrics.parent / "history.tsv").exists()
        assert run["epochs_run"] == len(pd.read_csv(metrics.parent / "history.tsv", sep="\t"))


def test_a_run_with_other_settings_than_the_preset_is_flagged(tmp_path):
    records = tmp_path / "runs"
    shutil.copytree(paper_table.RECORDS, records)
    metrics = paper_table.record_files(records)[0]
    run = json.loads(metrics.read_text())
    run["learning_rate"] = 0.5
    metrics.write_text(json.dumps(run))
    problems = paper_table.check(records)
    assert any("learning_rate: ran 0.5" in p for p in problems), problems


def test_a_table_that_is_not_the_records_own_is_flagged(tmp_path):
    table = pd.read_csv(paper_table.TABLE, sep="\t")
    table.loc[0, "test_rmse_pct"] += 0.01
    edited = tmp_path / "paper_v4.tsv"
    table.to_csv(edited, sep="\t", index=False)
    assert paper_table.check(tsv=edited) == [
        f"{edited} is not the table of the records in {paper_table.RECORDS}: run `table`"
    ]
    # the same table written again from the records passes
    paper_table.table(tsv=edited, claims=tmp_path / "c.tsv", figure=tmp_path / "fig.png")
    assert paper_table.check(tsv=edited) == []
    assert (tmp_path / "fig.png").exists()


def test_the_docs_show_the_records_table():
    """docs/experiments.md carries the records' table as `paper_table.py markdown` prints it."""
    assert paper_table.markdown() in (ROOT / "docs" / "experiments.md").read_text()
