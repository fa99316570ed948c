"""Files that used to make wrong records (issue 18): unencodable strings, invisible or
multi-line titles, non-web URLs, impossible UTC offsets and duplicate front-matter keys.
Fixtures are made here."""

from __future__ import annotations

import json

import pytest

from newsidx.errors import SkippedFile
from newsidx.model import to_json
from newsidx.parse import ParseResult, parse_bytes


def parse(text: str | bytes, name: str = "story.md") -> ParseResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bytes(data, f"/news/{name}")


def _all_strings_encodable(result: ParseResult) -> bool:
    for record in result.records:
        text = json.dumps(to_json(record), ensure_ascii=False)
        if "\\u0000" in text:
            return False
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


# --- 1. strings no later stage can encode -----------------------------------------

@pytest.mark.parametrize("doc, field", [
    ('{"title": "bad \\ud800 title"}\nbody\n', "title"),
    ('{"title": "t", "excerpt": "\\udfff"}\n', "excerpt"),
    ('{"title": "t", "note": {"k": ["\\ud800"]}}\n', "extra.note.k[0]"),
    ('{"title": "t", "related": [{"title": "r\\ud800", "url": "https://e.x/r"}]}\n', "title"),
    ('{"title": "t", "tags": ["a\\u0000b"]}\n', "topics[0]"),
    ('---\ntitle: t\nexcerpt: "nul \\0 inside"\n---\nbody\n', "excerpt"),
    ('---\ntitle: t\nprovider: "P\\x00"\n---\n', "provider.name"),
])
def test_unencodable_strings_become_u_fffd_with_a_warning(doc: str, field: str) -> None:
    result = parse(doc)
    assert _all_strings_encodable(result)
    warnings = [w for w in result.warnings if "U+FFFD" in w]
    assert warnings and any(field in w for w in warnings)
    assert any("\ufffd" in json.dumps(to_json(r), ensure_ascii=False) for r in result.records)


def test_yaml_surrogate_escape_never_reaches_a_record() -> None:
    """libyaml refuses the escape; the pure-Python loader makes a surrogate: either way
    no record holds one."""
    try:
        result = parse('---\ntitle: "bad \\ud800 title"\n---\nbody\n')
    except SkippedFile:  # pragma: no cover - not what either loader does
        raise
    except Exception as exc:  # a ParseError naming the file is fine too
        assert "/news/story.md" in str(exc)
        return
    assert _all_strings_encodable(result)


# --- 11. titles ---------------------------------------------------------------------

@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u200b\u200c\u2060", "\u3164",
                                       "\u00a0\u2003", "\u202e"])
def test_a_title_of_only_invisible_characters_is_no_title(invisible: str) -> None:
    front = parse(f'---\ntitle: "{invisible}"\n---\n# Heading title\n\nBody.\n')
    assert front.records[0].title == "Heading title"
    bare = parse(f'{{"title": "{invisible}"}}\n', name="fallback-name.md")
    assert bare.records[0].title == "fallback-name"
    if invisible.strip() and not invisible.startswith("\ufeff"):  # else a blank line, a BOM
        text = parse(f"{invisible}\n\nBody text.\n", name="plain-name.txt")
        assert text.records[0].title == "plain-name"


def test_controls_and_newlines_in_titles_fold_to_single_spaces() -> None:
    result = parse('---\ntitle: "Line one\\nline two\\t\\u001b[31mred\\u0007"\n'
                   'related:\n  - title: "rel\\r\\nated"\n    url: https://example.com/r\n'
                   '---\nbody\n')
    article, related = result.records
    assert article.title == "Line one line two [31mred"
    assert related.title == "rel ated" and article.related[0].title == "rel ated"
    text = parse("# Title \x1b]0;x\x07 here\n\nbody\n", name="t.txt")
    assert text.records[0].title == "Title ]0;x here"


# --- 11. URLs ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "file:///etc/passwd",
                                 "data:text/html;base64,PHNjcmlwdD4=", "/relative/only"])
def test_only_http_urls_are_urls(url: str) -> None:
    result = parse(f'---\ntitle: t\nwebUrl: "{url}"\nlink: https://example.com/ok\n'
                   f'ampWebUrl: "{url}"\n---\nbody\n')
    record = result.records[0]
    assert record.web_url == "https://example.com/ok" and record.url == "https://example.com/ok"
    assert record.amp_url is None
    assert record.extra["webUrl"] == url and record.extra["ampWebUrl"] == url
    assert sum("not an http(s) URL" in w for w in result.warnings) == 2
    alone = parse(f'{{"title": "t", "url": "{url}"}}\n').records[0]
    assert alone.url is None and alone.web_url is None and alone.extra == {"url": url}


def test_related_record_with_a_javascript_url_keeps_it_in_extra() -> None:
    result = parse('---\ntitle: t\nrelated:\n  - title: r\n    url: "javascript:x()"\n---\n')
    related = result.records[1]
    assert related.url is None and related.extra["url"] == "javascript:x()"
    assert any(w.startswith("related item 1: url is not") for w in result.warnings)


# --- 11. dates, duplicate keys --------------------------------------------------

@pytest.mark.parametrize("value", ['"2024-03-05T10:00:00+24:00"', "2024-03-05T10:00:00-24:00",
                                   '"Tue, 05 Mar 2024 10:00:00 +2400"'])
def test_an_offset_of_24_hours_keeps_the_article_undated(value: str) -> None:
    for doc in (f"---\ntitle: t\ndate: {value}\n---\nbody\n",
                f'{{"title": "t", "date": {json.dumps(value.strip(chr(34)))}}}\nbody\n'):
        result = parse(doc)
        record = result.records[0]
        assert record.published is None and record.published_raw == value.strip('"')
        assert any("UTC offset" in w for w in result.warnings)


def test_duplicate_yaml_keys_keep_the_last_value_with_a_warning() -> None:
    result = parse("---\ntitle: first\ntitle: second\nprovider:\n  name: A\n  name: B\n"
                   "---\nbody\n")
    record = result.records[0]
    assert record.title == "second" and record.provider is not None
    assert record.provider.name == "B"
    (warning,) = [w for w in result.warnings if "duplicate" in w]
    assert "'title'" in warning and "'name'" in warning


def test_merge_keys_overridden_are_not_duplicates() -> None:
    result = parse("---\ntitle: t\nbase: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 3\n---\n")
    assert result.records[0].extra["m"] == {"x": 3, "y": 2}
    assert not any("duplicate" in w for w in result.warnings)


def test_duplicate_json_keys_keep_the_last_value_with_a_warning() -> None:
    result = parse('{"title": "first", "title": "second", "excerpt": "e"}\nbody\n')
    assert result.records[0].title == "second"
    assert any("duplicate" in w and "'title'" in w for w in result.warnings)
    clean = parse('{"title": "only", "nested": {"title": "fine"}}\n')
    assert not any("duplicate" in w for w in clean.warnings)
