"""Every date form → one aware UTC instant, the text as written, and its offset."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsidx.dates import date_from_file_name, format_offset, parse_date

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "instant", "offset", "zoneless"),
    [
        ("2024-03-05T09:10:00Z", datetime(2024, 3, 5, 9, 10, tzinfo=UTC), "+00:00", False),
        ("2024-03-05T09:10:00+08:00", datetime(2024, 3, 5, 1, 10, tzinfo=UTC), "+08:00", False),
        ("2024-03-05 09:10 +0800", datetime(2024, 3, 5, 1, 10, tzinfo=UTC), "+08:00", False),
        ("2023-12-25 00:00:00 +0000", datetime(2023, 12, 25, tzinfo=UTC), "+00:00", False),
        ("2024-03-05T09:10:00", datetime(2024, 3, 5, 9, 10, tzinfo=UTC), None, True),
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC), None, True),
        ("March 5, 2024", datetime(2024, 3, 5, tzinfo=UTC), None, True),
        ("Tue, 05 Mar 2024 09:10:00 +0000", datetime(2024, 3, 5, 9, 10, tzinfo=UTC), "+00:00",
         False),
        ("Tue, 05 Mar 2024 04:10:00 EST", datetime(2024, 3, 5, 9, 10, tzinfo=UTC), "-05:00",
         False),
        ("1709629800", datetime(2024, 3, 5, 9, 10, tzinfo=UTC), "+00:00", False),
        (1709629800, datetime(2024, 3, 5, 9, 10, tzinfo=UTC), "+00:00", False),
        (1709629800000, datetime(2024, 3, 5, 9, 10, tzinfo=UTC), "+00:00", False),
        (20240305, datetime(2024, 3, 5, tzinfo=UTC), None, True),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "+00:00",
         False),
        (date(2024, 3, 5), datetime(2024, 3, 5, tzinfo=UTC), None, True),
        (datetime(2024, 3, 5, 9, 10), datetime(2024, 3, 5, 9, 10, tzinfo=UTC), None, True),
        (datetime(2024, 3, 5, 9, 10, tzinfo=timezone(timedelta(hours=5, minutes=30))),
         datetime(2024, 3, 5, 3, 40, tzinfo=UTC), "+05:30", False),
    ],
)
def test_forms(value: object, instant: datetime, offset: str | None, zoneless: bool) -> None:
    parsed = parse_date(value)
    assert parsed.instant == instant
    assert parsed.instant is not None and parsed.instant.utcoffset() == timedelta(0)
    assert parsed.offset == offset
    assert parsed.zoneless is zoneless
    assert parsed.warning is None


def test_raw_text_is_kept_as_written() -> None:
    assert parse_date(" 2024-03-05 09:10 +0800 ").raw == "2024-03-05 09:10 +0800"
    assert parse_date(date(2024, 3, 5)).raw == "2024-03-05"


@pytest.mark.parametrize(
    "value",
    ["2024-02-30", "2024-02-30T10:00:00Z", "sometime last spring, probably",
     "0000-01-01T00:00:00Z", "x" * 500, True, [1, 2], 10**30, float("nan"),
     "9999-12-31T23:59:59-01:00"],
)
def test_unreadable_dates_warn_and_never_raise(value: object) -> None:
    parsed = parse_date(value)
    assert parsed.instant is None
    assert parsed.warning is not None and "unreadable date" in parsed.warning


def test_empty_values_are_no_date_without_warning() -> None:
    assert parse_date(None).instant is None and parse_date(None).warning is None
    assert parse_date("  ").warning is None


def test_jekyll_file_name() -> None:
    parsed = date_from_file_name("2014-02-24-ruby-2-0-0-p451-is-released.md")
    assert parsed is not None
    assert parsed.instant == datetime(2014, 2, 24, tzinfo=UTC)
    assert parsed.zoneless and parsed.raw == "2014-02-24"
    assert date_from_file_name("2014-02-30-impossible.md") is None
    assert date_from_file_name("notes.md") is None


def test_format_offset() -> None:
    assert format_offset(timedelta(hours=8)) == "+08:00"
    assert format_offset(timedelta(hours=-3, minutes=-30)) == "-03:30"
    assert format_offset(timedelta(seconds=15)) == "+00:00:15"
    assert format_offset(None) is None


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), None])))
def test_isoformat_round_trip(value: datetime) -> None:
    parsed = parse_date(value.isoformat())
    expected = value if value.tzinfo else value.replace(tzinfo=UTC)
    if parsed.instant is None:  # shifting to UTC left the datetime range
        assert parsed.warning
        return
    assert parsed.instant == expected
    assert parsed.zoneless is (value.tzinfo is None)


@given(st.one_of(st.text(max_size=60), st.integers(), st.floats()))
def test_never_raises(value: object) -> None:
    parsed = parse_date(value)
    assert parsed.instant is None or parsed.instant.tzinfo is not None


@pytest.mark.parametrize("text", ["2024-03-05T10:00:00+24:00", "2024-03-05T10:00:00-24:00",
                                  "2024-03-05 10:00 +2400", "Tue, 05 Mar 2024 10:00:00 -2530"])
def test_an_offset_of_a_day_or_more_is_undated_with_a_warning(text: str) -> None:
    parsed = parse_date(text)
    assert parsed.instant is None and parsed.raw == text
    assert parsed.warning is not None and "UTC offset" in parsed.warning


def test_an_offset_just_under_a_day_still_reads() -> None:
    parsed = parse_date("2024-03-05T10:00:00+23:59")
    assert parsed.instant == datetime(2024, 3, 4, 10, 1, tzinfo=UTC)
    assert parsed.offset == "+23:59"
