"""The text a reader sees, for the index and snippets: markup removed, entities decoded.

Posts are written in Markdown, HTML, MDX and template languages; indexed as written,
``img src`` matched most posts and snippets showed link syntax. ``body_text`` turns
Markdown into text (link and image text kept, targets dropped; see ``_markdown``),
removes HTML tags, Hugo shortcodes (``{{< >}}``, ``{{% %}}``), Liquid/Jekyll tags
(``{% %}``, ``{{ }}``) and MDX imports, exports and components, and decodes entities.
``inline_text`` does the same for a one-line title or excerpt (tags and entities only).
Text with none of the characters that start markup is returned unchanged, so plain
articles cost a regular-expression scan. The catalogue keeps the body as written;
ingest's parse workers call this when they build index documents.
"""

from __future__ import annotations

import html
import operator
import re
from collections.abc import Callable

_SHORTCODE = re.compile(r"\{\{[<%].{0,2000}?[%>]\}\}|\{%.{0,2000}?%\}|\{\{.{0,2000}?\}\}",
                        re.S)
_MDX_LINE = re.compile(
    r"^(?:import\s.{0,500}?\sfrom\s+['\"][^'\"\n]+['\"]|import\s+['\"][^'\"\n]+['\"]"
    r"|export\s+(?:const|default|function|let)\b.*);?[ \t]*$",
    re.M,
)
_JSX_COMMENT = re.compile(r"\{/\*.{0,2000}?\*/\}", re.S)
_JSX_ATTRIBUTE = re.compile(r"=\{[^{}\n]{0,500}\}")
_JSX_SELF_CLOSING = re.compile(r"<[A-Z][\w.]*(?:\s[^<>]{0,2000})?/>")
_DROP_ELEMENTS = re.compile(r"<(script|style|svg|template)\b.{0,100000}?</\1\s*>|<!--.*?-->",
                            re.S | re.I)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|table|blockquote|pre|section|article|figure"
    r"|figcaption|header|footer|dd|dt)\b[^>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]{0,5000})?/?>|<![A-Za-z][^<>]{0,5000}>")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"   *")  # after tabs became spaces


def _strip_html(text: str) -> str:
    text = _DROP_ELEMENTS.sub(" ", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text) if "&" in text else text


def inline_text(text: str) -> str:
    """A title or excerpt as shown: markup removed, entities decoded, spaces collapsed."""
    if _MAYBE_INLINE.search(text) is None:
        return text
    out = body_text(text)
    return _SPACES.sub(" ", out.replace("\n", " ").replace("\t", " ")).strip() or text.strip()


