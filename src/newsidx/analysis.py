"""Text analysis shared by indexing and querying: analyzers, CJK bigrams, folding.

The index and the query language must turn text into the same terms, so both take
their analyzers from here. Latin-script text goes through tantivy's simple tokenizer
(split on anything not a letter or digit), lower-casing, ASCII folding (``Zürich`` ->
``zurich``) and, for the main fields, English stemming. CJK runs (Han, kana, Hangul)
are not split into words by spaces, so they are indexed Lucene-CJKAnalyzer style as
overlapping character bigrams in separate ``*_cjk`` fields; a CJK query word becomes
a phrase of its bigrams and thereby matches inside any longer run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set as AbstractSet
from functools import cache
from operator import add

import tantivy

STEMMED = "nx_en"
EXACT = "nx_exact"
CJK = "nx_cjk"

MAX_TOKEN_LENGTH = 80

_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals, Kangxi
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended A
    "\uac00-\ud7af"  # Hangul syllables
    "\ud7b0-\ud7ff"  # Hangul Jamo extended B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\uffa0-\uffdc"  # half-width Hangul
    "\U00020000-\U0003134f"  # CJK extensions B-G
)


@cache
def _cjk_run() -> re.Pattern[str]:
    """Runs of CJK characters, compiled on first non-ASCII text (a few ms at start-up)."""
    return re.compile(f"[{_CJK_RANGES}]+")


@cache
def _cjk_char() -> re.Pattern[str]:
    """One CJK character: replacing each by a plain string needs no Python callback."""
    return re.compile(f"[{_CJK_RANGES}]")


@cache
def _cjk_split() -> re.Pattern[str]:
    """Runs of CJK characters or lone surrogates as a capture group: one ``split`` yields
    the Latin pieces and the runs, and surrogates can only be found in the runs."""
    return re.compile(f"([{_CJK_RANGES}\ud800-\udfff]+)")


_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Unicode NFC, so ``e`` + combining acute and ``é`` index alike."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one CJK character."""
    return not text.isascii() and _cjk_run().search(text) is not None


def cjk_runs(text: str) -> list[str]:
    """The maximal runs of CJK characters in ``text``, in order."""
    return [] if text.isascii() else _cjk_run().findall(text)


def strip_cjk(text: str) -> str:
    """``text`` with each CJK character blanked, so ``MiniMax发布`` yields ``MiniMax``.

    Every character becomes one space, keeping character offsets of the rest intact.
    Lone surrogates (undecodable bytes of a command line) become U+FFFD, which
    tantivy accepts and no token contains.
    """
    if text.isascii():
        return text
    return _without_surrogates(_cjk_char().sub(" ", text))


