"""PATRIC/BV-BRC retrieval against fakes: p3-* commands on PATH and an RQL server on 127.0.0.1."""

import json
import os
import sys
from pathlib import Path

import pytest

from neuroseed import NeuroseedError, patric
from neuroseed.io import read_fasta
from neuroseed.patric import Feature, Query, fetch, fetch_p3, fetch_rest, postprocess, process

FAKES = Path(__file__).resolve().parent / "fakes"
sys.path.insert(0, str(FAKES))
from bvbrc import DECOY, PHES, FakeApi, make_data  # noqa: E402

QUERY = {
    "genome_filters": {"reference_genome": "Representative"},
    "feature_type": "CDS",
    "product": PHES,
    "min_length": 150,
    "one_per_genome": False,
}


@pytest.fixture
def data_file(tmp_path, monkeypatch):
    path = tmp_path / "bvbrc.json"
    path.write_text(json.dumps(make_data()))
    monkeypatch.setenv("FAKE_BVBRC_DATA", str(path))
    return path


@pytest.fixture
def fake_p3(data_file, monkeypatch):
    monkeypatch.setenv("PATH", f"{FAKES / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", str(FAKES))


def test_rest_pages_retries_and_encodes(tmp_path):
    with FakeApi(make_data(), fail_first=1) as api:
        q = Query.of(**QUERY, method="rest", base_url=api.url, page_size=7, batch_size=10,
                  backoff_seconds=0.01)  # fmt: skip
        feats = fetch_rest(q, tmp_path)
    genome_pages = [b for c, b in api.requests if c == "genome"]
    assert len(genome_pages) == 6  # 40 genomes in pages of 7
    assert any("limit(7,35)" in b for b in genome_pages)
    assert sum(c == "feature_sequence" for c, _ in api.requests) >= 2  # a 503, then success
    feature_bodies = [b for c, b in api.requests if c == "genome_feature"]
    assert all("%28EC%206.1.1.20%29" in b for b in feature_bodies)  # "(EC ...)" URL-encoded
    # the API matched words, so the beta chain came back too: exact filtering is ours to do
    assert {f.product for f in feats} == {PHES, DECOY}
    assert {f.genome_id for f in feats} == {f"{1000 + g}.{g % 7 + 1}" for g in range(40)}
    for name in ("genomes.json", "features.json", "sequences.json"):
        assert (tmp_path / name).stat().st_size > 0  # raw answers kept


def test_p3_and_rest_fetch_the_same_features(tmp_path, fake_p3):
    (tmp_path / "p3").mkdir()
    p3 = fetch_p3(Query.of(**QUERY), tmp_path / "p3")
    with FakeApi(make_data()) as api:
        (tmp_path / "rest").mkdir()
        rest = fetch_rest(
            Query.of(**QUERY, base_url=api.url, backoff_seconds=0.01), tmp_path / "rest"
        )
    key = lambda f: (f.patric_id, f.product, f.sequence)  # noqa: E731
    assert sorted(map(key, p3)) == sorted(map(key, rest))
    assert (tmp_path / "p3" / "features.tsv").read_text().startswith("feature.patric_id\t")


def test_postprocess_exact_lengths_dedup_and_order():
    feats = [
        Feature("fig|2.1.peg.5", "2.1", PHES, "acgtacgt"),
        Feature("fig|1.1.peg.9", "1.1", PHES, "ACGTACGT"),
        Feature("fig|1.1.peg.3", "1.1", DECOY, "TTTTTTTT"),
        Feature("fig|1.1.peg.4", "1.1", PHES + " fragment", "GGGGGGGG"),
        Feature("fig|3.1.peg.1", "3.1", PHES, "ACG"),
        Feature("fig|3.1.peg.2", "3.1", PHES, "CCCCCCCC"),
        Feature("fig|3.1.peg.7", "3.1", PHES, "CCCCAAAA"),
    ]
    out, report = postprocess(feats, Query.of(product=PHES, min_length=5))
    assert [f.patric_id for f in out] == ["fig|1.1.peg.9", "fig|3.1.peg.2", "fig|3.1.peg.7"]
    assert report["collapsed_duplicates"] == {"fig|1.1.peg.9": ["fig|2.1.peg.5"]}
    assert report["counts"] == {"fetched": 7, "exact_product": 5, "no_sequence": 0,
                                "length_bounds": 4, "distinct_sequences": 3}  # fmt: skip
    out, _ = postprocess(feats, Query.of(product=PHES, min_length=5, one_per_genome=True))
    assert [f.patric_id for f in out] == ["fig|1.1.peg.9", "fig|3.1.peg.2"]


