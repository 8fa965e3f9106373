"""Plain counters: histogram buckets and the label-set cap."""

from __future__ import annotations

from lavalink_py.metrics.counters import OTHER, Histogram, HttpStats, KeyedCounts, KeyedHistograms


def test_histogram_buckets_are_cumulative_and_inclusive_of_their_bound() -> None:
    hist = Histogram((0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 2.0):
        hist.observe(value)
    assert hist.cumulative() == [("0.1", 2.0), ("1.0", 3.0), ("+Inf", 4.0)]
    assert hist.count == 4
    assert abs(hist.sum - 2.65) < 1e-9


def test_keyed_counts_fold_label_sets_past_the_cap_into_other() -> None:
    counts: KeyedCounts[str] = KeyedCounts(OTHER, max_keys=2)
    for key in ("a", "b", "c", "d", "a"):
        counts.add(key)
    assert dict(counts.items()) == {"a": 2, "b": 1, OTHER: 2}


def test_keyed_histograms_fold_past_the_cap() -> None:
    hists: KeyedHistograms[str] = KeyedHistograms((1.0,), OTHER, max_keys=1)
    hists.observe("a", 0.5)
    hists.observe("b", 0.5)
    hists.observe("c", 2.0)
    assert {k: h.count for k, h in hists.items()} == {"a": 1, OTHER: 2}


def test_http_stats_count_errors_only_from_400() -> None:
    http = HttpStats()
    http.observe("GET", "/v4/info", 200, 0.01, 100)
    http.observe("GET", "/v4/sessions/{session_id}", 404, 0.01, 50)
    assert dict(http.requests.items()) == {
        ("GET", "/v4/info", "200"): 1,
        ("GET", "/v4/sessions/{session_id}", "404"): 1,
    }
    assert dict(http.errors.items()) == {("GET", "/v4/sessions/{session_id}", "404"): 1}
