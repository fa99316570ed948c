"""Every string of a record is safe once it is made (issue 18): no lone surrogate or NUL
reaches a later stage, titles are one visible line, only http(s) addresses are URLs, and
a stored line that is not a record is skipped, named and counted, never raised."""

from __future__ import annotations

import json

import pytest

from newsidx.clean import fix_text, fold_title, is_web_url, scrub_record
from newsidx.model import (
    Article,
    Image,
    Provider,
    RelatedRef,
    SkippedLines,
    clean,
    from_json,
    record_from_line,
    to_json,
)


def _encodable(record: Article) -> bool:
    """True when the record's JSON form encodes as UTF-8, as the index needs."""
    text = json.dumps(to_json(record), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\\u0000" not in text


def test_fix_text_replaces_lone_surrogates_and_nul_and_joins_pairs() -> None:
    assert fix_text("a\ud800b") == "a\ufffdb"
    assert fix_text("a\x00b") == "a\ufffdb"
    assert fix_text("\udc80") == "\ufffd"
    assert fix_text("\ud83d\ude00") == "\U0001f600"  # a split pair is one character
    assert fix_text("plain é 中") == "plain é 中"


@pytest.mark.parametrize("title, folded", [
    ("One\ntwo", "One two"),
    ("  tabs\tand\r\nbreaks  ", "tabs and breaks"),
    ("a\x1b]0;x\x07b", "a ]0;x b"),
    ("next\x85line\u2028sep", "next line sep"),
    ("\ufeffBOM first", "BOM first"),
    ("\u200b", ""), ("\ufeff", ""), ("\u200b\u200d\u2060 \u00a0", ""), ("\u3164", ""),
    ("\u202e\u2066", ""), ("\u0301", ""),
    ("阿里 \u200b Alibaba \u202eevil", "阿里 \u200b Alibaba \u202eevil"),  # visible: kept
])
def test_fold_title(title: str, folded: str) -> None:
    assert fold_title(title) == folded
    assert fold_title(folded) == folded


@pytest.mark.parametrize("url, web", [
    ("https://example.com/a", True), ("HTTP://Example.com", True),
    ("javascript:alert(1)", False), ("file:///etc/passwd", False),
    ("data:text/html,<script>", False), ("//example.com/a", False),
    ("/relative/path", False), ("http://", False), ("http:///x", False),
    ("ftp://example.com", False), ("www.example.com", False),
])
def test_is_web_url(url: str, web: bool) -> None:
    assert is_web_url(url) is web


def _record(**fields: object) -> Article:
    base: dict[str, object] = {"id": "00000000000000aa", "kind": "article", "title": "T"}
    return Article(**{**base, **fields})  # type: ignore[arg-type]


def test_from_json_repairs_every_string_and_names_the_fields() -> None:
    record = _record(
        title="bad \ud800 title", body="nul\x00body", topics=("ok", "t\udfff"),
        provider=Provider("P\ud800", None),
        images=(Image("https://img.example/a.png", extra={"alt\ud800": "x\x00"}),),
        related=(RelatedRef("00000000000000bb", "rel\ud800", None),),
        extra={"note": ["fine", {"deep": "\ud800"}], "k\x00": 1},
    )
    assert not _encodable(record)
    data = json.loads(json.dumps(to_json(record)))  # JSON escapes carry the surrogates
    made = from_json(data)
    assert _encodable(made)
    assert made.title == "bad \ufffd title" and made.body == "nul\ufffdbody"
    assert made.topics == ("ok", "t\ufffd") and made.provider == Provider("P\ufffd", None)
    assert made.extra == {"note": ["fine", {"deep": "\ufffd"}], "k\ufffd": 1}
    assert made.images[0].extra == {"alt\ufffd": "x\ufffd"}
    assert made.related[0].title == "rel\ufffd"
    (warning,) = made.warnings
    for field in ("title", "body", "topics[1]", "provider.name", "and 4 more"):
        assert field in warning
    (nested,) = from_json(to_json(_record(extra={"note": [{"deep": "\ud800"}]}))).warnings
    assert "extra.note[0].deep" in nested
    assert from_json(to_json(made)) == made  # clean now: read again, unchanged


def test_keys_that_differ_only_in_bad_characters_both_survive() -> None:
    made = from_json(to_json(_record(extra=dict([("\ud800", 1), ("\ud801", 2)]))))
    assert sorted(made.extra.values()) == [1, 2]
    assert all("\ufffd" in key for key in made.extra)


def test_sources_keep_their_escaped_file_names() -> None:
    name = "/news/caf\udce9.md"  # os.fsdecode of a Latin-1 file name
    made = from_json(to_json(_record(sources=(name,))))
    assert made.sources == (name,) and made.warnings == ()


def test_from_json_moves_non_web_urls_to_extra() -> None:
    made = from_json(to_json(_record(
        url="javascript:alert(1)", web_url="javascript:alert(1)",
        original_url="https://example.com/a", amp_url="file:///etc/passwd")))
    assert made.web_url is None and made.amp_url is None and made.url is None
    assert made.original_url == "https://example.com/a"
    assert made.extra == {"web_url": "javascript:alert(1)", "amp_url": "file:///etc/passwd"}
    assert len(made.warnings) == 2 and all("http(s)" in w for w in made.warnings)
    clash = from_json(to_json(_record(web_url="data:x", extra={"web_url": "kept"})))
    assert clash.extra == {"web_url": "kept", "web_url (not http)": "data:x"}


def test_from_json_folds_titles() -> None:
    made = from_json(to_json(_record(
        title="Two\nlines", related=(RelatedRef("00000000000000bb", "a\tb\n", None),))))
    assert made.title == "Two lines" and made.related[0].title == "a b"


def test_clean_returns_the_same_record_when_nothing_changes() -> None:
    record = _record(title="Fine title é", body="Body ’ — 中文", extra={"a": ["b"]},
                     web_url="https://example.com/x", sources=("/x\udce9",))
    assert clean(record) is record
    assert scrub_record(to_json(record))[1] == []


@pytest.mark.parametrize("line, reason", [
    (b"\xff\xfe not utf-8", "not JSON"),
    ("{not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"kind": "article"}', "no record id"),
    ('{"id": "a", "title": 5}', "'title' must be a string"),
    ('{"id": "a", "topics": "x"}', "'topics' must be a list of strings"),
    ('{"id": "a", "images": [{"width": 3}]}', "not a newsidx record"),
    ('{"id": "a", "published": "yesterday"}', "Invalid isoformat"),
    ('{"id": "a", "extra": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
])
def test_record_from_line_gives_one_line_reasons(line: str | bytes, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        record_from_line(line)
    assert "\n" not in str(caught.value)
    assert reason.lower() in str(caught.value).lower()


def test_skipped_lines_skip_name_and_count_and_read_the_rest() -> None:
    good = json.dumps(to_json(_record()))
    lines = ["{oops", good, '{"id": 7}', json.dumps({**to_json(_record()), "title": "\ud800"})]
    skipped = SkippedLines()
    records = [skipped.read(line, f"shard 2024-03 line {n}") for n, line in enumerate(lines, 1)]
    assert [r is None for r in records] == [True, False, True, False]
    assert records[3] is not None and records[3].title == "\ufffd"
    assert skipped.count == 2
    message = skipped.message
    assert message is not None and "\n" not in message
    assert "2 stored record" in message and "shard 2024-03 line 1" in message
    assert "check --repair" in message
    assert SkippedLines().message is None
