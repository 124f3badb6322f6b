"""The Snakemake workflow itself: lint, dry runs, a full tiny run, reruns and bad input."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SNAKEMAKE, copy_workflow, smk

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny config (48 Greengenes sequences, 1-2 epochs) run once, end to end."""
    work = copy_workflow(tmp_path_factory.mktemp("tiny"))
    smk(work, "--configfile", "tiny.yaml")
    return work


def test_lint_is_clean():
    proc = subprocess.run([*SNAKEMAKE, "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_default_dry_run_lists_every_stage(tmp_path):
    work = copy_workflow(tmp_path)
    out = smk(work, "-n").stdout
    for rule in (
        "prepare_sequences",
        "prune_tree",
        "encode_sequences",
        "compute_edit_distance",
        "split_sequences",
        "train_model",
        "plot_rmse",
        "plot_training_curves",
        "evaluate_retrieval",
        "evaluate_clustering",
        "plot_retrieval",
        "plot_clustering",
    ):
        assert rule in out, rule
    assert "results/gg2000/training/random-s1/cnn-hyperbolic/seed0/model.keras" in out


def test_seeds_per_distance_train_more_seeds_where_asked(tmp_path):
    work = copy_workflow(tmp_path)
    (work / "seeds.yaml").write_text(
        json.dumps(
            {
                "training": {
                    "encoders": ["linear", "cnn"],
                    "distances": ["euclidean", "hyperbolic"],
                    "seeds": {"default": [0], "hyperbolic": [0, 1, 2]},
                }
            }
        )
    )
    out = smk(work, "-n", "--configfile", "config/config.yaml", "seeds.yaml").stdout
    runs = sorted(set(re.findall(r"training/random-s1/([a-z]+-[a-z]+/seed\d)/model.keras", out)))
    assert runs == [
        "cnn-euclidean/seed0",
        *(f"cnn-hyperbolic/seed{s}" for s in range(3)),
        "linear-euclidean/seed0",
        *(f"linear-hyperbolic/seed{s}" for s in range(3)),
    ]


def test_named_figure_target_dry_run(tmp_path):
    out = smk(copy_workflow(tmp_path), "-n", "fig_rmse").stdout
    assert "plot_rmse" in out and "plot_training_curves" not in out


def test_blocks_cut_the_matrix_into_tile_jobs_and_a_merge(tmp_path):
    """(The run itself, on SLURM, with a killed tile: tests/test_slurm.py.)"""
    work = copy_workflow(tmp_path)
    (work / "tiles.yaml").write_text(json.dumps({"edit_distance": {"blocks": 4}}))
    out = smk(work, "-n", "results/gg2000/edit_distance/distances.npy", "--configfile",
              "config/config.yaml", "tiles.yaml").stdout  # fmt: skip
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    assert counts["edit_distance_tile"] == "8" and counts["merge_edit_distance"] == "1", out
    assert "compute_edit_distance" not in out


def test_tiny_run_artifacts_are_sane(tiny_run):
    res = tiny_run / "results" / "tiny"
    prov = json.loads((res / "sequences" / "provenance.json").read_text())
    assert prov["sequences"] == 48 and prov["drawn"] == 48
    fasta_ids = [
        line[1:].split()[0]
        for line in (res / "sequences" / "sequences.fasta").read_text().splitlines()
        if line.startswith(">")
    ]
    assert len(fasta_ids) == 48

    from neuroseed.trees import leaf_names, read_tree

    assert sorted(leaf_names(read_tree(res / "sequences" / "tree.nwk"))) == sorted(fasta_ids)

    enc = np.load(res / "encoding" / "encoded.npz")
    assert enc["codes"].shape == (48, int(enc["padded_length"])) and list(enc["ids"]) == fasta_ids
    d = np.load(res / "edit_distance" / "distances.npy")
    assert d.shape == (48, 48) and np.array_equal(d, d.T) and not np.diag(d).any() and d.max() > 0

    split = json.loads((res / "splits" / "random-s1.json").read_text())
    parts = [set(split[p]) for p in ("train", "val", "test")]
    assert sum(map(len, parts)) == 48 and set().union(*parts) == set(fasta_ids)

    for enc_name in ("linear", "cnn", "kmer"):
        for dist in ("euclidean", "hyperbolic"):
            run = res / "training" / "random-s1" / f"{enc_name}-{dist}" / "seed0"
            m = json.loads((run / "metrics.json").read_text())
            assert m["model"] == enc_name and m["distance"] == dist
            if enc_name == "cnn":  # per-distance setting in config.yaml: {default: 3, euclidean: 5}
                assert m["hparams"]["kernel_size"] == (5 if dist == "euclidean" else 3)
            assert (
                np.isfinite(m["test_rmse_pct"])
                and m["test_pairs"] == len(split["test"]) * (len(split["test"]) - 1) // 2
            )
            from neuroseed.model_file import read_identity

            identity = read_identity(run / "model.keras")  # the model knows what it is
            assert (identity.encoder, identity.distance, identity.seed) == (enc_name, dist, 0)
            assert (identity.padded_length, identity.split) == (m["padded_length"], "random-s1")
            assert "val_rmse_pct" in (run / "history.tsv").read_text()
    for enc_name in ("linear", "cnn", "kmer"):
        for dist in ("euclidean", "hyperbolic"):
            ev = res / "evaluation" / "random-s1" / f"{enc_name}-{dist}" / "seed0"
            r = json.loads((ev / "retrieval.json").read_text())
            assert r["references"] == len(split["test"]) and r["queries"] == len(split["val"])
            assert 0 <= r["top1"] <= r["top5"] <= r["top10"] <= 1
            assert (r["model"], r["distance"], r["seed"]) == (enc_name, dist, 0)
            c = (ev / "clustering.tsv").read_text().splitlines()
            assert c[0].startswith("model\tdistance\tseed\tlinkage\tsequences") and len(c) == 5
            assert c[1].startswith(f"{enc_name}\t{dist}\t0\t")
    for name in ("rmse", "training_curves", "retrieval", "clustering"):
        assert (res / "figures" / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
        assert (res / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert len((res / "tables" / "rmse.tsv").read_text().splitlines()) == 7
    assert (res / "benchmarks" / "compute_edit_distance.tsv").exists()
    assert "pairs/s" in (res / "logs" / "compute_edit_distance.log").read_text()


def test_rerun_is_a_no_op(tiny_run):
    out = smk(tiny_run, "--configfile", "tiny.yaml", "-n")
    assert "Nothing to be done" in out.stdout + out.stderr


def test_deleted_models_are_rebuilt_by_all(tiny_run):
    """The trained models are targets of ``all``: with the training folder gone (figures still
    up to date) a run rebuilds them, where Snakemake would otherwise see nothing to do."""
    training = tiny_run / "results" / "tiny" / "training"
    aside = tiny_run / "training.aside"
    training.rename(aside)
    try:
        out = smk(tiny_run, "--configfile", "tiny.yaml", "-n")
    finally:
        shutil.rmtree(training, ignore_errors=True)
        aside.rename(training)
    assert "Nothing to be done" not in out.stdout + out.stderr
    assert "rule train_model:" in out.stdout


def reversed_keys(obj):
    if isinstance(obj, dict):
        return {k: reversed_keys(obj[k]) for k in reversed(list(obj))}
    return obj


def test_the_same_config_in_another_key_order_reruns_nothing(tiny_run):
    import yaml

    default = tiny_run / "config" / "config.yaml"
    text = default.read_text()
    for path in (default, tiny_run / "tiny.yaml"):
        config = yaml.safe_load(path.read_text())
        (path.with_name(f"reordered-{path.name}")).write_text(
            yaml.safe_dump(reversed_keys(config), sort_keys=False)
        )
    default.write_text((tiny_run / "config" / "reordered-config.yaml").read_text())
    try:
        out = smk(tiny_run, "-n", "--configfile", "reordered-tiny.yaml")
    finally:
        default.write_text(text)
    assert "Nothing to be done" in out.stdout + out.stderr, out.stdout


def test_changing_one_encoder_reruns_only_its_jobs(tiny_run):
    (tiny_run / "changed.yaml").write_text(json.dumps({"encoders": {"cnn": {"epochs": 2}}}))
    out = smk(tiny_run, "-n", "--configfile", "tiny.yaml", "changed.yaml").stdout
    outputs = [line for line in out.splitlines() if line.strip().startswith("output:")]
    trained = [line for line in outputs if "/training/" in line]
    assert len(trained) == 2 and all("/cnn-" in line for line in trained), out
    assert not any("/sequences/" in line or "distances.npy" in line for line in outputs)
    assert any("figures/rmse.pdf" in line for line in outputs)


@pytest.mark.skipif(
    shutil.which("mafft") is None and not os.environ.get("CI"),
    reason="mafft not installed (CI installs it and must run this)",
)
def test_aligned_input_trains_end_to_end(tmp_path):
    work = copy_workflow(tmp_path)
    (work / "aligned.yaml").write_text(
        json.dumps(
            {
                "dataset": "tinyaln",
                "encoding": {"alignment": "mafft"},
                "training": {"encoders": ["cnn"], "distances": ["hyperbolic"]},
            }
        )
    )
    smk(work, "--configfile", "tiny.yaml", "aligned.yaml")
    res = work / "results" / "tinyaln"
    enc = np.load(res / "encoding" / "encoded.npz")
    assert int(enc["alphabet_size"]) == 5
    assert enc["codes"].shape[1] > int(enc["padded_length"])  # alignment columns > longest seq
    raw = np.load(res / "edit_distance" / "distances.npy")
    from neuroseed.edit_distance import edit_distance_matrix
    from neuroseed.io import read_fasta

    seqs = [s for _, _, s in read_fasta(res / "sequences" / "sequences.fasta")]
    assert np.array_equal(raw, edit_distance_matrix(seqs))  # distances from raw sequences
    m = json.loads((res / "training/random-s1/cnn-hyperbolic/seed0/metrics.json").read_text())
    assert m["input"]["alphabet_size"] == 5 and np.isfinite(m["test_rmse_pct"])


def test_split_depth_experiment_builds_its_figures(tiny_run):
    (tiny_run / "depth.yaml").write_text(
        json.dumps({"split_depth": {"depths": [0, 2], "seeds": [0, 1]}})
    )
    smk(tiny_run, "fig_split_depth", "--configfile", "tiny.yaml", "depth.yaml")
    res = tiny_run / "results" / "tiny"
    import pandas as pd

    table = pd.read_csv(res / "tables" / "split_depth.tsv", sep="\t")
    assert len(table) == 8 and set(table["method"]) == {"distance", "tree"}
    assert table[["train_rmse_pct", "test_rmse_pct", "nearest_train_median"]].notna().all().all()
    for fig in ("split_depth", "split_depth_relative", "split_depth_leakage"):
        assert (res / "figures" / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"
    split = json.loads((res / "splits" / "tree-d2-s1.json").read_text())
    assert split["params"] == {
        "method": "tree",
        "depth": 2,
        "tree": "results/tiny/sequences/tree.nwk",
        "val_fraction": 0.2,
        "test_fraction": 0.2,
        "seed": 1,
    }
    # adding a seed trains only the new runs
    (tiny_run / "more.yaml").write_text(
        json.dumps({"split_depth": {"depths": [0, 2], "seeds": [0, 1, 2]}})
    )
    out = smk(tiny_run, "fig_split_depth", "-n", "--configfile", "tiny.yaml", "more.yaml").stdout
    trained = [line for line in out.splitlines() if "output: results/tiny/training" in line]
    assert len(trained) == 4 and all("-s2/" in line for line in trained)


def test_tree_split_without_a_tree_builds_one_from_distances(tmp_path):
    work = copy_workflow(tmp_path)
    (work / "own.fasta").write_text("".join(f">s{i}\nACGTACGTAC{'A' * i}\n" for i in range(20)))
    (work / "own.yaml").write_text(
        json.dumps(
            {
                "dataset": "own",
                "source": {"type": "fasta", "fasta": "own.fasta", "n_sequences": None},
                "sequences": {"min_length": 1},
                "split": {"method": "tree", "depth": 1},
            }
        )
    )
    out = smk(work, "-n", "--configfile", "own.yaml").stdout
    assert "rule build_tree" in out and "results/own/splits/tree-d1-s1.json" in out
    assert "prune_tree" not in out


def bad_fasta_config(work: Path, fasta_text: str, **source) -> Path:
    (work / "bad.fasta").write_text(fasta_text)
    cfg = {
        "dataset": "bad",
        "source": {"type": "fasta", "n_sequences": None, "fasta": "bad.fasta", **source},
    }
    path = work / "bad.yaml"
    path.write_text(json.dumps(cfg))
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "bad.fasta: FASTA file is empty"),
        (">a\nACGTACGT\n>b\nACXTACGT\n", "record 'b' has invalid character 'X' at position 3"),
        (">a\nACGTACGT\n>a\nACGTACGA\n", "duplicate sequence id 'a'"),
    ],
)
def test_bad_input_fails_in_one_line_and_leaves_nothing(tmp_path, text, message):
    work = copy_workflow(tmp_path)
    cfg = bad_fasta_config(work, text)
    proc = smk(work, "results/bad/sequences/sequences.fasta", "--configfile", str(cfg), check=False)
    assert proc.returncode != 0
    lines = [
        line
        for line in proc.stderr.splitlines()
        if line.startswith("error in rule prepare_sequences")
    ]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not (work / "results" / "bad" / "sequences" / "sequences.fasta").exists()
    assert not (work / "results" / "bad" / "sequences" / "provenance.json").exists()


def test_user_fasta_with_mismatched_tree_fails_clearly(tmp_path):
    work = copy_workflow(tmp_path)
    (work / "t.nwk").write_text("(((a:1,b:1):1,(d:1,e:1):1):1,(f:1,zz:1):2);")
    seqs = ["ACGTACGT", "ACGTTCGT", "ACGAACGT", "ACGTACGA", "TCGTACGT", "ACCTACGT"]
    records = "".join(f">{i}\n{s}\n" for i, s in zip("abcdef", seqs, strict=True))
    (work / "bad.fasta").write_text(records)
    (work / "bad.yaml").write_text(
        json.dumps(
            {
                "dataset": "bad",
                "source": {
                    "type": "fasta",
                    "n_sequences": None,
                    "fasta": "bad.fasta",
                    "tree": "t.nwk",
                },
                "sequences": {"min_length": 1},
            }
        )
    )
    proc = smk(work, "results/bad/sequences/tree.nwk", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "1 of 6 sequence ids are not leaves of the tree, e.g. c" in proc.stderr
    assert not (work / "results" / "bad" / "sequences" / "tree.nwk").exists()
    # the sequences themselves were fine and stay: a fixed tree only reruns the tree job
    assert (work / "results" / "bad" / "sequences" / "sequences.fasta").exists()


def test_unknown_config_key_is_rejected(tmp_path):
    work = copy_workflow(tmp_path)
    proc = smk(work, "-n", "--config", "trainig={'epochs': 3}", check=False)
    assert proc.returncode != 0
    assert "trainig" in proc.stderr + proc.stdout


def test_per_distance_setting_reruns_only_that_distance(tiny_run):
    (tiny_run / "k7.yaml").write_text(
        json.dumps({"encoders": {"cnn": {"kernel_size": {"default": 3, "euclidean": 7}}}})
    )
    out = smk(tiny_run, "-n", "--configfile", "tiny.yaml", "k7.yaml").stdout
    trained = [line for line in out.splitlines() if "output: results/tiny/training" in line]
    assert len(trained) == 1 and "/cnn-euclidean/" in trained[0], out


@pytest.mark.parametrize(
    "encoders",
    [
        {"cnn": {"kernel_size": {"euclidean": 5}}},  # no default
        {"cnn": {"kernel_size": {"default": 3, "euclidian": 5}}},  # not a distance
        {"cnn": {"kernel_size": 0}},
        {"transformer": {"window": 2}},  # only the local transformer has a window
        {"kmer": {"k": 12}},
    ],
)
def test_bad_encoder_settings_are_rejected(encoders):
    import yaml

    from neuroseed import NeuroseedError
    from neuroseed.config import check_config

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["encoders"] = encoders
    with pytest.raises(NeuroseedError, match=r"^config: encoders\."):
        check_config(config)


PAPER_FIGURES = (
    "rmse",
    "training_curves",
    "rmse_table",
    "training_time",
    "embedding_dim",
    "tuning",
    "split_depth",
    "retrieval",
    "clustering",
)


@pytest.fixture(scope="module")
def paper_run(tiny_run):
    """The paper target on the tiny config (reduced sweeps, 2 one-epoch search trials)."""
    smk(tiny_run, "paper", "--configfile", "tiny.yaml")
    return tiny_run


def test_paper_target_builds_every_figure(paper_run):
    import pandas as pd

    res = paper_run / "results" / "tiny"
    for name in PAPER_FIGURES:
        assert (res / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
        assert (res / "figures" / f"{name}.pdf").read_bytes()[:4] == b"%PDF", name
        assert len(pd.read_csv(res / "tables" / f"{name}.tsv", sep="\t")) > 0, name
    table = pd.read_csv(res / "tables" / "rmse_table.tsv", sep="\t")
    assert len(table) == 6  # linear, cnn, kmer x euclidean, hyperbolic
    cnn_hyp = table.set_index(["model", "distance"]).loc[("cnn", "hyperbolic")]
    assert cnn_hyp["published_qiita_rmse_pct"] == 1.56
    assert table["mean_rmse_pct"].notna().all()
    split = json.loads((res / "splits" / "random-s1.json").read_text())
    assert (table["train_reads"] == len(split["train"])).all()
    trained = table[table["model"] != "kmer"]  # kmer: no epochs
    assert (trained["epochs_run"] <= trained["max_epochs"]).all()
    assert (trained["best_epoch"] <= trained["epochs_run"]).all()
    assert (table["train_minutes"] >= 0).all()
    claims = pd.read_csv(res / "tables" / "rmse_table_claims.tsv", sep="\t")
    assert list(claims["table"]) == ["ours", "paper"] and (claims["encoders"] == 2).all()
    dims = pd.read_csv(res / "tables" / "embedding_dim.tsv", sep="\t")
    assert sorted(dims["embedding_dim"].unique()) == [2, 16] and len(dims) == 4
    times = pd.read_csv(res / "tables" / "training_time.tsv", sep="\t")
    assert (times["wall_seconds"] > 0).all() and len(times) == 6
    rerun = smk(paper_run, "paper", "-n", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in rerun.stdout + rerun.stderr


def test_tuning_scores_trials_and_feeds_back(paper_run):
    import pandas as pd
    import yaml

    res = paper_run / "results" / "tiny"
    trials = pd.read_csv(res / "tables" / "tuning.tsv", sep="\t")
    assert len(trials) == 4 and set(trials["model"]) == {"linear", "cnn"}
    assert trials["val_rmse_pct"].notna().all()
    best = yaml.safe_load((res / "tuning" / "best.yaml").read_text())
    linear = best["encoders"]["linear"]
    # the tiny config's linear learning rate is {default: 0.01, euclidean: 1e-4}
    assert linear["learning_rate"]["default"] == 0.01
    assert linear["learning_rate"]["euclidean"] == 0.0001
    assert linear["learning_rate"]["hyperbolic"] in (0.001, 0.01)
    assert best["encoders"]["cnn"]["batch_size"]["default"] == 128
    # fed back, it retrains hyperbolic runs of the searched encoders only
    shutil.copy(res / "tuning" / "best.yaml", paper_run / "best.yaml")
    out = smk(paper_run, "-n", "--configfile", "tiny.yaml", "best.yaml").stdout
    trained = {
        line.split("/")[4] for line in out.splitlines() if "output: results/tiny/training" in line
    }
    assert trained <= {"linear-hyperbolic", "cnn-hyperbolic"} and trained, out


def test_report_holds_every_figure_and_the_config(paper_run):
    smk(paper_run, "paper", "--configfile", "tiny.yaml", "--report", "report.html")
    html = (paper_run / "report.html").read_text()
    assert len(html) > 100_000
    for name in PAPER_FIGURES:
        assert f"{name}.png" in html, name
        assert f"{name}.tsv" in html, name  # its table beside it
    assert "config.yaml" in html and "different dataset" in html


def _chromium(playwright):
    """The system's Chromium (or Playwright's own), headless; None where there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if exe := shutil.which(name):
            return playwright.chromium.launch(executable_path=exe, args=["--no-sandbox"])
    try:
        return playwright.chromium.launch()
    except Exception:  # Playwright without its downloaded browser
        return None


REPORT_MENU = "//li[normalize-space()='Results']/following-sibling::li//span"


def _report_rows(page, uri, category, kind):
    """The report opened at ``category``'s results of ``kind`` (figure, table): ``(name, eye
    button)`` of each; a category whose results share one set of labels filters by a toggle,
    another lists the kind in a column."""
    page.goto(uri)  # the menu: a category's page replaces it
    page.locator(REPORT_MENU).filter(has_text=category).first.click()
    rows = page.locator("tr").filter(has=page.locator("a[iconname=eye]"))
    rows.first.wait_for()
    toggled = page.locator("input[name=type]").count() > 0
    if toggled:
        if page.locator(f"input[name=type][value='{kind}']").count() == 0:
            return []
        page.locator(f"label[for='toggle-type-{kind}']").click()
    found = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        if toggled or cells[1] == kind:
            found.append((cells[0], rows.nth(i).locator("a[iconname=eye]")))
    return found


def test_the_report_works_in_a_browser(paper_run, tmp_path):
    """The report opened in headless Chromium, as a user would: no script error; every result
    category lists its figures and tables; each figure shows (a decoded PNG), each table
    downloads as the workflow's own TSV. CI installs Chromium and Playwright and sets
    NEUROSEED_REQUIRE_BROWSER=1, so there this test cannot skip."""
    required = os.environ.get("NEUROSEED_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("Playwright is not installed (pip install playwright; apt install chromium)")
    report = paper_run / "report.html"
    if not report.exists():
        smk(paper_run, "paper", "--configfile", "tiny.yaml", "--report", "report.html")
    tables = paper_run / "results" / "tiny" / "tables"
    seen = {"figure": set(), "table": set()}
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        if browser is None:
            assert not required, "no Chromium for Playwright"
            pytest.skip("no Chromium (apt install chromium)")
        page = browser.new_context(accept_downloads=True).new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(report.as_uri())
        categories = page.locator(REPORT_MENU).all_inner_texts()
        assert {"Accuracy", "Training", "Configuration"} <= set(categories), categories
        for category in categories:
            for kind in seen:
                count = len(_report_rows(page, report.as_uri(), category, kind))
                for i in range(count):  # each from the menu again: a figure replaces the list
                    name, eye = _report_rows(page, report.as_uri(), category, kind)[i]
                    if kind == "figure":
                        eye.click()
                        image = page.locator(f"img[src*='filename={name}.png']")
                        image.wait_for(state="visible")
                        assert image.evaluate("e => e.complete && e.naturalWidth") > 100, name
                    else:
                        with page.expect_download() as download:
                            eye.click()
                        saved = tmp_path / download.value.suggested_filename
                        download.value.save_as(saved)
                        assert saved.read_bytes() == (tables / f"{name}.tsv").read_bytes(), name
                    seen[kind].add(name)
        browser.close()
    assert set(PAPER_FIGURES) <= seen["figure"] and set(PAPER_FIGURES) <= seen["table"], seen
    assert not errors, errors


def test_bad_search_space_fails_in_one_line(tiny_run):
    (tiny_run / "space.yaml").write_text(
        json.dumps({"tuning": {"space": {"linear": {"filters": [8, 16]}}}})
    )
    proc = smk(tiny_run, "-n", "fig_tuning", "--configfile", "tiny.yaml", "space.yaml", check=False)
    assert proc.returncode != 0
    assert "tuning.space.linear.filters: not a setting of encoder 'linear'" in (
        proc.stdout + proc.stderr
    )
