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
import re

_SHORTCODE = re.compile(r"\{\{[<%].{0,2000}?[%>]\}\}|\{%.{0,2000}?%\}|\{\{.{0,2000}?\}\}",
                        re.S)
_MDX_LINE = re.compile(
    r"^(?:import\s.{0,500}?\sfrom\s+['\"][^'\"\n]+['\"]|import\s+['\"][^'\"\n]+['\"]"
    r"|export\s+(?:const|default|function|let)\b.*);?[ \t]*$",
    re.M,
)
_JSX_EXPR = re.compile(r"\{/\*.{0,2000}?\*/\}|=\{[^{}\n]{0,500}\}", re.S)
_JSX_SELF_CLOSING = re.compile(r"<[A-Z][\w.]*(?:\s[^<>]{0,2000})?/>")
_DROP_ELEMENTS = re.compile(r"<(script|style|svg|template)\b.{0,100000}?</\1\s*>|<!--.*?-->",
                            re.S | re.I)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|table|blockquote|pre|section|article|figure"
    r"|figcaption|header|footer|dd|dt)\b[^>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]{0,5000})?/?>|<![A-Za-z][^<>]{0,5000}>")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t]{2,}|\t")


def _strip_html(text: str) -> str:
    text = _DROP_ELEMENTS.sub(" ", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text) if "&" in text else text


def inline_text(text: str) -> str:
    """A title or excerpt as shown: markup removed, entities decoded, spaces collapsed."""
    if not any(c in text for c in _STARTS):
        return text
    out = body_text(text)
    return _SPACES.sub(" ", out.replace("\n", " ")).strip() or text.strip()


_FENCE = re.compile(r"^[ \t]{0,3}(?:`{3,}|~{3,})[^\n]*$", re.M)
_BULLETS = ("\n- ", "\n* ", "\n+ ", "\n ", "\n\t")  # a line-start marker, or indentation
_MD_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = tuple(
    (guards, re.compile(pattern, re.M), repl) for guards, pattern, repl in (
        (("]:",), r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", ""),  # reference definitions
        (("](",), r"!?\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\((?:[^()\n]|\([^()\n]*\))*\)", r"\1"),
        (("][",), r"!?\[([^\]\n]+)\]\[[^\]\n]*\]", r"\1"),  # reference links
        (("<",), r"<(?:URL:)?((?:https?|mailto|ftp):[^<>\s]+)>", r"\1"),  # autolinks: the address
        (("#",), r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", r"\1"),  # headings
        (("==", "--", "**", "__"), r"^[ \t]*(?:=+|(?:[-*_][ \t]*){3,})[ \t]*$", ""),  # rules
        ((">",), r"^[ \t]*(?:>[ \t]?)+", ""),  # block quotes
        (_BULLETS, r"^([ \t]*)[-*+][ \t]+(?:\[[ xX]\][ \t]+)?", r"\1"),  # bullets
        (("|",), r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+(?:[ \t]*:?-{3,}:?[ \t]*)?\|?[ \t]*$",
         ""),
        (("`",), r"`+([^`\n]+?)`+", r"\1"),  # inline code
        (("**", "__"), r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2"),  # strong
        (("*",), r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1"),  # emphasis
        (("_",), r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])", r"\1"),
        (("~~",), r"~~(?=\S)(.+?)(?<=\S)~~", r"\1"),  # strikethrough
        (("\\",), r"\\([!-/:-@\[-`{-~])", r"\1"),  # backslash escapes
        (("|",), r"[ \t]*\|[ \t]*", " "),  # table cells
    )
)
_STARTS = "<&[]{}*_`#|\\>~="


def _markdown(text: str) -> str:
    """Markdown to text by line rules: code kept as written (its fences dropped), markers
    of headings, quotes, lists, tables and emphasis removed, links and images by their
    text. A full CommonMark parser (markdown-it-py) gave the same words at 13 times the
    cost of parsing the file, which would have slowed ingest threefold."""
    parts = _FENCE.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            for guards, pattern, repl in _MD_RULES:
                if any(g in part for g in guards):
                    part = pattern.sub(repl, part)
            if "<" in part or "&" in part:
                part = _strip_html(part)
        out.append(part)
    return "".join(out)


def body_text(body: str) -> str:
    """The body as a reader sees it (see the module doc)."""
    if not any(c in body for c in _STARTS) and not any(b in body for b in _BULLETS):
        return body
    text = body
    if "{" in text:
        text = _SHORTCODE.sub("", text)
        text = _JSX_EXPR.sub("", text)
    if "import" in text or "export" in text:
        text = _MDX_LINE.sub("", text)
    if "<" in text:
        text = _JSX_SELF_CLOSING.sub("", text)
    text = _markdown(("\n" + text) if text[:2] in ("- ", "* ", "+ ") else text)
    if "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
