"""A record's story features, computed in the parse workers (issue 15's cost).

Grouping (:mod:`newsidx.stories`) runs in the single writing process; everything it needs
that depends on the record alone -- its day, provider, URL keys, the keys of its edge
sentences, its distinctive terms and its MinHash signature -- is computed here, where
:meth:`newsidx.prepared.Prepared.of` builds the record's row, so the writer only matches.
Terms and signature are computed with no sentence left out; the writer recomputes them
from the record's line only when one of its edge sentences turns out to be provider
boilerplate (known only there, from the counts of the whole archive).
"""

from __future__ import annotations

import array
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from newsidx import storytext as st

if TYPE_CHECKING:
    from newsidx.model import Article

NUM_PERM = 64
SEED = 15
SHINGLE_WORDS = 100  # words of text (after the title) shingled for MinHash


class StoryPrep(NamedTuple):
    """What grouping reads of one record, picklable and small."""

    day: int | None  # the proleptic ordinal of the publication day (as written)
    provider: str
    urls: list[int]
    edges: list[int]  # the edge sentences' keys (boilerplate candidates)
    terms: dict[str, float]  # with no sentence left out
    # likewise, its NUM_PERM 32-bit values packed (array "I"): one object to pickle from
    # the worker, not 64 ints; empty when the text is too short to shingle
    sig: bytes


def day_of(published: object) -> int | None:
    if not isinstance(published, str) or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


class Text(NamedTuple):
    """A record's text as grouping splits it."""

    provider: str
    own: frozenset[str]
    title: str
    excerpt: list[str]
    body: list[str]  # the sentences of the body's first st.BODY_PREFIX characters, lowered
    whole: bool  # whether that was the whole body

    def features(self, drop: Collection[int] = ()) -> tuple[
            list[int], dict[str, float], bytes]:
        """The edge sentences' keys, and terms and MinHash signature leaving out the
        sentences whose keys are in ``drop``: the shingles over the title and at most
        :data:`SHINGLE_WORDS` words, each spelled once (:func:`storytext.loose`); the
        terms from the title's words and the excerpt's names (:func:`storytext.names`)."""
        from rensa import RMinHash

        provider = self.provider
        seen: dict[str, list[str]] = {}  # a sentence's words (an excerpt opens its body)
        kept: list[str] = []  # the excerpt's sentences not dropped
        kept_words: list[str] = []
        edges: list[int] = []
        for sentence in self.excerpt:
            low = sentence.lower()
            seen[low] = ws = st.spell(low)
            key = st.sentence_key(provider, ws)
            edges.append(key)
            if key not in drop:
                kept.append(sentence)
                kept_words.extend(ws)
        if self.body:
            body, n = self.body, len(self.body)
            if not self.whole:  # its first three, then the rest of the prefix in one
                edge: Sequence[int] = range(min(3, n - 1))
            else:
                edge = range(n) if n <= 6 else [*range(3), *range(n - 3, n)]
            spelled: dict[int, list[str]] = {}  # an edge sentence's words; [] if dropped
            for i in edge:
                ws = seen.get(body[i]) or st.spell(body[i])
                key = st.sentence_key(provider, ws)
                edges.append(key)
                spelled[i] = [] if key in drop else ws
            # the body stands for the excerpt: its words up to SHINGLE_WORDS, each sentence
            # spelled once (a sentence past the edges only as far as needed)
            text: list[str] = []
            for i, sentence in enumerate(body):
                done = spelled.get(i)
                text += st.spell(sentence, SHINGLE_WORDS - len(text)) if done is None else done
                if len(text) >= SHINGLE_WORDS:
                    del text[SHINGLE_WORDS:]
                    break
        else:
            text = kept_words[:SHINGLE_WORDS]
        title = st.words(self.title)
        shingles = st.shingles(title + text)
        sig = b""
        if len(shingles) >= st.MIN_SHINGLES:
            m = RMinHash(NUM_PERM, SEED)
            m.update(shingles)
            sig = array.array("I", m.digest()).tobytes()
        # the names of the kept sentences, read in one scan (a sentence's stop and the
        # space after it are no part of a word)
        names = [st.names(" ".join(kept))] if kept else []
        return list(dict.fromkeys(edges)), st.terms(title, names, self.own), sig


def _provider(name: object, domain: object) -> tuple[str, frozenset[str]]:
    """A record's provider as grouping keys it, and the provider's own words."""
    return str(domain or name or "").lower(), st.own_name(
        name if isinstance(name, str) else None, domain if isinstance(domain, str) else None)


def split_text(key: str, own: frozenset[str], title: str, excerpt: str, body: str) -> Text:
    """A record's plain title, excerpt and body (:func:`storytext.plain`) split as grouping
    reads them."""
    return Text(key, own, st.strip_outlet(title, own), *st.parts(excerpt, body))


def text_of(data: Mapping[str, Any]) -> Text:
    """The text of a record's JSON object, split as grouping reads it."""
    provider = data.get("provider") or {}
    return split_text(*_provider(provider.get("name"), provider.get("domain")), *st.plain(
        str(data.get("title") or ""), str(data.get("excerpt") or ""),
        str(data.get("body") or "")))


def prepare(data: Mapping[str, Any]) -> StoryPrep:
    """A record's features from its JSON object (:func:`newsidx.model.to_json`)."""
    text = text_of(data)
    edges, terms, sig = text.features()
    return StoryPrep(day_of(data.get("published")), text.provider,
                     st.url_keys(data.get(k) for k in st.URL_KEYS), edges, terms, sig)


def of_record(record: Article, plain: tuple[str, str, str] | None = None) -> StoryPrep:
    """:func:`prepare` of a record, the same features read from its fields; ``plain`` its
    title, excerpt and body as :func:`storytext.plain` gives them, when already computed
    (:meth:`newsidx.prepared.Prepared.of` shares them with the index's values)."""
    provider = record.provider
    key, own = _provider(provider.name, provider.domain) if provider else ("", frozenset())
    if plain is None:
        plain = st.plain(record.title or "", record.excerpt or "", record.body or "")
    edges, terms, sig = split_text(key, own, *plain).features()
    published = record.published
    # the UTC day, as the catalogue writes the date (day_of of the record's JSON)
    day = published.astimezone(timezone.utc).toordinal() if published else None
    return StoryPrep(day, key, st.url_keys(getattr(record, k) for k in st.URL_KEYS), edges,
                     terms, sig)
