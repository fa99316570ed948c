"""Issue 16, item 2: real dates for posts whose front matter has no date key, and
``date_source`` saying where every record's date came from."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import clirun
import pytest

from newsidx.api import Archive
from newsidx.model import from_json, to_json
from newsidx.parse import parse_bytes, parse_file

ZOLA = b'+++\ntitle = "Rust 1.88.0"\npath = "2025/06/26/Rust-1.88.0"\n+++\nRust body.\n'
JEKYLL = b"---\ntitle: Jekyll post\npermalink: /2024/03/05/jekyll-post/\n---\nJekyll body.\n"
EXTRA = (b'+++\ntitle = "Dated in extra"\n[extra]\nauthor_note = "not a date"\n'
         b"date = 2023-01-02T03:04:05+02:00\n+++\nExtra body.\n")
UNDATED = b"---\ntitle: No date at all\n---\nUndated body.\n"


def _day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=timezone.utc)


def _newsidx(*args: str, catalogue: Path) -> clirun.Done:
    return clirun.newsidx(*args, catalogue=catalogue, timeout=300)


def test_zola_post_dated_only_by_path() -> None:
    record = parse_bytes(ZOLA, "content/rust.md").records[0]
    assert record.published == _day(2025, 6, 26)
    assert record.date_source == "path" and record.published_zoneless
    assert record.extra["path"] == "2025/06/26/Rust-1.88.0"  # the key itself is kept


def test_jekyll_post_dated_only_by_permalink() -> None:
    record = parse_bytes(JEKYLL, "_posts/jekyll-post.md").records[0]
    assert (record.published, record.date_source) == (_day(2024, 3, 5), "permalink")


def test_slug_and_url_keys() -> None:
    slug = parse_bytes(b"---\ntitle: S\nslug: 2019-01-02-foo\n---\nx", "s.md").records[0]
    assert (slug.published, slug.date_source) == (_day(2019, 1, 2), "slug")
    for url in ("/news/2018/07/08/x/", "https://blog.example/2018/07/08/x.html"):
        data = f"---\ntitle: U\nurl: {url}\n---\nx".encode()
        record = parse_bytes(data, "u.md").records[0]
        assert (record.published, record.date_source) == (_day(2018, 7, 8), "url"), url


def test_date_in_toml_extra_keeps_its_zone() -> None:
    record = parse_bytes(EXTRA, "extra.md").records[0]
    assert record.published == datetime(2023, 1, 2, 1, 4, 5, tzinfo=timezone.utc)
    assert record.date_source == "extra.date"
    assert record.published_offset == "+02:00" and not record.published_zoneless
    taxo = b'+++\ntitle = "T"\n[taxonomies]\ntags = ["a"]\nyear = ["2021-09-10"]\n+++\nx'
    record = parse_bytes(taxo, "t.md").records[0]
    assert (record.published, record.date_source) == (_day(2021, 9, 10), "taxonomies.year")
    assert "a" in record.topics  # a taxonomy stays a topic too


def test_file_path_dates_folders_name_and_page_bundle(tmp_path: Path) -> None:
    body = b"---\ntitle: P\n---\nx"
    cases = {
        "2022/05/06/post.md": ((2022, 5, 6), "folders"),
        "2022/05/06/slug/index.md": ((2022, 5, 6), "folders"),
        "_posts/2020-02-29-leap.md": ((2020, 2, 29), "filename"),
        "blog/2021-11-12-bundle/index.md": ((2021, 11, 12), "filename"),
    }
    for rel, (day, source) in cases.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        record = parse_file(path).records[0]
        assert (record.published, record.date_source) == (_day(*day), source), rel
    for rel in ("2022/13/40/post.md", "2022/05/06/a/b/post.md", "1.88.0/post.md"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        assert parse_file(path).records[0].published is None, rel


def test_order_date_key_then_path_keys_then_file_path_then_tables() -> None:
    both = b"---\ntitle: B\ndate: 2024-01-01\npermalink: /2023/02/02/b/\n---\nx"
    record = parse_bytes(both, "2022-03-03-b.md").records[0]
    assert (record.published, record.date_source) == (_day(2024, 1, 1), "date")
    record = parse_bytes(both.replace(b"date: 2024-01-01\n", b""), "2022-03-03-b.md").records[0]
    assert (record.published, record.date_source) == (_day(2023, 2, 2), "permalink")
    record = parse_bytes(EXTRA, "2022-03-03-b.md").records[0]
    assert (record.published, record.date_source) == (_day(2022, 3, 3), "filename")


def test_unreadable_date_key_falls_back_and_is_kept() -> None:
    data = b"---\ntitle: B\ndate: soon\npermalink: /2023/02/02/b/\n---\nx"
    record = parse_bytes(data, "b.md").records[0]
    assert (record.published, record.date_source) == (_day(2023, 2, 2), "permalink")
    assert record.extra["published_unreadable"] == "soon"


def test_undated_post_has_no_date_source_and_text_words_are_no_dates() -> None:
    record = parse_bytes(UNDATED, "none.md").records[0]
    assert record.published is None and record.date_source is None
    loose = (b'+++\ntitle = "L"\n[extra]\nnote = "May"\nversion = "2024"\n+++\n'
             b"Body mentioning 2024/03/05 in its text.\n")
    assert parse_bytes(loose, "l.md").records[0].published is None


def test_date_source_round_trips_and_old_records_read_as_unknown() -> None:
    record = parse_bytes(ZOLA, "rust.md").records[0]
    data = to_json(record)
    assert data["date_source"] == "path" and from_json(data) == record
    del data["date_source"]
    assert from_json(data).date_source is None
    with pytest.raises(ValueError, match="date_source"):
        from_json({**data, "date_source": 3})


def test_show_prints_where_the_date_came_from_and_its_zone(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "rust.md").write_bytes(ZOLA)
    (site / "extra.md").write_bytes(EXTRA)
    catalogue = tmp_path / "cat"
    assert _newsidx("ingest", str(site), catalogue=catalogue).returncode == 0
    archive = Archive(catalogue)
    ids = {r.title: r.id for r in archive.export()}
    rust = _newsidx("show", ids["Rust 1.88.0"], catalogue=catalogue)
    assert rust.returncode == 0, rust.stderr
    assert "date from: path; no time zone: read as UTC" in rust.stdout
    extra = _newsidx("show", ids["Dated in extra"], catalogue=catalogue)
    assert "date from: extra.date; time zone +02:00" in extra.stdout
    shown = _newsidx("show", ids["Rust 1.88.0"], "--format", "json", catalogue=catalogue)
    assert '"date_source": "path"' in shown.stdout


def _site(folder: Path, dated: int, undated: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(dated):
        (folder / f"d{i}.md").write_text(
            f'+++\ntitle = "Dated {i}"\npath = "2025/06/{i + 1:02d}/post-{i}"\n+++\nBody {i}.\n')
    for i in range(undated):
        (folder / f"u{i}.md").write_text(f"---\ntitle: Undated {i}\n---\nBody {i}.\n")
    return folder


def test_summary_says_when_more_than_a_tenth_is_undated(tmp_path: Path) -> None:
    many = _site(tmp_path / "many", dated=8, undated=2)  # 20%
    run = _newsidx("ingest", str(many), "-j", "1", catalogue=tmp_path / "c1")
    assert run.returncode == 0, run.stderr
    line = run.stdout.splitlines()[-1]
    assert line.startswith("dates: 2 of 10 articles") and "(20%)" in line
    assert "docs/format.md#dates" in line
    report = Archive(tmp_path / "c2").ingest([many], jobs=1)
    assert (report.articles_read, report.articles_undated) == (10, 2)
    data = _newsidx("ingest", str(many), "--format", "json", "-j", "1",
                    catalogue=tmp_path / "c3").stdout
    assert '"articles_undated": 2' in data and '"articles_read": 10' in data


def test_summary_is_quiet_at_a_tenth_or_less_and_when_nothing_was_read(tmp_path: Path) -> None:
    few = _site(tmp_path / "few", dated=9, undated=1)  # 10%: not more than a tenth
    first = _newsidx("ingest", str(few), "-j", "1", catalogue=tmp_path / "c")
    assert first.returncode == 0 and len(first.stdout.splitlines()) == 2, first.stdout
    assert "no date" not in first.stdout
    many = _site(tmp_path / "many", dated=1, undated=3)
    _newsidx("ingest", str(many), "-j", "1", catalogue=tmp_path / "d")
    again = _newsidx("ingest", str(many), "-j", "1", catalogue=tmp_path / "d")
    assert "no date" not in again.stdout  # unchanged files: nothing read, nothing to say


def test_a_dataset_item_without_a_date_is_dated_by_its_url_but_not_by_its_files_path(
        tmp_path: Path) -> None:
    from newsidx.formats.dataset import read_dataset

    folder = tmp_path / "2021" / "04" / "05"
    folder.mkdir(parents=True)
    data = folder / "items.jsonl"
    data.write_text('{"title": "A", "url": "https://a.example/2024/05/06/a"}\n'
                    '{"title": "B", "url": "https://a.example/b"}\n')
    records = {r.title: r for r in read_dataset(str(data), "jsonl", False, 1 << 20).records}
    assert (records["A"].published, records["A"].date_source) == (_day(2024, 5, 6), "url")
    assert records["B"].published is None and records["B"].date_source is None
