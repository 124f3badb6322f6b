"""In-silico amplicons (source.region)."""

import json

import numpy as np

from neuroseed.config import load_schema, with_defaults
from neuroseed.regions import REGIONS, amplicon_read, cut, reverse_complement
from neuroseed.sequences import prepare

V4 = REGIONS["v4"]


def amplicon(insert: str, forward="GTGCCAGCAGCCGCGGTAA", reverse="GGACTACCAGGGTATCTAAT"):
    """A full-length-like sequence: flank, forward primer, insert, reverse primer site, flank."""
    return "ACGT" * 10 + forward + insert + reverse_complement(reverse) + "TTGA" * 10


def random_insert(seed, n=253):
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), size=n))


def test_the_read_follows_the_forward_primer_and_degenerate_bases_match():
    insert = random_insert(0)
    # M in 515F matches A or C; H and V and W in 806R match what they stand for
    for forward in ("GTGCCAGCAGCCGCGGTAA", "GTGCCAGCCGCCGCGGTAA"):
        assert amplicon_read(amplicon(insert, forward), V4) == insert[:152]
    assert amplicon_read(amplicon(insert).lower().replace("t", "u"), V4) == insert[:152]
    assert amplicon_read(amplicon(insert, forward="GTGCCAGCGGCCGCGGTAA"), V4) is None  # G != M
    assert amplicon_read(amplicon(insert, reverse="GGACTACGAGGGTATCTAAT"), V4) is None  # G != H
    assert amplicon_read(amplicon(insert[:100]), V4) is None  # amplicon shorter than the read


def test_cut_keeps_each_read_once_and_counts_what_it_left_out():
    a, b = random_insert(1), random_insert(2)
    records = [
        ("r1", "r1 x", amplicon(a)),
        ("r2", "r2", amplicon(a[:152] + b[152:])),  # the same read
        ("r3", "r3", amplicon(b)),
        ("r4", "r4", "ACGT" * 100),  # no primers
    ]
    reads, counts = cut(records, "v4")
    assert [r[0] for r in reads] == ["r1", "r3"] and reads[0][1] == "r1 x"
    assert all(len(r[2]) == 152 for r in reads)
    assert counts["without_amplicon"] == 1 and counts["duplicate_reads"] == 1
    assert counts["reads"] == 2 and counts["records"] == 4
    assert cut(records, "full") == (records, {"region": "full"})


def test_the_schema_names_every_region_there_is():
    enum = load_schema()["properties"]["source"]["properties"]["region"]["enum"]
    assert set(enum) == {"full", *REGIONS}


def test_a_v4_dataset_is_drawn_from_reads(tmp_path):
    fasta = tmp_path / "in.fasta"
    fasta.write_text("".join(f">s{i}\n{amplicon(random_insert(i))}\n" for i in range(12)))
    config = with_defaults({"dataset": "x", "source": {"type": "fasta", "fasta": str(fasta)}})
    config["source"].update(region="v4", n_sequences=8)
    prepare(config["source"], config["sequences"], tmp_path / "o.fasta", tmp_path / "p.json")
    lines = (tmp_path / "o.fasta").read_text().split()
    assert len(lines) == 16 and all(len(s) == 152 for s in lines[1::2])
    provenance = json.loads((tmp_path / "p.json").read_text())
    assert provenance["region"]["reads"] == 12 and provenance["drawn"] == 8
