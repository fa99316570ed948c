"""The library API: every :class:`newsidx.Archive` method on a temporary catalogue built
from the seeds, its typed results, its typed errors, and that it never prints."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import newsidx
from newsidx import (
    Archive,
    Article,
    CatalogueError,
    Count,
    ExitCode,
    Filters,
    Hit,
    IngestFailed,
    IngestReport,
    LockedError,
    NotFoundError,
    ParseError,
    ProviderCount,
    QueryError,
    SearchResults,
    Stats,
    Timeline,
    UsageError,
)
from newsidx.freshness import index_for

BENZINGA = "a0288e40827aa679"  # "Alibaba Amplifies AI Investment..." (benzinga.com)
PLAIN_TEXT = "18c1d3a053a25f5f"  # the plain-text article, no URL: id from seeds/000_….txt
BUSINESS_TIMES = "b28bfa01be681c7b"  # related to BENZINGA
SCMP = "1fb01b0c4daaa29f"  # the only scmp.com record (related)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One catalogue of the seeds, shared read-only by this module's read tests."""
    base = tmp_path_factory.mktemp("api")
    seeds = base / "seeds"
    shutil.copytree(Path(__file__).resolve().parent.parent / "seeds", seeds)
    report = Archive(base / "catalogue").ingest([seeds], jobs=1)
    assert report.records_total == 13
    yield base / "catalogue"


@pytest.fixture
def archive(seeded: Path) -> Archive:
    return Archive(seeded)


@pytest.fixture
def fresh(tmp_path: Path, seeds: Path) -> tuple[Archive, list[str]]:
    """A catalogue of its own (for tests that write), and the notes it gave."""
    notes: list[str] = []
    copy = tmp_path / "seeds"
    shutil.copytree(seeds, copy)
    archive = Archive(tmp_path / "catalogue", notify=notes.append)
    archive.ingest([copy], jobs=1)
    return archive, notes


def ids(results: SearchResults) -> list[str]:
    return [hit.record.id for hit in results.hits]


# ----------------------------------------------------------------- the package


def test_importing_newsidx_loads_neither_click_nor_rich() -> None:
    probe = ("import sys, newsidx, newsidx.api\n"
             "from newsidx import Archive, Filters, SearchResults\n"
             "print(sorted(m for m in ('click', 'rich', 'tantivy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


def test_every_public_name_is_exported() -> None:
    for name in newsidx.__all__:
        assert getattr(newsidx, name) is not None
    with pytest.raises(AttributeError):
        newsidx.NoSuchThing  # noqa: B018


def test_default_root_is_the_default_catalogue(catalogue_dir: Path) -> None:
    assert Archive().root == catalogue_dir
    assert Archive(str(catalogue_dir)).root == catalogue_dir


# ----------------------------------------------------------------- ingest


def test_ingest_reports_and_keeps_the_index_in_step(fresh: tuple[Archive, list[str]]) -> None:
    archive, notes = fresh
    assert index_for(archive.catalogue).generation() == archive.generation == 1
    again = archive.ingest([Path(p).parent for p in archive.get(BENZINGA).sources], jobs=1)
    assert isinstance(again, IngestReport)
    assert (again.changed, again.unchanged, again.records_total) == (False, 3, 13)
    assert archive.search("MiniMax").total == 3
    assert notes == []  # the index was current: nothing was rebuilt


def test_ingest_new_file_is_searchable_at_once(fresh: tuple[Archive, list[str]],
                                               tmp_path: Path) -> None:
    archive, notes = fresh
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "quetzal.md").write_text("---\ntitle: Quetzal sighted\n---\nA bird.\n")
    report = archive.ingest([tmp_path / "more"], jobs=1)
    assert (len(report.new), report.records_added, report.records_total) == (1, 1, 14)
    assert [h.record.title for h in archive.search("quetzal").hits] == ["Quetzal sighted"]
    assert notes == []


def test_ingest_errors_are_typed(fresh: tuple[Archive, list[str]], tmp_path: Path) -> None:
    archive, _ = fresh
    with pytest.raises(UsageError, match="no such file or folder") as missing:
        archive.ingest([tmp_path / "nope"])
    assert missing.value.exit_code == ExitCode.ERROR
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    (bad / "fine.md").write_text("---\ntitle: Fine\n---\nBody.\n")
    with pytest.raises(IngestFailed, match=r"broken\.md") as failed:
        archive.ingest([bad], strict=True, jobs=1)
    assert [Path(p).name for p, _ in failed.value.report.failed] == ["broken.md"]
    assert archive.generation == 1 and len(archive) == 13  # strict: nothing written
    with archive.catalogue.writer(), pytest.raises(LockedError, match="--wait"):
        archive.ingest([bad], jobs=1)


