"""Date expressions for --since/--until and the after:/before:/on: filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsidx.errors import QueryError
from newsidx.timeparse import parse_since, parse_span, parse_until

NOW = datetime(2024, 3, 31, 12, 30, tzinfo=timezone.utc)
UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
        ("2024-02", datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
        ("2023-12", datetime(2023, 12, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-02-29", datetime(2024, 2, 29, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
        ("March 2024", datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)),
        ("5 Mar 2024", datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC)),
        ("today", datetime(2024, 3, 31, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)),
        ("yesterday", datetime(2024, 3, 30, tzinfo=UTC), datetime(2024, 3, 31, tzinfo=UTC)),
        ("last week", datetime(2024, 3, 18, tzinfo=UTC), datetime(2024, 3, 25, tzinfo=UTC)),
        ("Last  Month", datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
    ],
)
def test_spans(text: str, start: datetime, end: datetime) -> None:
    span = parse_span(text, now=NOW)
    assert (span.start, span.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("7 days ago", timedelta(days=7)),
        ("3 weeks ago", timedelta(weeks=3)),
        ("2 hours ago", timedelta(hours=2)),
        ("a day ago", timedelta(days=1)),
    ],
)
def test_relative_instants(text: str, delta: timedelta) -> None:
    span = parse_span(text, now=NOW)
    assert span.start == span.end == NOW - delta


def test_months_ago_clamps_the_day() -> None:
    assert parse_since("1 month ago", now=NOW) == datetime(2024, 2, 29, 12, 30, tzinfo=UTC)


def test_offsets_become_utc_and_naive_is_utc() -> None:
    assert parse_since("2024-03-05T10:00+08:00", now=NOW) == datetime(2024, 3, 5, 2, tzinfo=UTC)
    assert parse_since("2024-03-05 10:00", now=NOW) == datetime(2024, 3, 5, 10, tzinfo=UTC)


def test_since_and_until_take_whole_partial_dates() -> None:
    assert parse_since("2024-03", now=NOW) == datetime(2024, 3, 1, tzinfo=UTC)
    assert parse_until("2024-03", now=NOW) == datetime(2024, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["soon", "", "2024-13", "banana 12", "5 Mar", "0000"])
def test_nonsense_is_a_clear_error(text: str) -> None:
    with pytest.raises(QueryError, match="date"):
        parse_span(text, now=NOW)


@given(st.text(max_size=30))
def test_never_raises_anything_but_query_error(text: str) -> None:
    try:
        span = parse_span(text, now=NOW)
    except QueryError:
        return
    assert span.start.tzinfo is not None and span.start <= span.end
