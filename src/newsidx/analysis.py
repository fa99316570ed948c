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
from collections.abc import Sequence
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


SORT_CHARS = 200  # characters of a title that order it
TITLE_KEY_BYTES = 8


def sort_title(title: str) -> str:
    """What title order compares (:mod:`newsidx.titleorder`): the title trimmed and
    lower-cased."""
    return keyword(title)[:SORT_CHARS]


def title_key(title: str) -> int:
    """The first 8 bytes of :func:`sort_title` (UTF-8) as a number that sorts as they do:
    the index's ``title_key`` column."""
    raw = sort_title(title).encode("utf-8", "surrogatepass")[:TITLE_KEY_BYTES]
    return int.from_bytes(raw.ljust(TITLE_KEY_BYTES, b"\0"), "big")


Segments = tuple[tuple[str, bool], ...]
Match = tuple[int, int, str]
"""A matched word: ``(start, end, term)``, offsets in characters of the text."""


def _matches(
    text: str,
    stems: AbstractSet[str],
    exact: AbstractSet[str],
    prefixes: AbstractSet[str],
    cjk: AbstractSet[str],
) -> list[Match]:
    """The whole words of ``text`` the terms match, in order, overlaps merged; each with
    the query term it stands for (so that "war" and "wars" count as one term)."""
    spans: list[Match] = []
    if stems:
        spans += [(a, b, t) for t, a, b in tokens_with_offsets(text, STEMMED) if t in stems]
    if exact or prefixes:
        pre = tuple(prefixes)
        for t, a, b in tokens_with_offsets(text, EXACT):
            if t in exact:
                spans.append((a, b, "=" + t))
            elif t.startswith(pre):
                spans.append((a, b, next(p for p in pre if t.startswith(p)) + "*"))
    for word in cjk:
        start = text.find(word)
        while start >= 0:
            spans.append((start, start + len(word), word))
            start = text.find(word, start + len(word))
    spans.sort()
    merged: list[Match] = []
    for a, b, t in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]), merged[-1][2])
        else:
            merged.append((a, b, t))
    return merged


def match_spans(
    text: str,
    *,
    stems: AbstractSet[str],
    exact: AbstractSet[str] = frozenset(),
    prefixes: AbstractSet[str] = frozenset(),
    cjk: AbstractSet[str] = frozenset(),
) -> tuple[tuple[int, int], ...]:
    """``[start, end)`` character offsets of the whole words of ``text`` the terms match
    (a title's highlights), as :func:`snippet` marks them."""
    return tuple((a, b) for a, b, _ in _matches(text, stems, exact, prefixes, cjk))


def _best_window(found: list[Match], width: int) -> tuple[int, int, int]:
    """The window of ``width`` characters holding the most distinct terms, then the most
    matches: ``(distinct, matches, start)``, the earliest of equals. ``found`` is sorted
    and non-overlapping, so ends grow with starts and two cursors suffice."""
    best = (-1, -1, 0)
    counts: dict[str, int] = {}
    j = 0
    for i, (a, _, _) in enumerate(found):
        j = max(j, i)  # a word longer than the window leaves it empty
        while j < len(found) and found[j][1] <= a + width:
            counts[found[j][2]] = counts.get(found[j][2], 0) + 1
            j += 1
        candidate = (len(counts), j - i, -a)
        if candidate > (best[0], best[1], -best[2]):
            best = (len(counts), j - i, a)
        term = found[i][2]
        if i < j:
            counts[term] -= 1
            if not counts[term]:
                del counts[term]
    return best


def snippet(
    texts: Sequence[str],
    *,
    stems: AbstractSet[str],
    exact: AbstractSet[str] = frozenset(),
    prefixes: AbstractSet[str] = frozenset(),
    cjk: AbstractSet[str] = frozenset(),
    fallback: Sequence[str] = (),
    width: int = 200,
) -> Segments:
    """The best passage of the text that matched best, as ``(text, highlighted)`` segments.

    Of ``texts`` (body, excerpt), the one whose best window of ``width`` characters
    holds the most distinct query terms, then the most matches, wins (the earlier on a
    tie), so an excerpt naming every word beats a body naming one. ``fallback`` (the
    title) is used only when none of ``texts`` matches. With no match anywhere the start
    of the first non-empty text is returned, unhighlighted.
    """
    chosen: tuple[tuple[int, int, int], str, list[Match]] | None = None
    for candidates in (texts, fallback):
        for text in candidates:
            found = _matches(text, stems, exact, prefixes, cjk)
            if found:
                window = _best_window(found, width)
                if chosen is None or window[:2] > chosen[0][:2]:
                    chosen = (window, text, found)
        if chosen is not None:
            break
    if chosen is not None:
        (_, _, best), text, found = chosen
        start = best - min(width // 5, best)
        if start > 0:
            space = text.find(" ", start, best)
            start = space + 1 if space >= 0 else start
        end = min(len(text), start + width)
        if end < len(text):
            space = text.rfind(" ", best, end)
            end = space if space > best else end
        return _segments(text, start, end,
                         [(a, b) for a, b, _ in found if a >= start and b <= end])
    for text in (*texts, *fallback):
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