# Every pattern starts with a literal or a character class, so that the regular-expression
# engine scans for it in C: line rules match from the newline before the line (the text is
# given one up front), never from ``^``, which is tried at every position.
_FENCE = re.compile(r"\n[ \t]{0,3}(?:`{3,}|~{3,})[^\n]*")
_Repl = str | Callable[["re.Match[str]"], str]
_GROUP1: _Repl = operator.itemgetter(1)  # in C: a template such as r"\1" costs a Python call
# a link's text (one level of brackets inside) and its target (one level of parentheses)
_LINK = r"\[((?:[^\[\]\n]++|\[[^\[\]\n]*+\])*+)\]\((?:[^()\n]++|\([^()\n]*+\))*+\)"
# Each rule runs only when its guard (a literal every match holds; "" for none) is in the
# text: ``in`` scans faster than the regular-expression engine.
_MD_RULES: tuple[tuple[str, re.Pattern[str], _Repl], ...] = tuple(
    (guard, re.compile(pattern), repl) for guard, pattern, repl in (
        ("]:", r"\n[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S[^\n]*", "\n"),  # reference definitions
        # images before links, so that an image inside a link goes too
        ("![", "!" + _LINK, _GROUP1),
        ("](", _LINK, _GROUP1),
        ("![", r"!\[([^\]\n]+)\]\[[^\]\n]*\]", _GROUP1),  # reference images
        ("][", r"\[([^\]\n]+)\]\[[^\]\n]*\]", _GROUP1),  # reference links
        ("<", r"<(?:URL:)?((?:https?|mailto|ftp):[^<>\s]+)>", _GROUP1),  # autolinks
        ("#", r"\n[ \t]{0,3}+#{1,6}+[ \t]++([^\n]*?)(?:[ \t]++#++)?[ \t]*+(?=\n|\Z)",
         lambda m: "\n" + m[1]),  # headings
        ("", r"\n[ \t]*+(?:=+|(?:[-*_][ \t]*+){3,})(?=\n|\Z)", "\n"),  # rules
        (">", r"\n[ \t]*+(?:>[ \t]?)+", "\n"),  # block quotes
        ("", r"(\n[ \t]*+)[-*+][ \t]+(?:\[[ xX]\][ \t]+)?", _GROUP1),  # bullets
        ("---", r"\n[ \t]*+\|?(?:[ \t]*+:?-{3,}:?[ \t]*+\|)+(?:[ \t]*+:?-{3,}:?[ \t]*+)?"
         r"\|?[ \t]*(?=\n|\Z)", "\n"),  # table rules
        ("`", r"`(?:`*)([^`\n]+?)`+", _GROUP1),  # inline code
        ("**", r"\*\*(?=\S)(.+?)(?<=\S)\*\*", _GROUP1),  # strong
        ("__", r"__(?=\S)(.+?)(?<=\S)__", _GROUP1),
        ("*", r"\*(?<![\w*]\*)(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])", _GROUP1),  # emphasis
        ("_", r"_(?<![\w_]_)(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])", _GROUP1),
        ("~~", r"~~(?=\S)(.+?)(?<=\S)~~", _GROUP1),  # strikethrough
        ("\\", r"\\([!-/:-@\[-`{-~])", _GROUP1),  # backslash escapes
        ("|", r"\|[ \t]*", " "),  # table cells; the spaces before go with the others
    )
)
# The characters that start markup (as parse._MARKUP_START); a body may also hold a
# list marker or an indented line. Text with none is returned as it is.
_STARTS = "<&[]{}*_`#|\\>~="
_MAYBE_INLINE = re.compile(f"[{re.escape(_STARTS)}]")
_BULLETS = ("\n- ", "\n* ", "\n+ ", "\n ", "\n\t")  # a line-start marker, or indentation
_MAYBE_MARKUP = re.compile(f"[{re.escape(_STARTS)}]|\n(?:[-*+] |[ \t])")  # either of them
_SHORT = 200  # below this many characters one regex scan beats 21 ``in`` scans


def _plain(body: str) -> bool:
    """True when ``body`` holds no character that starts markup and no line marker or
    indentation, so it is its own text: one regex scan for a short text (an excerpt),
    ``str.find`` per character for a long body, where that is faster."""
    if len(body) < _SHORT:
        return _MAYBE_MARKUP.search(body) is None
    return not any(c in body for c in _STARTS) and not any(b in body for b in _BULLETS)


def _markdown(text: str) -> str:
    """Markdown to text by line rules: code kept as written (its fences dropped), markers
    of headings, quotes, lists, tables and emphasis removed, links and images by their
    text. A full CommonMark parser (markdown-it-py) gave the same words at 13 times the
    cost of parsing the file, which would have slowed ingest threefold."""
    parts = _FENCE.split("\n" + text) if "``" in text or "~~~" in text else ["\n" + text]
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            for guard, pattern, repl in _MD_RULES:
                if guard in part:
                    part = pattern.sub(repl, part)
            if "<" in part or "&" in part:
                part = _strip_html(part)
        out.append(part)
    return "\n".join(out)[1:]  # each fence took its line's newline; the first is ours


def body_text(body: str) -> str:
    """The body as a reader sees it (see the module doc)."""
    if _plain(body):
        return body
    text = body
    if "{" in text:  # code has braces: each rule waits for the literal it starts or ends with
        text = _SHORTCODE.sub("", text) if "{{" in text or "{%" in text else text
        text = _JSX_COMMENT.sub("", text) if "{/*" in text else text
        text = _JSX_ATTRIBUTE.sub("", text) if "={" in text else text
    if "import" in text or "export" in text:
        text = _MDX_LINE.sub("", text)
    if "/>" in text:
        text = _JSX_SELF_CLOSING.sub("", text)
    text = _markdown(text)
    if "\t" in text:
        text = text.replace("\t", " ")
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
