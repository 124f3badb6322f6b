import pytest

from neuroseed import NeuroseedError
from neuroseed.sequences import Record, clean_records, fasta_md5, load_records
from neuroseed.sources import greengenes_paths


def recs(*seqs):
    return [Record(f"s{i}", f"s{i}", s) for i, s in enumerate(seqs)]


def test_keep_policy_keeps_ambiguity_codes_and_normalises():
    out, rep = clean_records(recs("acgu", "AC-GN", "AC.GT"), "keep", 1)
    assert [r.sequence for r in out] == ["ACGT", "ACGN", "ACGT"]
    assert rep.with_ambiguity_codes == 1 and rep.ungapped == 2 and rep.rna_converted == 1


def test_replace_and_drop_policies():
    out, rep = clean_records(recs("ACRY", "ACGT"), "replace_n", 1)
    assert [r.sequence for r in out] == ["ACNN", "ACGT"] and rep.ambiguity_replaced == 1
    out, rep = clean_records(recs("ACRY", "ACGT"), "drop", 1)
    assert [r.id for r in out] == ["s1"] and rep.dropped_ambiguous == 1


def test_error_policy_names_record_and_character():
    with pytest.raises(
        NeuroseedError, match=r"in.fa: record 's0' has ambiguity code 'R' at position 3"
    ):
        clean_records(recs("ACRT"), "error", 1, source="in.fa")


def test_invalid_character_is_always_an_error():
    for policy in ("keep", "replace_n", "drop"):
        with pytest.raises(
            NeuroseedError, match=r"record 's1' has invalid character 'X' at position 2"
        ):
            clean_records(recs("ACGT", "AXGT"), policy, 1)


def test_min_length_filter_counts_and_empty_result_errors():
    out, rep = clean_records(recs("ACGTACGT", "ACG"), "keep", 5)
    assert [r.id for r in out] == ["s0"] and rep.dropped_short == 1
    with pytest.raises(NeuroseedError, match="no sequence left"):
        clean_records(recs("ACG"), "keep", 5)


def test_unknown_policy():
    with pytest.raises(NeuroseedError, match="unknown policy"):
        clean_records(recs("ACGT"), "maybe", 1)


def test_gg2000_is_the_benchmark_dataset():
    """The default draw reproduces the published gg2000 checksum (docs/reference.md)."""
    fasta, _ = greengenes_paths()
    records = load_records(fasta, 2000, 0)
    out, rep = clean_records(records, "keep", 100)
    assert len(out) == 2000 and rep.with_ambiguity_codes == 213
    assert max(len(r.sequence) for r in out) == 2033
    assert fasta_md5(out) == "b9b401b9eb90f682a63b690c303ad861"


def test_sample_size_out_of_range(fasta):
    path = fasta([("a", "ACGT"), ("b", "ACGT")])
    with pytest.raises(NeuroseedError, match="source.n_sequences: 5 is outside 1..2"):
        load_records(path, 5, 0)


def test_every_dropped_id_is_recorded_with_its_reason():
    out, rep = clean_records(recs("ACGTACGT", "ACG", "ACGTRCGT", "ACGTACGTACGTACGT"), "drop", 5,
                             max_length=10)  # fmt: skip
    assert [r.id for r in out] == ["s0"]
    assert rep.dropped == {
        "s1": "3 nt, shorter than sequences.min_length 5",
        "s2": "has ambiguity codes and sequences.ambiguous is 'drop'",
        "s3": "16 nt, longer than sequences.max_length 10",
    }
    assert rep.dropped_long == 1


def test_a_length_outlier_fails_unless_max_length_is_set():
    from neuroseed.sequences import check_dataset

    records = recs(*(["ACGT" * 25] * 6 + ["ACGT" * 2000]))  # 100 nt x 6 and one 8 kb record
    records[0] = Record("s0", "s0", "ACGA" * 25)
    with pytest.raises(NeuroseedError) as err:
        check_dataset(records, "in.fasta", None)
    assert str(err.value) == (
        "in.fasta: record 's6' is 8000 nt, 80x the median 100 nt, and would set the padded "
        "length L of every sequence; drop such records with sequences.max_length (e.g. 300) or "
        "keep them with sequences.max_length: 8000"
    )
    check_dataset(records, "in.fasta", 8000)  # kept on purpose


@pytest.mark.parametrize(
    "seqs, message",
    [
        (["ACGTACGT"] * 8, "all 8 sequences are identical: every edit distance is 0"),
        (["ACGTACGT", "ACGTACGA"], "only 2 sequences left after validation; a train/validation/"
                                   "test split needs at least 6"),
    ],
)  # fmt: skip
def test_degenerate_datasets_fail_at_the_sequence_stage(seqs, message):
    from neuroseed.sequences import check_dataset

    with pytest.raises(NeuroseedError, match=message):
        check_dataset(recs(*seqs), "in.fasta", None)
