"""The search index: build, update, generations, ranking, filters, sorts, facets, snippets."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from heldindex import HeldIndex

from newsidx import indexdirs
from newsidx.errors import CatalogueError, QueryError
from newsidx.index import SearchIndex, SearchRequest, record_digest
from newsidx.model import Article, Provider

UTC = timezone.utc


def _rec(rid: str, title: str, **kw: object) -> Article:
    return Article(id=rid, kind=kw.pop("kind", "article"), title=title, **kw)  # type: ignore[arg-type]


SEED_RECORDS = [
    _rec(
        "000",
        "Alibaba Leads $2.5 Billion Investment in AI Startup MiniMax",
        body="Alibaba Group Holding Ltd. is doubling down on its commitment to AI with a "
        "significant investment in Chinese AI startup MiniMax. Alibaba’s move to back MiniMax "
        "comes amid a resurgence of interest in AI. Tencent and Baidu also invest.",
    ),
    _rec(
        "002",
        "Alibaba Amplifies AI Investment, Valuing MiniMax Over $2.5B in Latest Financing Round",
        excerpt="Alibaba leads $600M funding round for AI startup MiniMax, boosting its valuation.",
        published=datetime(2024, 3, 5, 9, 10, tzinfo=UTC),
        provider=Provider("Benzinga.com", "benzinga.com"),
        topics=("AI",),
    ),
    _rec(
        "002r",
        "Alibaba backs US$2.5 billion AI startup in second major 2024 deal",
        kind="related",
        excerpt="ALIBABA Group Holding is leading a financing round of at least US$600 million for "
        "Chinese AI startup MiniMax, spearheading its second major deal.",
        published=datetime(2024, 3, 5, 7, 42, tzinfo=UTC),
        provider=Provider("Business Times", "businesstimes.com.sg"),
    ),
    _rec(
        "004",
        "AI Startup Baichuan Secures $300 mn in Funding Round Led by Alibaba and Tencent",
        excerpt="Chinese artificial intelligence (AI) startup Baichuan raised $300 million.",
        published=datetime(2023, 10, 17, 16, 45, tzinfo=UTC),
        provider=Provider("infotechlead", "infotechlead.com"),
        topics=("AI",),
    ),
    _rec(
        "004r1",
        "Chinese AI Startup Zhipu Secures $342M in Funding from Alibaba, Tencent",
        kind="related",
        excerpt="Chinese AI startup Zhipu announced that it has secured $342 million.",
        published=datetime(2023, 10, 20, 10, 3, tzinfo=UTC),
        provider=Provider("coinspeaker", "coinspeaker.com"),
    ),
    _rec(
        "004r2",
        "Alibaba, Tencent and other major Chinese backers invest US$342 million in "
        "start-up Zhipu AI",
        kind="related",
        excerpt="Zhipu AI was built on the back of research from Tsinghua University.",
        published=datetime(2023, 10, 20, 11, 54, tzinfo=UTC),
        provider=Provider("South China Morning Post", "scmp.com"),
    ),
]


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild(SEED_RECORDS, generation=7)
    return ix


def _ids(ix: SearchIndex, text: str = "", **kw: object) -> list[str]:
    return [h.record.id for h in ix.search(SearchRequest(text=text, **kw)).hits]  # type: ignore[arg-type]


def test_seed_acceptance_minimax(index: SearchIndex) -> None:
    ids = _ids(index, "Alibaba MiniMax")
    assert set(ids[:2]) == {"000", "002"}
    assert ids[2] == "002r"
    assert len(ids) == 3


def test_seed_acceptance_zhipu_and_provider(index: SearchIndex) -> None:
    assert set(_ids(index, "Zhipu")) == {"004r1", "004r2"}
    assert _ids(index, "provider:scmp.com") == ["004r2"]
    assert _ids(index, 'provider:"south china morning post"') == ["004r2"]


def test_seeds_parsed_by_the_parser(tmp_path: Path, seeds: Path) -> None:
    parse = pytest.importorskip("newsidx.parse")
    records = [r for f in sorted(seeds.glob("*.txt")) for r in parse.parse_file(f).records]
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild(records, generation=1)
    hits = ix.search(SearchRequest(text="Alibaba MiniMax")).hits
    top = [Path(h.record.sources[0]).name[:3] for h in hits[:2]]
    assert sorted(top) == ["000", "002"]
    assert hits[2].record.kind == "related"
    assert hits[2].record.provider is not None
    assert hits[2].record.provider.domain == "businesstimes.com.sg"
    zhipu = ix.search(SearchRequest(text="Zhipu")).hits
    assert zhipu and all("Zhipu" in h.record.title for h in zhipu)
    scmp = ix.search(SearchRequest(text="provider:scmp.com")).hits
    assert [h.record.provider.domain for h in scmp if h.record.provider] == ["scmp.com"]


def test_stored_record_round_trips(index: SearchIndex) -> None:
    hit = index.search(SearchRequest(text="Baichuan")).hits[0]
    assert hit.record == SEED_RECORDS[3]


def test_generation_and_state(tmp_path: Path) -> None:
    ix = HeldIndex(tmp_path / "index")
    assert not ix.exists() and ix.generation() is None
    with pytest.raises(CatalogueError, match="no search index"):
        ix.search(SearchRequest())
    ix.rebuild(SEED_RECORDS, generation=3)
    assert ix.exists() and ix.generation() == 3
    state = json.loads((tmp_path / "index" / "state.json").read_text())
    state["schema"] = -1
    (tmp_path / "index" / "state.json").write_text(json.dumps(state))
    assert SearchIndex(tmp_path / "index").generation() is None


def test_rebuild_replaces_and_cleans_old_data(index: SearchIndex) -> None:
    index.rebuild(SEED_RECORDS[:1], generation=8)
    assert index.count(SearchRequest()) == 1
    assert len(list(index.path.glob("data-*"))) == 1


def test_update_upserts_and_deletes(index: SearchIndex) -> None:
    changed = _rec("000", "Completely new headline about Moonshot")
    index.update(upserts=[changed], deletes=["004"], generation=9)
    assert index.generation() == 9
    assert _ids(index, "Moonshot") == ["000"]
    assert "000" not in _ids(index, "Alibaba MiniMax")
    assert _ids(index, "Baichuan") == []
    assert index.count(SearchRequest()) == len(SEED_RECORDS) - 1


def test_update_without_index_asks_for_rebuild(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError):
        SearchIndex(tmp_path / "nothing").update(upserts=[], deletes=[], generation=1)


def test_request_filters(index: SearchIndex) -> None:
    assert set(_ids(index, providers=("BENZINGA.COM", "coinspeaker"))) == {"002", "004r1"}
    assert set(_ids(index, topics=("ai",))) == {"002", "004"}
    assert set(_ids(index, kind="related")) == {"002r", "004r1", "004r2"}
    since = datetime(2024, 3, 5, 8, tzinfo=UTC)
    assert _ids(index, since=since) == ["002"]
    assert set(_ids(index, until=since)) == {"002r", "004", "004r1", "004r2"}
    assert _ids(index, "on:2023-10-17") == ["004"]
    assert set(_ids(index, "before:2024 after:2023-10-18")) == {"004r1", "004r2"}
    with pytest.raises(QueryError):
        index.search(SearchRequest(kind="blog"))


def test_boolean_operators(index: SearchIndex) -> None:
    assert set(_ids(index, "Baichuan OR Zhipu")) == {"004", "004r1", "004r2"}
    assert set(_ids(index, "Tencent -Zhipu")) == {"000", "004"}
    assert set(_ids(index, "(Baichuan OR Zhipu) NOT provider:scmp.com")) == {"004", "004r1"}
    assert set(_ids(index, '"financing round"')) == {"002", "002r"}
    assert set(_ids(index, "Baich*")) == {"004"}
    assert set(_ids(index, "title:tencent")) == {"004", "004r1", "004r2"}


def test_stemming_and_exact(index: SearchIndex) -> None:
    assert "004r2" in _ids(index, "investing")
    assert "004r2" in _ids(index, "=invest")
    assert "002" not in _ids(index, "=invest")
    assert "002" in _ids(index, "=investment")


def test_exact_words_and_prefixes_by_field(tmp_path: Path) -> None:
    """Titles and excerpts hold unstemmed words, so ``=word`` and ``prefix*`` are exact
    there; bodies hold stems only, where ``=word`` matches every form of the word and
    ``prefix*`` stems that begin with the prefix or with its stem."""
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild([
        _rec("t1", "Investors flock to Tokyo"),
        _rec("t2", "Tokyo invested heavily"),
        _rec("e1", "Markets", excerpt="Investors flock to Osaka"),
        _rec("b1", "Markets", body="The happiest investors in Kyoto."),
        _rec("b2", "Markets", body="Happy customers in the university town."),
    ], generation=1)
    assert set(_ids(ix, "=investors")) == {"t1", "e1", "b1"}
    assert set(_ids(ix, "=invested")) == {"t2"}  # exact in titles: not "investors"
    assert set(_ids(ix, "title:=investors")) == {"t1"}
    assert set(_ids(ix, "invest*")) == {"t1", "t2", "e1", "b1"}
    assert set(_ids(ix, "happy*")) == {"b1", "b2"}  # body stems "happiest", "happi"
    assert set(_ids(ix, "univers*")) == {"b2"}
    assert set(_ids(ix, '"happy customers"')) == {"b2"}
    assert set(_ids(ix, '="happy customers"')) == {"b2"}


def test_punctuation_queries_never_fail(index: SearchIndex) -> None:
    assert "000" in _ids(index, "Alibaba's")
    assert set(_ids(index, "US$2.5")) >= {"002r"}
    assert _ids(index, '"') == []
    assert _ids(index, "?!") == []
    with pytest.raises(QueryError, match="column 1"):
        index.search(SearchRequest(text="(Alibaba"))


def test_sorts_put_undated_last(index: SearchIndex) -> None:
    newest = [h.record.id for h in index.select(SearchRequest(sort="newest")).hits]
    oldest = [h.record.id for h in index.select(SearchRequest(sort="oldest")).hits]
    assert newest == ["002", "002r", "004r2", "004r1", "004", "000"]
    assert oldest == ["004", "004r1", "004r2", "002r", "002", "000"]
    assert _ids(index, "Alibaba", sort="oldest")[0] == "004"
    providers = [h.record.provider_key for h in index.select(SearchRequest(sort="provider")).hits]
    assert providers[:-1] == sorted(p for p in providers if p) and providers[-1] is None


def test_paging_and_total(index: SearchIndex) -> None:
    page1 = index.select(SearchRequest(sort="newest", limit=2))
    page2 = index.select(SearchRequest(sort="newest", limit=2, offset=2))
    assert page1.total == page2.total == 6
    assert [h.record.id for h in page1.hits + page2.hits] == ["002", "002r", "004r2", "004r1"]
    ranked = index.search(SearchRequest(text="Alibaba", limit=2, offset=1))
    full = _ids(index, "Alibaba")
    assert [h.record.id for h in ranked.hits] == full[1:3]
    assert index.search(SearchRequest(text="Alibaba", limit=0)).total == len(full)


def test_facets_histogram_count(index: SearchIndex) -> None:
    assert index.facet("topic", SearchRequest()) == [("AI", 2)]
    providers = dict(index.facet("provider", SearchRequest(text="Alibaba")))
    assert providers["scmp.com"] == 1 and "000" not in providers
    assert index.histogram(SearchRequest(), "month") == [("2023-10", 3), ("2024-03", 2)]
    assert index.histogram(SearchRequest(), "week") == [("2023-W42", 3), ("2024-W10", 2)]
    assert index.count(SearchRequest(text="Zhipu")) == 2


def test_snippet_highlights_query_terms(index: SearchIndex) -> None:
    hit = index.search(SearchRequest(text="Tencent investment")).hits[0]
    highlighted = {t.lower() for t, h in hit.snippet if h}
    assert highlighted and highlighted <= {"tencent", "investment", "invest", "investing"}
    text = "".join(t for t, _ in hit.snippet)
    assert "<" not in text and "[" not in text


def test_explain(index: SearchIndex) -> None:
    results = index.search(SearchRequest(text="Zhipu provider:scmp.com"), explain=True)
    assert results.understood == "zhipu AND provider:scmp.com"
    explanation = results.hits[0].explanation
    assert explanation is not None and "title:zhipu" in explanation


def test_title_match_beats_newer_weak_match(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = _rec("old", "Moonshot raises money", published=now - timedelta(days=900))
    new = _rec(
        "new",
        "Markets today",
        published=now,
        body="A long wrap-up of many things. " * 20 + "Moonshot was mentioned once.",
    )
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild([old, new], generation=1)
    for weight in (0.0, 0.1, 0.5):
        assert _ids(ix, "Moonshot", recency_weight=weight) == ["old", "new"]


def test_recency_breaks_near_ties(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    a = _rec("a", "Moonshot raises money", published=now - timedelta(days=400))
    b = _rec("b", "Moonshot raises money", published=now - timedelta(days=1))
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild([a, b], generation=1)
    assert _ids(ix, "Moonshot")[0] == "b"
    scores = [h.score for h in ix.search(SearchRequest(text="Moonshot", recency_weight=0)).hits]
    assert scores[0] == pytest.approx(scores[1])


def test_unknown_providers_and_provider_keywords(index: SearchIndex) -> None:
    asked = ["scmp.com", "South China Morning Post", "BENZINGA.COM", "nope.example", "scmp"]
    assert index.unknown_providers(asked) == ["nope.example", "scmp"]
    keywords = index.provider_keywords()
    assert {"scmp.com", "south china morning post", "benzinga.com"} <= set(keywords)
    assert all(k == k.lower() for k in keywords)


def test_date_span_of_matching_dated_records(index: SearchIndex) -> None:
    assert index.date_span(SearchRequest()) == (
        datetime(2023, 10, 17, 16, 45, tzinfo=UTC), datetime(2024, 3, 5, 9, 10, tzinfo=UTC))
    assert index.date_span(SearchRequest(providers=("scmp.com",))) == (
        datetime(2023, 10, 20, 11, 54, tzinfo=UTC),) * 2
    assert index.date_span(SearchRequest(text="Tencent Baidu")) == (None, None)  # undated "000"
    assert index.date_span(SearchRequest(text="nonexistentword")) == (None, None)


def _far_dates_index(tmp_path: Path) -> SearchIndex:
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild(
        [
            _rec("y9999", "Far future almanac", published=datetime(9999, 12, 31, tzinfo=UTC)),
            _rec("y1", "Ancient almanac", published=datetime(1, 1, 1, tzinfo=UTC)),
            _rec("y2300", "Next century almanac", published=datetime(2300, 1, 1, tzinfo=UTC)),
            _rec("y2024", "Modern almanac", published=datetime(2024, 5, 1, tzinfo=UTC)),
            _rec("none", "Undated almanac"),
        ],
        generation=1,
    )
    return ix


def test_dates_beyond_the_date_field_are_indexed_and_sorted(tmp_path: Path) -> None:
    ix = _far_dates_index(tmp_path)
    assert sorted(_ids(ix, "almanac")) == ["none", "y1", "y2024", "y2300", "y9999"]
    assert _ids(ix, "ancient") == ["y1"]
    newest = [h.record.id for h in ix.select(SearchRequest(sort="newest")).hits]
    oldest = [h.record.id for h in ix.select(SearchRequest(sort="oldest")).hits]
    assert newest == ["y9999", "y2300", "y2024", "y1", "none"]
    assert oldest == ["y1", "y2024", "y2300", "y9999", "none"]
    far = ix.search(SearchRequest(text="future")).hits[0].record
    assert far.published == datetime(9999, 12, 31, tzinfo=UTC)
    assert ix.histogram(SearchRequest(), "year") == [
        ("0001", 1), ("2024", 1), ("2300", 1), ("9999", 1)]
    assert ix.date_span(SearchRequest()) == (
        datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), ["y2024"]),
        (datetime(5000, 1, 1, tzinfo=UTC), None, ["y9999"]),
        (None, datetime(1500, 1, 1, tzinfo=UTC), ["y1"]),
        (None, datetime(9999, 12, 31, 23, tzinfo=UTC), ["y1", "y2024", "y2300", "y9999"]),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), ["y1", "y2024"]),
        (datetime(2100, 1, 1, tzinfo=UTC), None, ["y2300", "y9999"]),
    ],
)
def test_date_filters_are_exact_for_every_year(
    tmp_path: Path, since: datetime | None, until: datetime | None, expected: list[str]
) -> None:
    ix = _far_dates_index(tmp_path)
    got = ix.select(SearchRequest(since=since, until=until, limit=10)).hits
    assert sorted(h.record.id for h in got) == expected


def test_undecodable_source_name_round_trips(tmp_path: Path) -> None:
    source = os.fsdecode(b"/news/caf\xe9.md")
    record = _rec("latin", "Latin-1 name", sources=(source,))
    ix = HeldIndex(tmp_path / "index")
    ix.rebuild([record], generation=1)
    assert ix.search(SearchRequest(text="latin")).hits[0].record == record
    assert list(ix.iter_digests()) == [("latin", record_digest(record))]


def test_rebuild_keeps_a_folder_another_rebuild_is_building(index: SearchIndex) -> None:
    (old,) = index.path.glob("data-*")
    foreign = index.path / "data-0123456789ab"
    with indexdirs.building(index.path, index._live_data):  # another rebuild, under way
        foreign.mkdir()
        (foreign / "meta.json").write_text("{}")
        index.rebuild(SEED_RECORDS[:2], generation=8)
        names = {p.name for p in index.path.glob("data-*")}
        assert foreign.name in names and old.name not in names and len(names) == 2
    assert index.count(SearchRequest()) == 2
    index.rebuild(SEED_RECORDS[:3], generation=9)  # no other rebuild: a leftover now
    assert len(list(index.path.glob("data-*"))) == 1 and not foreign.exists()


def test_iter_digests_gives_every_indexed_record(index: SearchIndex) -> None:
    docs = list(index.iter_digests())
    assert sorted(i for i, _ in docs) == sorted(r.id for r in SEED_RECORDS)
    by_id = {r.id: r for r in SEED_RECORDS}
    assert all(d == record_digest(by_id[i]) for i, d in docs)
    assert len({d for _, d in docs}) == len(docs)  # each record's own content
    index.update(upserts=[], deletes=[r.id for r in SEED_RECORDS], generation=8)
    assert list(index.iter_digests()) == []


def test_the_index_keeps_no_copy_of_the_records(index: SearchIndex) -> None:
    """Only ids and digests are stored: a hit's record comes from the record source."""
    assert isinstance(index, HeldIndex)
    index.held.pop("004")
    assert _ids(index, "Baichuan") == []  # matched, but not readable: left out
    assert index.count(SearchRequest(text="Baichuan")) == 1


