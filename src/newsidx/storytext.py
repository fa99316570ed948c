"""What story grouping reads of a record: its sentences, distinctive terms and shingles.

Pure functions of a record's text, no state: :mod:`newsidx.stories` weighs the terms by
how rare they are in the archive and leaves out the sentences a provider repeats across
unrelated items (boilerplate), which it counts in ``state.db``.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import unicodedata
import zlib
from collections.abc import Iterable
from itertools import compress, repeat

from newsidx import plaintext
from newsidx.model import canonical_url

_WORD = re.compile(r"[^\W_]+(?:[.,][0-9]+)*")
_DIGIT = re.compile(r"[0-9]")
# a sentence ends at a stop before a space, or at a line's end; one character class first,
# so the engine scans for it in C (a look-behind first is tried at every position)
_SENTENCE = re.compile(r"[.!?…\n](?:\s|(?<=\n))")
# an amount among words joined by spaces ("342m" -> "342", "4,5" -> "45"), by one scan
_AMOUNT = re.compile(
    r"(^| )([0-9]+(?:[.,][0-9]+)*)(?:k|m|mn|mln|b|bn|mld|million|billion)?(?= |$)")
SHINGLE = 3  # words a shingle (storytext.shingles spells three)
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


class _Marks(dict[str, bool]):
    """Whether a character is a combining mark, filled as characters are met: the
    per-character test runs once per distinct character, not per occurrence."""

    def __missing__(self, char: str) -> bool:
        value = self[char] = bool(unicodedata.combining(char))
        return value


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lower-cased, accents removed: "Zürich" and "zurich" are one term. The marks are
    removed one distinct mark at a time (a scan in C each), not character by character."""
    if text.isascii():
        return text.lower()
    out = unicodedata.normalize("NFKD", text.lower())
    if out.isascii():
        return out
    for char in set(out):
        if _MARKS[char]:
            out = out.replace(char, "")
    return out


def _amount(m: re.Match[str]) -> str:
    return m[1] + m[2].replace(",", "")


def _amounts(joined: str) -> list[str]:
    """Words joined by single spaces, split again, amounts spelled without their unit."""
    return _AMOUNT.sub(_amount, joined).split(" ")


def words(text: str) -> list[str]:
    """The words of ``text``, folded; amounts lose their unit ("$342M" -> "342")."""
    folded = fold(text)
    found = _WORD.findall(folded)
    if not found or _DIGIT.search(folded) is None:  # no amount to spell
        return found
    return _amounts(" ".join(found))


def sentences(text: str, most: int = 0) -> list[str]:
    """The sentences of ``text``, without their stops; with ``most``, the first ``most``
    and the rest in one."""
    return [s for s in map(str.strip, _SENTENCE.split(text, most)) if len(s) > 1]


_PUNCT = "\"'()[]{}<>.,;:!?*_-–—…“”‘’«»„/\\|#@&%+=~`^$€£¥"


def loose(text: str, most: int = -1) -> list[str]:
    """The words of ``text`` spelled cheaply, lower-cased and stripped of punctuation:
    enough to tell a copy or a repeated sentence, which are spelled alike; a split and a
    strip a word, all in C (:func:`words`' regular expression costs several times more on
    a long text, and folding more again). With ``most``, about its first ``most`` words
    only (a few of them may strip to nothing)."""
    return spell(text.lower(), most)


def spell(lowered: str, most: int = -1) -> list[str]:
    """:func:`loose` of a text already lower-cased."""
    ws = lowered.split(None, most)
    if most >= 0:
        del ws[most:]
    return list(filter(None, map(str.strip, ws, repeat(_PUNCT))))


_HIGH = 1 << 63


def sentence_key(provider: str, sentence: str | list[str]) -> int:
    """A provider's sentence (or its :func:`loose` words) as a signed 64-bit key (SQLite's
    INTEGER): CRC-32 and Adler-32 side by side, stable across processes and several
    times cheaper than a cryptographic hash. A rare collision only counts two sentences
    of one provider as one when telling its boilerplate."""
    ws = loose(sentence) if isinstance(sentence, str) else sentence
    data = f"{provider}\0{' '.join(ws)}".encode("utf-8", "surrogatepass")
    key = zlib.crc32(data) << 32 | zlib.adler32(data)
    return key - (_HIGH << 1) if key >= _HIGH else key


BODY_PREFIX = 1500  # characters of a body read: enough shingles to tell a copy


