"""Beyond English (issue #8): CJK bigrams, mixed scripts, folding, exact words, RTL intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from heldindex import HeldIndex

from newsidx.analysis import bigrams, cjk_field_text, cjk_runs, snippet, strip_cjk
from newsidx.index import SearchIndex, SearchRequest
from newsidx.model import Article

ARCHIVE = {
    "zh": ("阿里巴巴投资人工智能初创公司", "阿里巴巴 Alibaba 投资 MiniMax，估值超过二十五亿美元。"),
    "zh2": ("MiniMax发布新模型", "上海的人工智能公司今天发布了新的大模型。"),
    "ja": ("東京で新しい人工知能の研究所が開設", "ソフトバンクは東京に研究所を開設した。"),
    "ko": ("서울에서 인공지능 회의 개최", "삼성전자는 새로운 반도체를 발표했다."),
    "ar": ("الذكاء الاصطناعي في دبي", "أعلنت شركة في دبي عن استثمار جديد."),
    "de": ("Zürich: Künstliche Intelligenz wächst", "Die Bank in Zürich investiert in Startups."),
    "fr": ("Café et économie à Genève", "L'économie genevoise accélère après l'été."),
    "nfd": ("Cafe\u0301 culture in Montre\u0301al", "A story with combining accents."),
    "en": ("Investors back AI startups", "Alibaba invested heavily; investing continues."),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    ix = HeldIndex(tmp_path_factory.mktemp("ml") / "index")
    ix.rebuild([Article(id=k, kind="article", title=t, body=b) for k, (t, b) in ARCHIVE.items()], 1)
    return ix


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("阿里巴巴", {"zh"}),
        ("投资", {"zh"}),
        ("人工智能", {"zh", "zh2", "ja", "ko"} - {"ja", "ko"}),
        ("人工知能", {"ja"}),
        ("研究所", {"ja"}),
        ("ソフトバンク", {"ja"}),
        ("인공지능", {"ko"}),
        ("반도체", {"ko"}),
        ("发布", {"zh2"}),
        ("MiniMax", {"zh", "zh2"}),
        ("MiniMax发布", {"zh2"}),
        ('"阿里巴巴 Alibaba"', {"zh"}),
        ("东京", set()),
        ("東", {"ja"}),
        ("دبي", {"ar"}),
        ("Zurich", {"de"}),
        ("zürich", {"de"}),
        ("ZÜRICH", {"de"}),
        ("Geneve", {"fr"}),
        ("economie", {"fr"}),
        ("cafe", {"fr", "nfd"}),
        ("montreal", {"nfd"}),
        ("Montre\u0301al", {"nfd"}),
        ("서울에서", {"ko"}),
        ("\u1109\u1165\u110b\u116e\u11af", {"ko"}),
        ("investing", {"en"}),
        ("investiert", {"de"}),
        ("=investing", {"en"}),
        ("=invested", {"en"}),
        ("title:阿里巴巴", {"zh"}),
        ("人工智能 -发布", {"zh"}),
    ],
)
def test_queries_find_expected_ids(index: SearchIndex, query: str, expected: set[str]) -> None:
    hits = index.search(SearchRequest(text=query, limit=50)).hits
    assert {h.record.id for h in hits} == expected


def test_original_text_is_stored_intact(index: SearchIndex) -> None:
    arabic = index.search(SearchRequest(text="دبي")).hits[0].record
    assert arabic.title == ARCHIVE["ar"][0]
    nfd = index.search(SearchRequest(text="montreal")).hits[0].record
    assert nfd.title == "Cafe\u0301 culture in Montre\u0301al"


def test_cjk_snippet_highlights_the_word(index: SearchIndex) -> None:
    hit = index.search(SearchRequest(text="投资")).hits[0]
    assert ("投资", True) in hit.snippet
    hit = index.search(SearchRequest(text="MiniMax发布")).hits[0]
    assert ("发布", True) in hit.snippet
    segs = snippet([hit.record.title], stems={"minimax"}, cjk={"发布"})
    assert segs == (("MiniMax", True), ("发布", True), ("新模型", False))


def test_bigram_helpers() -> None:
    assert bigrams("阿里巴巴") == ["阿里", "里巴", "巴巴"]
    assert bigrams("東") == ["東"]
    assert cjk_runs("MiniMax发布 and 東京") == ["发布", "東京"]
    assert cjk_field_text("a阿里b東") == "阿里 東"
    assert strip_cjk("MiniMax发布!") == "MiniMax  !"


def test_snippet_for_rtl_and_accents_keeps_text() -> None:
    segs = snippet(["شركة في Zürich الآن"], stems={"zurich"})
    assert ("Zürich", True) in segs
    assert "".join(t for t, _ in segs) == "شركة في Zürich الآن"


def test_no_match_in_other_scripts(index: SearchIndex) -> None:
    assert index.search(SearchRequest(text="서울 東京")).total == 0


def test_ids_are_exact(tmp_path: Path) -> None:
    ix = HeldIndex(tmp_path / "i")
    ix.rebuild([Article(id="x", kind="article", title="中文")], 1)
    assert [h.record.id for h in ix.search(SearchRequest(text="中文")).hits] == ["x"]
