"""Exact search: verification in the embedding's order, the calibrated stop, certificates."""

import numpy as np
import pytest

from neuroseed.edit_distance import edit_distance_matrix
from neuroseed.verify import (
    Bounds,
    Stop,
    Trial,
    competition_ranks,
    fit_stop,
    kmer_sets,
    trials,
    trials_from_arrays,
    trials_to_arrays,
    verify,
    verify_one,
)


def mutate(seq, rng, rate):
    out = []
    for base in seq:
        r = rng.random()
        if r < rate / 3:
            continue  # deletion
        if r < 2 * rate / 3:
            out.append(rng.choice(list("ACGT")))  # substitution
        else:
            out.append(base)
        if rng.random() < rate / 3:
            out.append(rng.choice(list("ACGT")))  # insertion
    return "".join(out)


def families(seed=0, n_families=8, size=12, length=120):
    """References in families of relatives (what search is for), and queries drawn beside
    them, with every query-reference edit distance."""
    rng = np.random.default_rng(seed)
    refs, queries = [], []
    for _ in range(n_families):
        root = "".join(rng.choice(list("ACGT"), size=length))
        refs += [mutate(root, rng, rng.uniform(0.02, 0.2)) for _ in range(size)]
        queries += [mutate(root, rng, 0.1) for _ in range(2)]
    exact = edit_distance_matrix(queries + refs)[: len(queries), len(queries) :]
    return queries, refs, exact.astype(np.int64)


def noisy_estimates(exact, rng, noise):
    return exact + rng.normal(scale=noise, size=exact.shape)


def ordered(est):
    idx = np.argsort(est, axis=1, kind="stable")
    return list(idx), [e[i] for e, i in zip(est, idx, strict=True)]


def test_verifying_every_candidate_is_exact_nearest_neighbour_search_with_ties():
    queries, refs, exact = families()
    est = noisy_estimates(exact, np.random.default_rng(1), 20.0)
    idx, sorted_est = ordered(est)
    for answer, row in zip(verify(queries, refs, idx, sorted_est, 3), exact, strict=True):
        third = np.sort(row)[2]
        truth = np.flatnonzero(row <= third)  # the 3 nearest and every reference tied with them
        assert sorted(answer.refs) == sorted(truth)
        np.testing.assert_array_equal(answer.exact, np.sort(row[truth]))
        assert answer.verified == len(refs)


def test_an_earlier_round_is_continued_not_repeated():
    queries, refs, exact = families(seed=2)
    est = noisy_estimates(exact, np.random.default_rng(3), 10.0)
    idx, sorted_est = ordered(est)
    q = 0
    first = verify_one(queries[q], refs, idx[q][:20], sorted_est[q][:20], 5)
    both = verify_one(queries[q], refs, idx[q], sorted_est[q], 5, before=first)
    whole = verify_one(queries[q], refs, idx[q], sorted_est[q], 5)
    assert both.verified == len(refs) and len(np.unique(both.seen)) == len(refs)
    np.testing.assert_array_equal(both.exact, whole.exact)


def test_the_stop_verifies_fewer_and_keeps_the_nearest_when_estimates_are_good():
    queries, refs, exact = families(seed=4)
    rng = np.random.default_rng(5)
    est = noisy_estimates(exact, rng, 3.0)
    idx, sorted_est = ordered(est)
    answers = verify(queries, refs, idx, sorted_est, 1, Stop(slack=15.0, factor=1.0))
    assert np.mean([a.verified for a in answers]) < len(refs) / 3
    assert all(a.exact[0] == row.min() for a, row in zip(answers, exact, strict=True))
    # a stop that trusts the estimates blindly misses true nearest neighbours
    blind = verify(queries, refs, idx, sorted_est, 1, Stop(slack=-1e9, factor=1.0))
    assert all(a.verified == 8 for a in blind)  # the first batch only


