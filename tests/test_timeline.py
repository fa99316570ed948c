"""Timeline buckets: the quiet periods between busy ones are shown, not skipped."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from newsidx.timeline import MAX_FILLED_BUCKETS, fill_gaps


def test_fills_weeks_across_a_year_with_53_weeks() -> None:
    filled = fill_gaps([("2020-W52", 1), ("2021-W02", 2)], "week")
    assert filled == [("2020-W52", 1), ("2020-W53", 0), ("2021-W01", 0), ("2021-W02", 2)]


def test_fills_months_and_years() -> None:
    assert fill_gaps([("2023-11", 1), ("2024-02", 2)], "month") == [
        ("2023-11", 1), ("2023-12", 0), ("2024-01", 0), ("2024-02", 2)]
    assert fill_gaps([("2022", 1), ("2024", 3)], "year") == [("2022", 1), ("2023", 0), ("2024", 3)]


def test_a_huge_span_is_left_alone() -> None:
    sparse = [("0001-01-01", 1), ("9999-12-31", 1)]
    assert fill_gaps(sparse, "day") == sparse
    assert fill_gaps([("1000", 1), ("9999", 1)], "year") == [("1000", 1), ("9999", 1)]
    assert len(fill_gaps([("1990", 1), ("2030", 1)], "year")) == 41


def test_a_span_just_under_the_limit_is_filled() -> None:
    first = date(2000, 1, 1)
    last = first + timedelta(days=MAX_FILLED_BUCKETS - 1)
    filled = fill_gaps([(first.isoformat(), 1), (last.isoformat(), 1)], "day")
    assert len(filled) == MAX_FILLED_BUCKETS


@given(st.lists(st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)),
                min_size=1, max_size=20, unique=True))
def test_filled_days_are_consecutive_and_keep_every_count(days: list[date]) -> None:
    days.sort()
    buckets = [(d.isoformat(), i + 1) for i, d in enumerate(days)]
    filled = fill_gaps(buckets, "day")
    keys = [date.fromisoformat(k) for k, _ in filled]
    assert keys[0] == days[0] and keys[-1] == days[-1]
    assert all(b - a == timedelta(days=1) for a, b in pairwise(keys))
    assert {k: n for k, n in filled if n} == dict(buckets)


def test_a_placeholder_far_from_the_rest_is_an_outlier() -> None:
    from newsidx.timeline import outliers

    days = [("1970-01-01", 1), *((f"2024-03-{d:02d}", 5) for d in range(1, 21))]
    assert outliers(days) == (1, 0)
    assert outliers([*days[1:], ("2099-01-01", 1)]) == (0, 1)
    assert outliers(days[1:]) == (0, 0)
    # a busy far-off year is no outlier, nor is a short gap
    assert outliers([("1970-01-01", 50), *days[1:]]) == (0, 0)
    assert outliers([("2023-10-01", 1), *days[1:]]) == (0, 0)


def test_runs_of_empty_periods_collapse() -> None:
    from newsidx.timeline import collapse_empty

    rows = collapse_empty([("a", 1), ("b", 0), ("c", 0), ("d", 2), ("e", 0), ("f", 3)])
    assert rows == [("a", 1, 1), ("b–c", 0, 2), ("d", 2, 1), ("e", 0, 1), ("f", 3, 1)]