def test_fetch_then_process_writes_patric_fasta(tmp_path, fake_p3):
    q = Query.of(**QUERY)
    fetch(q, tmp_path / "raw")
    process(q, tmp_path / "raw", tmp_path / "s.fasta", tmp_path / "prov.json")
    recs = read_fasta(tmp_path / "s.fasta")
    assert recs[0][1].startswith("fig|1000.1.peg.100 Phenylalanyl-tRNA synthetase alpha chain")
    assert all(PHES in header for _, header, _ in recs)
    prov = json.loads((tmp_path / "prov.json").read_text())
    assert prov["method"] == "p3" and prov["tool"].startswith("p3-scripts fake-p3")
    assert prov["counts"]["exact_product"] < prov["counts"]["fetched"]
    assert prov["collapsed_duplicates"]  # genomes 5 and 6 share a sequence


def test_no_network_is_one_clear_error(tmp_path):
    q = Query.of(**QUERY, method="rest", base_url="http://127.0.0.1:9/api", retries=2,
              backoff_seconds=0.01, timeout_seconds=2)  # fmt: skip
    with pytest.raises(
        NeuroseedError, match=r"cannot get http://127.0.0.1:9/api/genome/ after 2 tries"
    ):
        fetch(q, tmp_path / "raw")
    assert not (tmp_path / "raw" / "fetched.json").exists()


def test_empty_result_and_http_errors(tmp_path):
    with FakeApi(make_data()) as api:
        empty = Query.of(**{**QUERY, "genome_filters": {"genus": "Nonexistia"}}, base_url=api.url)
        with pytest.raises(NeuroseedError, match="returned no features"):
            fetch(empty, tmp_path / "a")
        bad = Query.of(**QUERY, base_url=api.url + "/nope")
        with pytest.raises(NeuroseedError, match="HTTP 404"):
            fetch(bad, tmp_path / "b")


@pytest.mark.parametrize("content_range, page_size", [(False, 1), (True, 7)])
def test_rest_server_ignoring_the_offset_is_a_clear_error(tmp_path, content_range, page_size):
    # The same first page over and over: without Content-Range paging never ended (26,454
    # requests in 60 s); with it the first records came back repeated up to the total.
    with FakeApi(make_data(), ignore_offset=True, content_range=content_range,
                 max_requests=100) as api:  # fmt: skip
        q = Query.of(**QUERY, base_url=api.url, page_size=page_size, backoff_seconds=0.01)
        with pytest.raises(
            NeuroseedError,
            match=rf"/api/genome/: the server returned the same page again at offset {page_size} "
            r"\(it ignores the offset of limit\(\)\); check source.patric.base_url",
        ):
            fetch(q, tmp_path / "raw")
    assert len(api.requests) == 2
    assert not (tmp_path / "raw" / "fetched.json").exists()


def test_rest_paging_has_an_upper_bound(tmp_path, monkeypatch):
    # a server whose pages differ but never end (say, it ignores the offset and shuffles)
    monkeypatch.setattr(patric, "MAX_PAGES", 3)
    with FakeApi(make_data(), content_range=False) as api:
        q = Query.of(**QUERY, base_url=api.url, page_size=7, backoff_seconds=0.01)
        with pytest.raises(NeuroseedError, match=r"/api/genome/: more than 3 pages of 7 records"):
            fetch(q, tmp_path / "raw")
    assert len(api.requests) == 3


@pytest.mark.parametrize("collection", ["genome", "genome_feature", "feature_sequence"])
def test_rest_answer_that_is_not_records_is_a_clear_error(tmp_path, collection):
    with FakeApi(make_data(), answers={collection: [1, 2, 3]}) as api:
        q = Query.of(**QUERY, base_url=api.url, backoff_seconds=0.01)
        with pytest.raises(
            NeuroseedError,
            match=rf"/api/{collection}/: expected a list of records \(JSON objects\), "
            r"got int at item 0$",
        ):
            fetch(q, tmp_path / "raw")


