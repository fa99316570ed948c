"""What story grouping reads of a record: its sentences, distinctive terms and shingles.

Pure functions of a record's text, no state: :mod:`newsidx.stories` weighs the terms by
how rare they are in the archive and leaves out the sentences a provider repeats across
unrelated items (boilerplate), which it counts in ``state.db``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from newsidx import plaintext
from newsidx.model import canonical_url

_WORD = re.compile(r"[^\W_]+(?:[.,][0-9]+)*")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_AMOUNT = re.compile(r"^([0-9]+(?:[.,][0-9]+)*)(?:k|m|mn|mln|b|bn|mld|million|billion)?$")
SHINGLE = 3
MIN_SHINGLES = 8  # fewer and a text is too short to call a copy by its shingles

# Words too common to tell two events apart, in the archive's main languages; the
# archive's own counts (idf) demote the rest, this list only matters while it is small.
_STOP_TEXT = """
a an and are as at be been but by can could did do does for from had has have he her his
how i if in into is it its just may more most new news no not of on one or our out over
says said she so than that the their them then there these they this to up us was we
were what when where which who why will with would you your after about all also amid
against first here now only other some such very via vs year years
de het een en van in op te dat die is niet met voor zijn er aan ook als bij of maar om
nog door naar uit dan wel over tot wat hij ze zij je we wordt worden werd hoe na al
"""
STOPWORDS = frozenset(_STOP_TEXT.split())


class _Marks(dict[int, "int | None"]):
    """A ``str.translate`` table that drops combining marks, filled as characters are
    met: the per-character test runs once per distinct character, not per occurrence."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lower-cased, accents removed: "Zürich" and "zurich" are one term."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text.lower()).translate(_MARKS)


def words(text: str) -> list[str]:
    """The words of ``text``, folded; amounts lose their unit ("$342M" -> "342")."""
    out = []
    for w in _WORD.findall(fold(text)):
        m = _AMOUNT.match(w) if w[0].isdigit() else None  # amounts start with a digit
        out.append(m[1].replace(",", "") if m else w)
    return out


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 1]


def sentence_key(provider: str, sentence: str) -> int:
    """A provider's sentence as a signed 64-bit key (SQLite's INTEGER)."""
    digest = hashlib.blake2b(f"{provider}\0{' '.join(words(sentence))}".encode(
        "utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def parts(title: str, excerpt: str, body: str) -> tuple[str, list[str], list[str]]:
    """The title, and the sentences of the excerpt and of the body's plain text."""
    return (plaintext.inline_text(title), sentences(plaintext.inline_text(excerpt)),
            sentences(plaintext.body_text(body)) if body else [])


def edge_sentences(excerpt: list[str], body: list[str]) -> list[str]:
    """The sentences where boilerplate lives: the whole excerpt, the body's first and last
    three (a stock description, a newsletter footer). Only these are counted."""
    return excerpt + (body if len(body) <= 6 else body[:3] + body[-3:])


_OUTLET_TAIL = re.compile(r"\s+[-|–—]\s+([^-|–—]{1,60})$")


def strip_outlet(title: str, own: set[str]) -> str:
    """``title`` without a trailing " - Publisher" naming its own provider (NewsAPI's
    titles end so): the outlet's name says nothing about the event."""
    m = _OUTLET_TAIL.search(title)
    if m and set(words(m[1].replace(".", " "))) <= own:
        return title[:m.start()]
    return title


def own_name(*names: str | None) -> set[str]:
    """The provider's own words ("Daily Mail", "bbc.co.uk"): shared by every item it runs."""
    return {w for n in names if n for w in words(n.replace(".", " "))}


def names(text: str) -> list[str]:
    """The words of ``text`` written with a capital or a digit (names, places, amounts),
    folded: the distinctive part of an excerpt, whose other words dilute a comparison."""
    return words(" ".join(w for w in text.split() if w[:1].isupper() or w[:1].isdigit()
                          or w[:2].isupper() or w[:1] in "$€£¥"))


TITLE_WEIGHT = 1.0
NAME_WEIGHT = 0.4  # a name or amount of the excerpt
WORD_WEIGHT = 0.15  # any other word of the excerpt
PROFILE_TERMS = 40  # a story's profile keeps its heaviest terms


def stem(word: str) -> str:
    """A light, language-blind suffix cut, so "storms"/"storm", "fired"/"firing" meet."""
    if len(word) > 5 and not word[0].isdigit():
        for suffix in ("ing", "ed", "es", "en", "s", "e"):
            if word.endswith(suffix):
                return word[:-len(suffix)]
    return word


def terms(title: str, excerpt: Iterable[str], own: set[str]) -> dict[str, float]:
    """The weighted terms of a record: every word of the title (:data:`TITLE_WEIGHT`),
    the names and amounts of the excerpt's kept sentences (:func:`names`) and, lighter,
    its other words; without stopwords, one-letter words and the provider's own name
    (``own``); stemmed (:func:`stem`), first seen first."""
    out: dict[str, float] = {}
    kept = list(excerpt)

    def add(found: Iterable[str], weight: float) -> None:
        for w in found:
            if len(w) > 1 and w not in STOPWORDS and w not in own:
                t = stem(w)
                out[t] = max(out.get(t, 0.0), weight)

    add(words(title), TITLE_WEIGHT)
    for sentence in kept:
        add(names(sentence), NAME_WEIGHT)
    for sentence in kept:
        add(words(sentence), WORD_WEIGHT)
    return out


def merge_profile(profile: dict[str, float], more: dict[str, float]) -> dict[str, float]:
    """A story's profile with one more member's terms added, its heaviest kept."""
    out = dict(profile)
    for t, w in more.items():
        out[t] = out.get(t, 0.0) + w
    if len(out) > PROFILE_TERMS:
        out = dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:PROFILE_TERMS])
    return out


def shingles(title: str, text: Iterable[str]) -> list[str]:
    """Word 3-shingles of the title and the kept text, for MinHash."""
    ws = words(" ".join((title, *text)))
    return [" ".join(ws[i:i + SHINGLE]) for i in range(max(0, len(ws) - SHINGLE + 1))]


URL_KEYS = ("url", "web_url", "original_url", "amp_url", "cdn_amp_url")


def url_keys(urls: Iterable[object]) -> list[int]:
    """Every canonical spelling of a record's addresses, as 64-bit keys: two records
    sharing one are copies of one article (an AMP page, a web URL beside the canonical)."""
    out = set()
    for u in urls:
        if isinstance(u, str) and u:
            digest = hashlib.blake2b(canonical_url(u).encode("utf-8", "surrogatepass"),
                                     digest_size=8).digest()
            out.add(int.from_bytes(digest, "big", signed=True))
    return sorted(out)
