"""The paper's Table 1 on V4 reads (issue #31) kept as run records: docs/results/paper_v4.tsv is
the table of the kept runs, and every kept run has the preset's current settings."""

import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

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
    # the same table written again from the records passes; the docs get both tables
    docs = tmp_path / "experiments.md"
    docs.write_text(
        "".join(f"text\n{start}\n| stale |\n{end}\n" for start, end, _ in paper_table.DOC_MARKERS)
    )
    paper_table.table(
        tsv=edited, claims=tmp_path / "c.tsv", figure=tmp_path / "fig.png",
        dim_tsv=tmp_path / "dims.tsv", dim_figure=tmp_path / "dims.png", docs=docs,
    )  # fmt: skip
    assert paper_table.check(tsv=edited, dim_tsv=tmp_path / "dims.tsv") == []
    assert (tmp_path / "fig.png").exists()
    written = docs.read_text()
    assert "| stale |" not in written
    assert paper_table.markdown() in written and paper_table.markdown_dims() in written


def test_the_docs_writer_refuses_docs_without_the_markers(tmp_path):
    """A docs file that lost a marker is left as it was, with a message naming the marker."""
    docs = tmp_path / "experiments.md"
    start, end, _ = paper_table.DOC_MARKERS[0]
    docs.write_text(f"{start}\n| old |\n")  # no closing marker
    with pytest.raises(SystemExit, match="no '<!-- paper_v4 records"):
        paper_table.write_docs(docs=docs)
    assert docs.read_text() == f"{start}\n| old |\n"


def test_the_docs_show_the_records_table():
    """docs/experiments.md carries the records' tables as `paper_table.py markdown [--dims]`
    prints them."""
    docs = (ROOT / "docs" / "experiments.md").read_text()
    assert paper_table.markdown() in docs
    assert paper_table.markdown_dims() in docs


def test_keep_files_a_sweep_run_under_its_dimension_and_refuses_one_run_at_another(tmp_path):
    """fig_embedding_dim's runs are kept as `embedding_dim/<enc>-<dist>/dim<N>/seed<S>`; a run
    whose settings are not the preset's at its folder's dimension is not kept."""
    from neuroseed import paths

    root = tmp_path / "clone"
    data = {"sequences": {}, "distances": {}, "split": {"split": paper_table.SPLIT}}
    for name, fields in data.items():
        f = root / paths.artifact(name, paper_table.DATASET, **fields)
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(name)
    cell = paper_table.RECORDS / "linear-hyperbolic" / "seed0"
    run = json.loads((cell / paths.METRICS).read_text())
    for dim, ran_at in [(8, 8), (16, 8)]:
        metrics = root / paths.artifact(
            "dim_metrics", paper_table.DATASET, split=paper_table.SPLIT,
            encoder="linear", distance="hyperbolic", dim=dim, seed=0,
        )  # fmt: skip
        metrics.parent.mkdir(parents=True)
        metrics.write_text(json.dumps({**run, "embedding_dim": ran_at}))
        shutil.copyfile(cell / paths.HISTORY, metrics.parent / paths.HISTORY)
        (metrics.parent / paths.MODEL).write_text("")
    records = tmp_path / "records"
    paper_table.keep(records, root=root)
    kept = paper_table.record_files(records, "dims")
    assert [f.relative_to(records).as_posix() for f in kept] == [
        f"embedding_dim/linear-hyperbolic/dim8/seed0/{paths.METRICS}"
    ]
    assert paper_table.record_files(records) == []
    assert json.loads((records / paper_table.DATA_FILE).read_text()).keys() == data.keys()
