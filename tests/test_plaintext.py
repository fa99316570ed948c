"""Plain text for search and snippets: markup, shortcodes and entities removed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsidx import Archive
from newsidx.plaintext import body_text, inline_text

BODY = """import Chart from "../components/Chart"

# Release notes &amp; more

See [the docs](https://example.com/docs "Docs") and ![a chart](/img/c.png).
<img src="x.png" alt="y"> Text with <b>bold</b>, **strong**, _emphasis_ and `code`.

{{< youtube abc123 >}}
{{% note %}}Inside a note{{% /note %}}
{% include figure.html src="a.png" %}
{{ page.title }}
<Chart data={[1, 2, 3]} />
<Callout type="warn">Careful now</Callout>

- first item
> quoted words

```ruby
puts snake_case_name
```
"""

MARKUP = re.compile(r"\]\(|!\[|</?[a-zA-Z][\w-]*(?:\s[^>]*)?/?>|\{\{|\{%|%\}"
                    r"|&(?:[a-z]+|#\d+);|^#+ |\*\*")


def test_body_text_keeps_what_a_reader_sees() -> None:
    text = body_text(BODY)
    assert MARKUP.search(text) is None, text
    for words in ("Release notes & more", "See the docs and a chart.", "bold, strong, emphasis "
                  "and code", "Inside a note", "Careful now", "first item", "quoted words",
                  "puts snake_case_name"):
        assert words in text
    for gone in ("example.com", "img", "src", "youtube", "include", "page.title", "Chart",
                 "import"):
        assert gone not in text, gone


def test_plain_bodies_are_unchanged() -> None:
    plain = "A plain story. It said 3 - 2 = 1, and that was all.\n\nSecond paragraph."
    assert body_text(plain) == plain


def test_escaped_markup_is_text_a_reader_sees() -> None:
    assert body_text("* [&lt;URL:https://a.org/x&gt;][2]") == "<URL:https://a.org/x>"


def test_titles_are_entity_decoded() -> None:
    assert inline_text("NARA&#8217;s DocsTeach") == "NARA\u2019s DocsTeach"
    assert inline_text("<em>Big</em> &amp; small") == "Big & small"


def test_search_and_show_use_the_text_and_keep_the_body(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a.md").write_text("---\ntitle: NARA&#8217;s DocsTeach\ndate: 2024-01-02\n---\n"
                                + BODY, encoding="utf-8")
    (posts / "b.md").write_text("---\ntitle: Other\n---\nNothing to see here.\n",
                                encoding="utf-8")
    archive = Archive(tmp_path / "cat")
    archive.ingest(posts)
    assert archive.count("img") == 0 and archive.count("youtube") == 0
    assert archive.count("careful") == 1
    assert archive.count("NARA's DocsTeach") == 1  # a straight apostrophe finds a curly one
    hit = archive.search("careful").hits[0]
    snippet = "".join(text for text, _ in hit.snippet)
    assert "Careful" in snippet and MARKUP.search(snippet) is None
    assert hit.record.body.startswith("import Chart")  # the catalogue keeps it as written


@pytest.mark.slow
@pytest.mark.shared
def test_snippets_on_the_shared_corpora_hold_no_markup(shared: Path, tmp_path: Path) -> None:
    archive = Archive(tmp_path / "cat")
    archive.ingest(shared / "corpora" / "ruby-lang-news" / "en")
    words = ["ruby", "release", "security", "download", "conference", "gem", "rails",
             "windows", "vulnerability", "bug"]
    snippets = [
        "".join(text for text, _ in hit.snippet)
        for word in words for hit in archive.search(word, limit=50).hits
    ]
    assert len(snippets) >= 300
    marked = [s for s in snippets if MARKUP.search(s)]
    assert len(marked) / len(snippets) <= 0.01, [MARKUP.search(s) for s in marked[:8]]


def test_markdown_at_the_edges_of_the_text() -> None:
    text = body_text("```\ncode here\n```\n## Title ##\n[![logo](/l.png)](https://a.org)\n"
                     "\n* * *\n\n- last")
    assert text.split("\n") == ["code here", "", "Title", "logo", "", "last"]


def test_the_plain_text_check_is_the_same_for_short_and_long_texts() -> None:
    """A short text is checked with one regex, a long one per character: both must find
    every markup character and line marker, and nothing else."""
    from newsidx.plaintext import _BULLETS, _SHORT, _STARTS, _plain

    def reference(text: str) -> bool:
        return not any(c in text for c in _STARTS) and not any(b in text for b in _BULLETS)

    pieces = [*_STARTS, *_BULLETS, "\n-", "\n+x", "\n\n", "-", "+ ", "\t", "é", "发", "a"]
    for filler in ("", "word " * (_SHORT // 5 + 1)):
        for piece in pieces:
            for text in (piece, f"a {piece} b", filler + piece, piece + filler):
                assert _plain(text) == reference(text), repr(text[:40])