def test_provider_summary_of_undated_and_far_dated_records(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from newsidx.index import SearchRequest
    from newsidx.model import Article, Provider, make_id

    def rec(n: int, provider: Provider, when: datetime | None) -> Article:
        return Article(id=make_id(url=f"https://x.org/{n}"), kind="article", title=f"t{n}",
                       provider=provider, published=when)

    reuters = Provider("Reuters", None)
    far = Provider("Far Future", "far.example")
    index = HeldIndex(tmp_path / "index")
    index.rebuild([rec(1, reuters, None), rec(2, reuters, None),
                   rec(3, far, datetime(9999, 12, 31, tzinfo=timezone.utc)),
                   rec(4, far, datetime(1, 1, 1, tzinfo=timezone.utc))], 1)
    rows = {r.key: r for r in index.provider_summary(SearchRequest())}
    assert rows["reuters"] == ("reuters", 2, "Reuters", None, None)
    assert rows["far.example"] == ("far.example", 2, "Far Future", "0001-01-01", "9999-12-31")


def test_provider_summary_names_a_provider_by_its_most_common_name(tmp_path: Path) -> None:
    """Ties go to the name that sorts first; a name holding a tab is kept whole."""
    from newsidx.index import SearchRequest
    from newsidx.model import Article, Provider, make_id

    def rec(n: int, name: str | None, domain: str) -> Article:
        return Article(id=make_id(url=f"https://x.org/{n}"), kind="article", title=f"t{n}",
                       provider=Provider(name, domain))

    index = HeldIndex(tmp_path / "index")
    index.rebuild([rec(1, "SCMP", "scmp.com"), rec(2, "South China Morning Post", "scmp.com"),
                   rec(3, "South China Morning Post", "scmp.com"),
                   rec(4, "B\tTab", "tie.org"), rec(5, "A Tie", "tie.org"),
                   rec(6, None, "anon.net")], 1)
    rows = {r.key: (r.records, r.name) for r in index.provider_summary(SearchRequest())}
    assert rows == {"scmp.com": (3, "South China Morning Post"), "tie.org": (2, "A Tie"),
                    "anon.net": (1, "anon.net")}
    only = index.provider_summary(SearchRequest(text="t4"))
    assert [(r.key, r.records, r.name) for r in only] == [("tie.org", 1, "B\tTab")]