def test_one_path_may_be_given_alone(tmp_path: Path, seeds: Path) -> None:
    archive = Archive(tmp_path / "c")
    assert archive.ingest(seeds, jobs=1).records_total == 13
    assert archive.ingest(str(seeds), jobs=1).unchanged == 3


def test_progress_comes_through_the_callback(tmp_path: Path, seeds: Path) -> None:
    events: list[str] = []
    Archive(tmp_path / "c").ingest([seeds], jobs=1, progress=lambda e: events.append(e.stage))
    assert {"walk", "file", "commit"} <= set(events)


def test_ingest_jsonl_round_trips_an_export(archive: Archive, tmp_path: Path) -> None:
    feed = tmp_path / "all.jsonl"
    feed.write_text("".join(json.dumps(newsidx_json(r)) + "\n" for r in archive.export()))
    notes: list[str] = []
    copy = Archive(tmp_path / "copy", notify=notes.append)
    result = copy.ingest_jsonl([feed])
    assert (result.records_added, result.records_total) == (13, 13)
    assert ids(copy.search("Alibaba MiniMax")) == ids(archive.search("Alibaba MiniMax"))
    assert notes == []  # the import kept the index in step
    feed.write_text("{not json\n")
    with pytest.raises(ParseError, match=r"all\.jsonl:1"):
        copy.ingest_jsonl([feed])


def newsidx_json(record: Article) -> object:
    from newsidx.model import to_json

    return to_json(record)


# ----------------------------------------------------------------- search and list


