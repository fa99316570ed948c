"""Records survive their JSON form exactly; one address spelled two ways has one id."""

from __future__ import annotations

import dataclasses
import json
from datetime import timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from newsidx.indexdoc import NOT_INDEXED, content_digest, line_content_digest
from newsidx.model import (
    Article,
    Image,
    Provider,
    RelatedRef,
    canonical_url,
    clean,
    from_json,
    make_id,
    to_json,
)
from newsidx.store.layout import record_line

_text = st.text(max_size=30)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=10,
)
_opt = st.none() | _text
_articles = st.builds(
    Article,
    id=st.text("0123456789abcdef", min_size=16, max_size=16),
    kind=st.sampled_from(["article", "related"]),
    title=_text,
    excerpt=_text,
    body=_text,
    published=st.none() | st.datetimes(timezones=st.just(timezone.utc)),
    published_raw=_opt,
    published_offset=st.none() | st.sampled_from(["+00:00", "+08:00", "-05:30"]),
    published_zoneless=st.booleans(),
    provider=st.none() | st.builds(Provider, _opt, _opt),
    topics=st.lists(_text, max_size=3).map(tuple),
    category=_opt,
    type=_opt,
    url=_opt,
    web_url=_opt,
    original_url=_opt,
    amp_url=_opt,
    cdn_amp_url=_opt,
    quality=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    heat=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    images=st.lists(
        st.builds(Image, _text, st.none() | st.integers(0, 5000), st.none() | st.integers(0, 5000),
                  st.dictionaries(_text, _json, max_size=2)),
        max_size=2,
    ).map(tuple),
    related=st.lists(st.builds(RelatedRef, _text, _text, _opt), max_size=2).map(tuple),
    sources=st.lists(_text, max_size=2).map(tuple),
    parents=st.lists(_text, max_size=2).map(tuple),
    extra=st.dictionaries(_text, _json, max_size=3),
    warnings=st.lists(_text, max_size=2).map(tuple),
)


@given(_articles)
def test_json_round_trip(record: Article) -> None:
    """from_json inverts to_json exactly for records as parse and from_json make them;
    any other record comes back as ``clean`` makes it, and cleaning is idempotent."""
    made = clean(record)
    assert from_json(json.loads(json.dumps(to_json(made)))) == made
    assert from_json(to_json(record)) == made
    assert clean(made) == made


def test_canonical_url_normalises_spellings() -> None:
    a = canonical_url("https://www.Example.com/story?id=1&utm_source=feed#top")
    b = canonical_url("https://www.example.com/story?id=1")
    assert a == b == "https://www.example.com/story?id=1"
    assert canonical_url("HTTP://Example.com:80") == "http://example.com/"
    assert canonical_url("https://example.com:8443/A?b=2&a=1") == "https://example.com:8443/A?b=2&a=1"
    assert canonical_url("not a url") == "not a url"


def test_make_id_by_url_then_content() -> None:
    one = make_id(url="https://www.Example.com/story?id=1&utm_source=feed#top", title="A")
    two = make_id(url="https://www.example.com/story?id=1", title="B")
    assert one == two and len(one) == 16
    assert make_id(url=None, title="T", body="x  y") == make_id(url="", title="T", body="x y")
    assert make_id(url=None, title="T") != make_id(url=None, title="U")


_URL_CHARS = "abcXYZ09-._~:/?#[]@!$&'()*+,;=% \t"


@given(st.sampled_from(["http://", "https://", "HTTP://", "ftp://", ""]),
       st.text(alphabet=_URL_CHARS + "é", max_size=30),
       st.text(alphabet=_URL_CHARS + "é\u200b", max_size=40))
def test_canonical_url_fast_path_agrees_with_the_full_normalisation(
        scheme: str, host: str, rest: str) -> None:
    from newsidx.model import _canonical_fast, _canonical_full

    text = (scheme + host + "/" + rest).strip()
    fast = _canonical_fast(text)
    if fast is not None:
        assert fast == _canonical_full(text)


def test_canonical_url_fast_path_takes_the_seed_urls() -> None:
    from newsidx.model import _canonical_fast

    url = "https://www.coinspeaker.com/ai-zhipu-342m-funding/"
    assert _canonical_fast(url) == url == canonical_url(url)
    assert _canonical_fast("https://example.com") == "https://example.com/"


_odd_names = st.text(st.characters(categories=("Cs", "Ll", "Lo", "P")), max_size=8)


@given(_articles, st.lists(_odd_names, max_size=2), st.lists(_text, max_size=2), _opt,
       st.dictionaries(st.sampled_from(["sources", "parents", "story"]), _json, max_size=2))
def test_a_lines_prefix_digests_as_its_content(
    record: Article, sources: list[str], alt_titles: list[str], story: str | None,
    nested: dict[str, Any],
) -> None:
    """A worker digests a record's content from its shard line's prefix (to_json writes
    sources, parents and story last): the same digest as of the JSON object without them,
    whatever the file names (not UTF-8), alt titles, story or same-named keys nested in
    ``extra``."""
    record = dataclasses.replace(
        clean(record), sources=(*record.sources, *sources), alt_titles=tuple(alt_titles),
        story=story, extra={**record.extra, "x": nested})
    data = to_json(record)
    assert list(data)[-3:] == list(NOT_INDEXED)
    assert line_content_digest(record_line(data), data) == content_digest(data)