def _without_surrogates(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def bigrams(run: str) -> list[str]:
    """Overlapping character bigrams of one CJK run; a lone character is its own term."""
    if len(run) < 2:
        return [run] if run else []
    return list(map(add, run, run[1:]))


def _bigram_text(runs: list[str]) -> str:
    return " ".join([run if len(run) < 2 else " ".join(map(add, run, run[1:])) for run in runs])


def cjk_field_text(text: str) -> str:
    """The text fed to a ``*_cjk`` field: space-joined bigrams of every CJK run."""
    return _bigram_text(cjk_runs(nfc(text)))


def index_texts(text: str) -> tuple[str, str | None]:
    """The Latin-field and ``*_cjk``-field values of one NFC text, in one scan.

    Equals ``(strip_cjk(text), cjk_field_text(text))`` when ``text`` holds CJK and
    ``(text, None)`` otherwise (then lone surrogates stay, as the index always had them).
    """
    if text.isascii():
        return text, None
    parts = _cjk_split().split(text)
    if len(parts) == 1:
        return text, None
    runs = parts[1::2]
    if _SURROGATE.search("".join(runs)):
        return (strip_cjk(text), cjk_field_text(text)) if has_cjk(text) else (text, None)
    parts[1::2] = [" " * len(run) for run in runs]
    return "".join(parts), _bigram_text(runs)


def _build(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("English"))
    return builder.build()


@cache
def analyzer(name: str) -> tantivy.TextAnalyzer:
    """The analyzer registered under ``name`` (``nx_en``, ``nx_exact`` or ``nx_cjk``)."""
    if name == STEMMED:
        return _build(stem=True)
    if name == EXACT:
        return _build(stem=False)
    if name == CJK:
        return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    raise ValueError(f"unknown analyzer {name!r}")


def register(index: tantivy.Index) -> None:
    """Register every newsidx analyzer on an opened or new tantivy index."""
    for name in (STEMMED, EXACT, CJK):
        index.register_tokenizer(name, analyzer(name))


def analyze(text: str, name: str = STEMMED) -> list[str]:
    """The index terms for the Latin part of ``text`` (CJK runs are left out)."""
    return list(analyzer(name).analyze(strip_cjk(nfc(text))))


def tokens_with_offsets(text: str, name: str = STEMMED) -> list[tuple[str, int, int]]:
    """``(term, start, end)`` for each Latin token of ``text``, offsets in characters."""
    stripped = strip_cjk(text)
    return [
        (t.text, t.char_offset_from, t.char_offset_to)
        for t in analyzer(name).pre_tokenize(stripped).tokens
    ]


def keyword(text: str) -> str:
    """A keyword (provider, topic) as the raw keyword fields store it: trimmed, lower-cased."""
    return " ".join(text.split()).lower()


Segments = tuple[tuple[str, bool], ...]


def _matches(
    text: str,
    stems: AbstractSet[str],
    exact: AbstractSet[str],
    prefixes: AbstractSet[str],
    cjk: AbstractSet[str],
) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if stems:
        spans += [(a, b) for t, a, b in tokens_with_offsets(text, STEMMED) if t in stems]
    if exact or prefixes:
        pre = tuple(prefixes)
        spans += [
            (a, b)
            for t, a, b in tokens_with_offsets(text, EXACT)
            if t in exact or t.startswith(pre)
        ]
    for word in cjk:
        start = text.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = text.find(word, start + len(word))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def snippet(
    texts: list[str],
    *,
    stems: AbstractSet[str],
    exact: AbstractSet[str] = frozenset(),
    prefixes: AbstractSet[str] = frozenset(),
    cjk: AbstractSet[str] = frozenset(),
    width: int = 200,
) -> Segments:
    """The best passage of the first text that matches, as ``(text, highlighted)`` segments.

    ``texts`` are tried in order (body, excerpt, title); the window of ``width``
    characters holding the most matches wins. With no match the start of the first
    non-empty text is returned, unhighlighted.
    """
    for text in texts:
        found = _matches(text, stems, exact, prefixes, cjk)
        if not found:
            continue
        best, best_count = 0, -1
        for i, (a, _) in enumerate(found):
            count = sum(1 for x, y in found[i:] if y <= a + width)
            if count > best_count:
                best, best_count = a, count
        start = best - min(width // 5, best)
        if start > 0:
            space = text.find(" ", start, best)
            start = space + 1 if space >= 0 else start
        end = min(len(text), start + width)
        if end < len(text):
            space = text.rfind(" ", best, end)
            end = space if space > best else end
        return _segments(text, start, end, [(a, b) for a, b in found if a >= start and b <= end])
    for text in texts:
        if text.strip():
            end = min(len(text), width)
            return _segments(text, 0, end, [])
    return ()


def _segments(text: str, start: int, end: int, hits: list[tuple[int, int]]) -> Segments:
    parts: list[tuple[str, bool]] = []
    if start > 0:
        parts.append(("…", False))
    cursor = start
    for a, b in hits:
        if a > cursor:
            parts.append((text[cursor:a], False))
        parts.append((text[a:b], True))
        cursor = b
    if cursor < end:
        parts.append((text[cursor:end], False))
    if end < len(text):
        parts.append(("…", False))
    return tuple((_SPACES.sub(" ", t), h) for t, h in parts if t)