def parts(excerpt: str, body: str) -> tuple[list[str], list[str], bool]:
    """The sentences of a plain excerpt, those of a plain body's first :data:`BODY_PREFIX`
    characters, lower-cased, and whether that was the whole body: grouping never reads a
    long body to its end. The texts are as ``plaintext`` gives them (the parse workers
    compute them once, for the index too)."""
    whole = len(body) <= BODY_PREFIX
    if not whole:
        cut = body.rfind(" ", BODY_PREFIX // 2, BODY_PREFIX)
        body = body[:cut if cut > 0 else BODY_PREFIX]
    # a long body's sentences past its third are not needed one by one
    return (sentences(excerpt), sentences(body.lower(), 0 if whole else 3) if body else [],
            whole)


def plain(title: str, excerpt: str, body: str) -> tuple[str, str, str]:
    """A record's title, excerpt and body as a reader sees them (``plaintext``)."""
    return (plaintext.inline_text(title), plaintext.inline_text(excerpt),
            plaintext.body_text(body) if body else "")


_OUTLET_TAIL = re.compile(r"\s+[-|–—]\s+([^-|–—]{1,60})$")


def strip_outlet(title: str, own: frozenset[str]) -> str:
    """``title`` without a trailing " - Publisher" naming its own provider (NewsAPI's
    titles end so): the outlet's name says nothing about the event."""
    m = _OUTLET_TAIL.search(title)
    if m and set(words(m[1].replace(".", " "))) <= own:
        return title[:m.start()]
    return title


@functools.lru_cache(maxsize=4096)
def own_name(*names: str | None) -> frozenset[str]:
    """The provider's own words ("Daily Mail", "bbc.co.uk"): shared by every item it runs
    (a few hundred providers make most records: remembered)."""
    return frozenset(w for n in names if n for w in words(n.replace(".", " ")))


def names(text: str) -> list[str]:
    """The words of ``text`` written with a capital or a digit (names, places, amounts),
    spelled as :func:`words` spells them: the distinctive part of an excerpt, whose other
    words dilute a comparison. One regex scan, and only the names are folded."""
    found = _WORD.findall(text)
    raw = list(compress(found, map(_NAME_START.__getitem__, map(_FIRST, found))))
    if not raw:
        return raw
    joined = fold(" ".join(raw))
    if joined.count(" ") != len(raw) - 1:  # a compatibility character decomposed into a space
        joined = " ".join(fold(w).replace(" ", "") for w in raw)
    return _amounts(joined) if _DIGIT.search(joined) else joined.split(" ")


class _NameStarts(dict[str, bool]):
    """Whether a word starting with a character is a name (a capital or a digit), filled
    as characters are met, so the test runs in C for every word after the first."""

    def __missing__(self, char: str) -> bool:
        value = self[char] = char.isupper() or char.isdigit()
        return value


_NAME_START = _NameStarts()
_FIRST = operator.itemgetter(0)


TITLE_WEIGHT = 1.0
NAME_WEIGHT = 0.4  # a name or amount of the excerpt
PROFILE_TERMS = 40  # a story's profile keeps its heaviest terms


def stem(word: str) -> str:
    """A light, language-blind suffix cut, so "storms"/"storm", "fired"/"firing" meet."""
    if len(word) > 5 and not word[0].isdigit():
        for suffix in ("ing", "ed", "es", "en", "s", "e"):
            if word.endswith(suffix):
                return word[:-len(suffix)]
    return word


def terms(title: Iterable[str], excerpt: Iterable[list[str]],
          own: frozenset[str]) -> dict[str, float]:
    """The weighted terms of a record from its title's words and its excerpt's kept
    sentences' :func:`names`: every word of the title (:data:`TITLE_WEIGHT`) and the names
    and amounts of the excerpt (:data:`NAME_WEIGHT`; its other words only diluted the
    comparison and cost counts, weights and profile room); without stopwords, one-letter
    words and the provider's own name (``own``); stemmed (:func:`stem`)."""
    out: dict[str, float] = {}
    stems = _STEMS
    if len(stems) > STEMS_HELD:
        stems.clear()
    for w in title:
        if len(w) > 1 and w not in STOPWORDS and w not in own:
            t = stems.get(w)
            if t is None:
                t = stems[w] = stem(w)
            out[t] = TITLE_WEIGHT
    for sentence in excerpt:
        for w in sentence:
            if len(w) > 1 and w not in STOPWORDS and w not in own:
                t = stems.get(w)
                if t is None:
                    t = stems[w] = stem(w)
                if out.get(t, 0.0) < NAME_WEIGHT:
                    out[t] = NAME_WEIGHT
    return out


STEMS_HELD = 200_000  # words whose stems are remembered (a process's vocabulary)
_STEMS: dict[str, str] = {}


def merge_profile(profile: dict[str, float], more: dict[str, float]) -> dict[str, float]:
    """A story's profile with one more member's terms added, its heaviest kept."""
    out = dict(profile)
    for t, w in more.items():
        out[t] = out.get(t, 0.0) + w
    if len(out) > PROFILE_TERMS:
        out = dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:PROFILE_TERMS])
    return out


def shingles(ws: list[str]) -> list[str]:
    """Word 3-shingles of a word list, for MinHash (joined in C, no Python call each)."""
    return list(map(" ".join, zip(ws, ws[1:], ws[2:], strict=False)))


URL_KEYS = ("url", "web_url", "original_url", "amp_url", "cdn_amp_url")


def url_keys(urls: Iterable[object]) -> list[int]:
    """Every canonical spelling of a record's addresses, as 64-bit keys: two records
    sharing one are copies of one article (an AMP page, a web URL beside the canonical)."""
    out = set()
    for u in {u for u in urls if isinstance(u, str) and u}:  # a web URL is often the URL
        digest = hashlib.blake2b(canonical_url(u).encode("utf-8", "surrogatepass"),
                                 digest_size=8).digest()
        out.add(int.from_bytes(digest, "big", signed=True))
    return sorted(out)
