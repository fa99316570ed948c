"""Title order from 64-bit title keys is the order of the whole lower-cased titles, on
every page: records that share their first 8 bytes are ordered by the rest."""

from __future__ import annotations

import pytest

from newsidx import Archive, Filters
from newsidx.analysis import sort_title, title_key

# many share a key (their first 8 bytes) and come in the reverse of title order, so that
# the index's own order of equal keys is wrong; some are shorter than a key
TITLES = [
    *(f"Ruby 3.2.{n} Released" for n in range(9, -1, -1)),
    *(f"stock market today: {w}" for w in ("zinc", "oil", "Gold", "bonds", "apple")),
    "Stock Market", "stock", "Stock", "abcdefgh", "abcdefg", "abcdefgha", "abcdefg!",
    "Äpfel und Birnen", "Äpfel", "Zürich", "zebra crossing", "北京 新闻 今日", "北京 新闻",
    "a", "A", "Ruby 3.1 Released", "Ruby 3.10 Released", "Ruby", "ruby 3.2.",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    base = tmp_path_factory.mktemp("titles")
    folder = base / "files"
    (folder / "ruby").mkdir(parents=True)
    for n, title in enumerate(TITLES):
        where = folder / "ruby" if title.lower().startswith("ruby") else folder
        (where / f"{n:03d}.txt").write_text(f"{title}\n\nBody number {n} of the test.\n",
                                             encoding="utf-8")
    archive = Archive(base / "catalogue")
    report = archive.ingest([folder], jobs=1)
    assert report.records_added == len(TITLES)
    return archive


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 40])
def test_every_page_in_title_order_is_its_part_of_the_whole_order(
        archive: Archive, limit: int) -> None:
    expected = sorted(sort_title(t) for t in TITLES)
    got: list[str] = []
    for offset in range(0, len(TITLES) + limit, limit):
        page = archive.list(limit=limit, offset=offset, sort="title")
        assert page.total == len(TITLES)
        got += [sort_title(h.record.title) for h in page.hits]
    assert got == expected


def test_a_filtered_page_and_a_stream_are_in_title_order(archive: Archive) -> None:
    page = archive.list(Filters(folders="ruby"), limit=4, offset=3, sort="title")
    ruby = sorted(sort_title(t) for t in TITLES if t.lower().startswith("ruby"))
    assert [sort_title(h.record.title) for h in page.hits] == ruby[3:7]
    streamed = [sort_title(h.record.title) for h in archive.iter_list(sort="title")]
    assert streamed == sorted(sort_title(t) for t in TITLES)


def test_keys_sort_as_the_titles_first_bytes() -> None:
    ordered = sorted(TITLES, key=sort_title)
    keys = [title_key(t) for t in ordered]
    assert keys == sorted(keys) and title_key("") == 0 < title_key("a")
    assert title_key("abcdefgh") == title_key("ABCDEFGHIJ") != title_key("abcdefg")