def test_search_returns_typed_ranked_hits(archive: Archive) -> None:
    results = archive.search("Alibaba MiniMax")
    assert isinstance(results, SearchResults) and all(isinstance(h, Hit) for h in results.hits)
    assert results.total == 3 and results.understood == "alibaba AND minimax"
    assert set(ids(results)[:2]) == {BENZINGA, PLAIN_TEXT}
    assert ids(results)[2] == BUSINESS_TIMES
    scores = [h.score or 0.0 for h in results.hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    snippet = results.hits[0].snippet
    assert isinstance(snippet, tuple) and any(marked for _, marked in snippet)
    with pytest.raises(dataclasses.FrozenInstanceError):
        results.total = 0  # type: ignore[misc]


def test_search_options(archive: Archive) -> None:
    everything = ids(archive.search("Alibaba", limit=100))
    assert ids(archive.search("Alibaba", limit=2, offset=1)) == everything[1:3]
    assert archive.search("Alibaba", limit=0).total == len(everything)
    assert all(h.snippet == () for h in archive.search("Alibaba", snippets=False).hits)
    explained = archive.search("MiniMax", limit=1, explain=True).hits[0]
    assert explained.explanation and "minimax" in explained.explanation
    newest = archive.search("Alibaba", sort="newest", limit=100).hits
    dates = [h.record.published for h in newest if h.record.published]
    assert dates == sorted(dates, reverse=True)
    related = archive.search("Alibaba", Filters(kind="related"), limit=100).hits
    assert related and all(h.record.kind == "related" for h in related)
    assert archive.search("Zhipu", Filters(providers=["scmp.com"])).total == 1
    assert archive.search("nonexistentword").total == 0


@pytest.mark.parametrize(("call", "message"), [
    (lambda a: a.search("(Alibaba"), None),
    (lambda a: a.search("x", Filters(since="the day after never")), "unreadable date"),
    (lambda a: a.search("x", sort="best"), "unknown sort"),
    (lambda a: a.search("x", limit=-1), "limit"),
    (lambda a: a.list(sort="relevance"), "unknown sort"),
    (lambda a: a.list(offset=-1), "offset"),
    (lambda a: a.facets("kind"), "provider, topic, author, lang or folder"),
    (lambda a: a.facets("topic", sort="size"), "unknown sort"),
    (lambda a: a.timeline(by="hour"), "unknown period"),
])
def test_bad_requests_raise_query_error(archive: Archive, call: object,
                                       message: str | None) -> None:
    with pytest.raises(QueryError, match=message) as info:
        call(archive)  # type: ignore[operator]
    assert info.value.exit_code == ExitCode.ERROR


@pytest.mark.parametrize(("call", "message"), [
    (lambda a: a.search("x", Filters(providers="scmp.con")), "did you mean scmp.com"),
    (lambda a: a.export(Filters(providers="nope.example")), "unknown provider"),
])
def test_unknown_provider_is_a_no_match(archive: Archive, call: object, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        call(archive)  # type: ignore[operator]
    assert info.value.exit_code == ExitCode.NO_MATCH


def test_list_in_fixed_orders(archive: Archive) -> None:
    (only,) = archive.list(Filters(providers="scmp.com")).hits
    assert only.record.id == SCMP and only.score == 0.0 and only.snippet == ()
    oldest = [h.record.published for h in archive.list(sort="oldest", limit=100).hits]
    dated = [d for d in oldest if d is not None]
    assert dated == sorted(dated) and oldest[-1] is None  # undated last
    assert archive.list(limit=100).total == len(archive) == 13
    page = archive.list(limit=5, offset=10)
    assert (len(page.hits), page.total) == (3, 13)


FILTERS = [
    Filters(),
    Filters(providers=("scmp.com", "Benzinga.com")),
    Filters(providers="The Financial Times"),
    Filters(topics="ai"),
    Filters(kind="article"),
    Filters(since="2024"),
    Filters(until="2023-10-17"),
    Filters(since=datetime(2023, 10, 18), until=datetime(2023, 10, 20, 12, tzinfo=timezone.utc)),
    Filters(kind="related", since="2023-10"),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_list_count_and_export_keep_the_same_records(
    archive: Archive, filters: Filters
) -> None:
    listed = set(ids(archive.list(filters, limit=100)))
    exported = {r.id for r in archive.export(filters)}
    assert listed == exported
    assert archive.count(filters=filters) == len(listed)


def test_filters_are_frozen_values() -> None:
    assert Filters(providers="scmp.com").providers == ("scmp.com",)
    assert Filters(topics=["AI", "Security"]) == Filters(topics=("AI", "Security"))
    assert hash(Filters(kind="article")) == hash(Filters(kind="article"))
    with pytest.raises(QueryError, match="unknown kind"):
        Filters(kind="blog")
    with pytest.raises(QueryError, match="must be strings"):
        Filters(providers=[1])  # type: ignore[list-item]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Filters().kind = "article"  # type: ignore[misc]


# ----------------------------------------------------------------- counts, timeline, stats


def test_count(archive: Archive) -> None:
    assert archive.count() == 13
    assert archive.count("Zhipu") == archive.search("Zhipu", limit=100).total > 0
    assert archive.count("Zhipu", Filters(kind="article")) < archive.count("Zhipu")


def test_facets(archive: Archive) -> None:
    providers = archive.facets("provider")
    assert providers[0] == Count("siliconangle.com", 2)
    assert sum(c.count for c in providers) == 12  # the plain-text article has no provider
    assert [c.key for c in archive.facets("provider", sort="name")] == sorted(
        c.key for c in providers)
    # two seeds list topics AI; their single-string category (news) is a topic too
    assert archive.facets("topic") == (Count("AI", 2), Count("news", 2))
    assert archive.facets("provider", "MiniMax") == (
        Count("benzinga.com", 1), Count("businesstimes.com.sg", 1))


def test_providers(archive: Archive) -> None:
    rows = {p.key: p for p in archive.providers()}
    assert rows["siliconangle.com"] == ProviderCount(
        "siliconangle.com", 2, "SiliconANGLE", "2023-10-17", "2023-10-20")
    assert rows["ft.com"].name == "The Financial Times"
    assert [p.key for p in archive.providers(sort="name")][:2] == [
        "benzinga.com", "businesstimes.com.sg"]


def test_timeline(archive: Archive) -> None:
    auto = archive.timeline()
    assert isinstance(auto, Timeline) and auto.by == "week"
    assert (auto.buckets[0], auto.buckets[-1]) == (Count("2023-W42", 10), Count("2024-W10", 2))
    assert len(auto.buckets) == 21 and auto.total == 12  # quiet weeks filled; undated out
    assert archive.timeline(by="month").buckets[:2] == (Count("2023-10", 10), Count("2023-11", 0))
    assert archive.timeline("MiniMax").by == "day"
    assert archive.timeline("nonexistentword").buckets == ()


def test_stats(archive: Archive) -> None:
    stats = archive.stats()
    assert isinstance(stats, Stats)
    assert (stats.records, stats.articles, stats.related, stats.undated, stats.sources) == (
        13, 3, 10, 1, 3)
    assert (stats.providers, stats.topics) == (11, 2)  # AI, and category: news
    assert (stats.first_date, stats.last_date) == ("2023-10-17", "2024-03-05")
    assert stats.catalogue_bytes > 0 and stats.index_bytes > 0 and stats.generation == 1


# ----------------------------------------------------------------- records


def test_get_and_links(archive: Archive) -> None:
    article = archive.get(BENZINGA[:6])
    assert article.id == BENZINGA and article.provider_key == "benzinga.com"
    assert archive.get(article.url or "").id == BENZINGA
    links = archive.links(article)
    assert [r.id for r in links.related] == [BUSINESS_TIMES] and links.parents == ()
    assert [r.id for r in archive.links(links.related[0]).parents] == [BENZINGA]
    with pytest.raises(NotFoundError) as info:
        archive.get("ffffffff")
    assert info.value.exit_code == ExitCode.NO_MATCH


def test_export_and_iteration_stream_articles(archive: Archive) -> None:
    exported = archive.export()
    assert isinstance(exported, Iterator)
    records = list(exported)
    assert len(records) == 13 and all(isinstance(r, Article) for r in records)
    assert {r.id for r in archive} == {r.id for r in records}


# ----------------------------------------------------------------- freshness and repair


def test_a_stale_index_is_rebuilt_once_with_a_note(fresh: tuple[Archive, list[str]]) -> None:
    archive, notes = fresh
    extra = Article(id="00000000000000ee", kind="article", title="Quokka spotted")
    with archive.catalogue.writer() as writer:
        writer.commit(upserts=[extra], deletes=(), files={})  # bypasses the index
    assert ids(archive.search("quokka")) == [extra.id]
    assert notes == ["the search index is missing or out of date; rebuilding it"]
    assert archive.count("quokka") == 1 and len(notes) == 1
    shutil.rmtree(archive.root / "index")
    # two seeds list topics AI; their single-string category (news) is a topic too
    assert archive.facets("topic") == (Count("AI", 2), Count("news", 2))
    assert len(notes) == 2


def test_a_missing_index_while_an_ingest_writes_is_a_catalogue_error(
    fresh: tuple[Archive, list[str]]
) -> None:
    archive, _ = fresh
    shutil.rmtree(archive.root / "index")
    with archive.catalogue.writer():
        with pytest.raises(CatalogueError, match="retry when it finishes") as info:
            archive.list()
        assert info.value.exit_code == ExitCode.ERROR
        assert archive.stats().records == 13  # from the manifest meanwhile
    assert archive.list().total == 13


def test_reindex_and_check(fresh: tuple[Archive, list[str]]) -> None:
    archive, _ = fresh
    assert archive.check().ok
    shutil.rmtree(archive.root / "index")
    report = archive.check()
    assert not report.ok and report.problems
    assert archive.check(repair=True).ok and archive.check().ok
    assert archive.reindex() == 13
    with archive.catalogue.writer(), pytest.raises(LockedError):
        archive.reindex()


def test_an_empty_archive_answers_without_writing(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "none")
    assert (archive.generation, len(archive)) == (0, 0)
    assert archive.search("anything").total == 0
    assert archive.list(Filters(providers="x.example")).hits == ()
    assert archive.count() == 0 and archive.facets("provider") == ()
    assert archive.providers() == () and archive.timeline().buckets == ()
    assert archive.stats().records == 0 and list(archive.export()) == []
    assert not (tmp_path / "none").exists()


def test_a_corrupt_manifest_is_a_catalogue_error(fresh: tuple[Archive, list[str]]) -> None:
    archive, _ = fresh
    (archive.root / "catalogue.json").write_text("{not json")
    with pytest.raises(CatalogueError, match=r"catalogue\.json") as info:
        archive.search("Alibaba")
    assert info.value.exit_code == ExitCode.ERROR


def test_the_library_never_prints(tmp_path: Path, seeds: Path,
                                  capfd: pytest.CaptureFixture[str]) -> None:
    archive = Archive(tmp_path / "quiet")
    archive.ingest([seeds], jobs=1)
    shutil.rmtree(archive.root / "index")  # forces the rebuild that gives a note
    archive.search("Alibaba", explain=True)
    archive.list(), archive.timeline(), archive.stats(), list(archive.export())
    archive.check(repair=True)
    assert capfd.readouterr() == ("", "")


def test_exit_code_table() -> None:
    assert [int(c) for c in (ExitCode.OK, ExitCode.NO_MATCH, ExitCode.FAILURES,
                             ExitCode.ERROR, ExitCode.INTERRUPTED)] == [0, 1, 1, 2, 130]
    assert os.EX_OK == ExitCode.OK