def test_null_sequences_are_counted_and_named(tmp_path):
    data = make_data()
    by_id = {f["patric_id"]: f["na_sequence_md5"] for f in data["features"]}
    for pid in ("fig|1000.1.peg.100", "fig|1001.2.peg.101", "fig|1007.1.peg.107"):
        data["sequences"][by_id[pid]] = None  # "sequence": null in the server's answer
    with FakeApi(data) as api:
        q = Query.of(**QUERY, base_url=api.url, backoff_seconds=0.01)
        fetch(q, tmp_path / "raw")
        process(q, tmp_path / "raw", tmp_path / "s.fasta", tmp_path / "prov.json")
        prov = json.loads((tmp_path / "prov.json").read_text())
        assert prov["counts"]["no_sequence"] == 3
        assert "fig|1000.1.peg.100" not in (tmp_path / "s.fasta").read_text()
        data["sequences"] = dict.fromkeys(data["sequences"])  # every sequence null
        fetch(q, tmp_path / "raw2")
        with pytest.raises(
            NeuroseedError,
            match=r"^PATRIC: no features left: 82 fetched, 42 with the exact product .*, "
            r"42 of them with no sequence from the server \(null or empty\), "
            r"0 with a sequence of length 150\.\.; raw answers in ",
        ):
            process(q, tmp_path / "raw2", tmp_path / "s2.fasta", tmp_path / "prov2.json")


def test_p3_forced_without_tools_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NeuroseedError, match="are not all on PATH"):
        fetch(Query.of(**QUERY, method="p3"), tmp_path / "raw")


def workflow_config(work, dataset, **patric):
    cfg = {
        "dataset": dataset,
        "source": {"type": "patric", "n_sequences": None, "patric": {**QUERY, **patric}},
        "training": {"encoders": ["linear"], "distances": ["hyperbolic"]},
    }
    (work / f"{dataset}.yaml").write_text(json.dumps(cfg))
    return f"{dataset}.yaml"


def check_trained(work, dataset):
    res = work / "results" / dataset
    recs = read_fasta(res / "sequences" / "sequences.fasta")
    assert len(recs) >= 30 and all(r[0].startswith("fig|") for r in recs)
    assert recs[0][1].startswith("fig|1000.1.peg.100 Phenylalanyl-tRNA synthetase alpha chain")
    m = json.loads((res / "training/random-s1/linear-hyperbolic/seed0/metrics.json").read_text())
    assert m["test_rmse_pct"] > 0
    assert (res / "figures" / "rmse.png").exists()


@pytest.mark.workflow
def test_workflow_through_p3_scripts(tmp_path, fake_p3):
    from conftest import copy_workflow, smk

    work = copy_workflow(tmp_path)
    cfg = workflow_config(work, "phesp3", method="p3")
    smk(work, "--configfile", "tiny.yaml", cfg)
    check_trained(work, "phesp3")
    prov = json.loads((work / "results/phesp3/raw/patric_provenance.json").read_text())
    assert prov["method"] == "p3"
    # post-processing settings reprocess the raw answers without refetching
    cfg2 = workflow_config(work, "phesp3", method="p3", min_length=200)
    out = smk(work, "-n", "--configfile", "tiny.yaml", cfg2).stdout
    assert "process_patric" in out and "fetch_patric" not in out


@pytest.mark.workflow
def test_workflow_through_the_rest_api(tmp_path, data_file):
    from conftest import copy_workflow, smk

    work = copy_workflow(tmp_path)
    with FakeApi(json.loads(data_file.read_text()), fail_first=1) as api:
        cfg = workflow_config(work, "phesrest", method="rest", base_url=api.url, page_size=9,
                              backoff_seconds=0.01)  # fmt: skip
        smk(work, "--configfile", "tiny.yaml", cfg)
    check_trained(work, "phesrest")
    raw = work / "results/phesrest/raw/patric"
    assert {p.name for p in raw.iterdir()} >= {"genomes.json", "features.json", "sequences.json"}
    assert any(c == "feature_sequence" for c, _ in api.requests)


def test_malformed_p3_table_is_a_clear_error(tmp_path, fake_p3, monkeypatch):
    broken = tmp_path / "bin"
    broken.mkdir()
    tool = broken / "p3-get-genome-features"
    table = "feature.patric_id\\tfeature.product\\nfig|1.1.peg.1\\tX\\n"
    tool.write_text(f"#!/bin/sh\ncat >/dev/null\nprintf '{table}'\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "raw").mkdir()
    with pytest.raises(
        NeuroseedError,
        match=r"malformed p3-get-genome-features table \(columns \['genome_id'\] missing\)",
    ):
        fetch_p3(Query.of(**QUERY), tmp_path / "raw")


def test_rest_answer_that_is_an_object_is_a_clear_error(tmp_path):
    with FakeApi(make_data(), answers={"genome": {"error": "busy"}}) as api:
        q = Query.of(**QUERY, base_url=api.url, backoff_seconds=0.01)
        with pytest.raises(NeuroseedError, match=r"/api/genome/: expected a list of records"):
            fetch(q, tmp_path / "raw")
