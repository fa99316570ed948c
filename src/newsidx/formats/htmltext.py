"""HTML snippets (feed summaries and content) turned into the text a reader sees.

Built on the standard library's tolerant ``html.parser``: elements that hold no reading
text (``script``, ``style``, ``svg``, ``template``...) are dropped whole, block elements
end a paragraph, ``<br>`` ends a line, entities are decoded and runs of white space are
collapsed, so a feed's ``content:encoded`` becomes plain paragraphs.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_DROP = frozenset({"script", "style", "svg", "template", "noscript", "iframe", "object",
                   "head", "math", "canvas"})
_BLOCK = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                    "table", "blockquote", "pre", "section", "article", "figure",
                    "figcaption", "header", "footer", "dd", "dt", "dl", "hr", "aside",
                    "main", "nav", "form", "address", "details", "summary"})
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self.dropping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """``markup`` as paragraphs of plain text (markup-free text comes back stripped)."""
    if "<" not in markup and "&" not in markup:
        return markup.strip()
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _LINES.sub("\n\n", "\n".join(lines)).strip()


def inline(markup: str) -> str:
    """A title: tags removed, entities decoded, one line."""
    if "<" not in markup:
        return " ".join(unescape(markup).split())
    return " ".join(html_to_text(markup).split())