def test_the_calibrated_stop_reaches_its_recall_on_fresh_queries():
    """Calibrated on some queries, the stop keeps (about) its promise on others."""
    rng = np.random.default_rng(6)
    queries, refs, exact = families(seed=6, n_families=16, size=16)
    est = noisy_estimates(exact, rng, 12.0)
    idx, sorted_est = ordered(est)

    def trial(q):
        x = np.array([exact[q][j] for j in idx[q]])
        hit = np.flatnonzero(x == x.min())[0]
        return Trial(sorted_est[q], x, int(hit))

    half = len(queries) // 2
    stop, summary = fit_stop([trial(q) for q in range(half)], 0.9, 10**6)
    assert summary["recall_calibrated"] >= 0.9
    assert summary["verified_mean"] < len(refs)
    answers = verify(queries[half:], refs, idx[half:], sorted_est[half:], 1, stop)
    found = [a.exact[0] == row.min() for a, row in zip(answers, exact[half:], strict=True)]
    assert np.mean(found) >= 0.75


def test_leave_one_out_trials_find_the_true_nearest_among_the_other_references():
    _, refs, _ = families(seed=7)
    d = edit_distance_matrix(refs).astype(np.int64)
    pseudo = np.array([0, 5, 40])
    lists = [np.argsort(d[p] + 3.0, kind="stable")[:10] for p in pseudo]  # itself included
    made = trials(refs, pseudo, lists, [np.sort(d[p])[:10] + 3.0 for p in pseudo])
    for p, t in zip(pseudo, made, strict=True):
        others = np.delete(d[p], p)
        assert len(t.estimates) == len(t.exact) == 9  # the query itself left out
        if t.truth >= 0:
            assert t.exact[t.truth] == others.min()
    round_trip = trials_from_arrays(*trials_to_arrays(made).values())
    for a, b in zip(made, round_trip, strict=True):
        np.testing.assert_array_equal(a.exact, b.exact)
        assert a.truth == b.truth


def test_the_lower_bound_never_exceeds_the_edit_distance():
    queries, refs, exact = families(seed=8)
    refs = refs + ["ACGTNNACGT" * 10, "A" * 30]  # ambiguity codes and a short one
    exact = edit_distance_matrix(queries + refs)[: len(queries), len(queries) :]
    bounds = Bounds.of(refs, k=5)
    for q, row in zip(queries, exact, strict=True):
        lower = bounds.lower(len(q), kmer_sets([q], 5)[0], np.arange(len(refs)))
        assert (lower <= row).all()
        assert lower.max() > 0


@pytest.mark.parametrize("close", [True, False])
def test_certificates_hold_only_when_nothing_left_can_be_nearer(close):
    rng = np.random.default_rng(9)
    queries, refs, _ = families(seed=9)
    query = refs[3] if close else queries[0]  # an exact copy of a reference: certifiable
    row = edit_distance_matrix([query] + refs)[0, 1:].astype(np.int64)
    est = row + rng.normal(scale=5.0, size=row.shape)
    order = np.argsort(est, kind="stable")
    answer = verify_one(query, refs, order, est[order], 1, Stop(slack=5.0, factor=1.0))
    bounds = Bounds.of(refs)
    certified = bounds.certify(query, answer.exact[0], answer.seen, order[answer.verified :][:64])
    lower = bounds.lower(len(query), kmer_sets([query])[0], np.arange(len(refs)))
    unverified = np.setdiff1d(np.arange(len(refs)), answer.seen)
    assert certified == bool((lower[unverified] > answer.exact[0]).all())
    if close:
        assert certified and answer.exact[0] == 0


def test_tied_hits_share_a_rank():
    np.testing.assert_array_equal(competition_ranks(np.array([3, 5, 5, 7])), [1, 2, 2, 4])


def test_trials_of_other_queries_leave_no_reference_out_and_the_slack_is_never_negative():
    """Calibration on sequences that are not references (``queries``): every reference may be
    their nearest. Trials that all find their nearest first give the stop nothing to fit: it
    still verifies every candidate estimated within the factor of the best found."""
    queries, refs, _ = families(seed=9)
    d = edit_distance_matrix(queries + refs).astype(np.int64)[: len(queries), len(queries) :]
    pseudo = np.array([0, 3])
    lists = [np.argsort(d[p], kind="stable")[:10] for p in pseudo]
    made = trials(refs, pseudo, lists, [np.sort(d[p])[:10] * 1.0 for p in pseudo], queries=queries)
    for p, t in zip(pseudo, made, strict=True):
        assert len(t.exact) == 10 and t.exact[t.truth] == d[p].min()
    stop, _ = fit_stop(made, 0.995, 10**6)
    assert stop.slack == 0.0 and stop.factor > 0
