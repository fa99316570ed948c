"""The fast indexing and YAML paths give exactly what the straightforward code gave.

``index_texts``, ``strip_cjk``, ``cjk_field_text`` and the YAML loader's resolver hooks
were rewritten for speed; each is compared here with a plain reference kept in this
file (the code they replaced), on generated text and on real articles.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.constructor import SafeConstructor
from yaml.resolver import BaseResolver

from newsidx import analysis, frontmatter, parse
from newsidx import query as q
from newsidx.errors import NewsidxError
from newsidx.index import index_values
from newsidx.model import Article, from_json, to_json

# --- reference implementations (the code before the fast paths) -----------------------

_REF_RUN = re.compile(f"[{analysis._CJK_RANGES}]+")


def ref_nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def ref_has_cjk(text: str) -> bool:
    return _REF_RUN.search(text) is not None


def ref_strip_cjk(text: str) -> str:
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    return _REF_RUN.sub(lambda m: " " * len(m.group()), text)


def ref_bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def ref_cjk_field_text(text: str) -> str:
    return " ".join(b for run in _REF_RUN.findall(ref_nfc(text)) for b in ref_bigrams(run))


def ref_text_fields(record: Article) -> list[tuple[str, str, str]]:
    """The title/excerpt/body values of ``index_values`` as they were computed, on
    the plain text a reader sees (``plaintext``, which has its own tests)."""
    from newsidx import plaintext

    out: list[tuple[str, str, str]] = []
    for name, text in (("title", plaintext.inline_text(record.title)),
                       ("excerpt", plaintext.inline_text(record.excerpt)),
                       ("body", plaintext.body_text(record.body) if record.body else "")):
        if not text:
            continue
        text = ref_nfc(text)
        cjk = ref_has_cjk(text)
        latin = ref_strip_cjk(text) if cjk else text
        out.append(("t", name, latin))
        if name in q.EXACT_FIELDS:
            out.append(("t", name + q.EXACT_SUFFIX, latin))
        if cjk:
            out.append(("t", name + q.CJK_SUFFIX, ref_cjk_field_text(text)))
    return out


_TEXT_FIELDS = {base + suffix for base in ("title", "excerpt", "body")
                for suffix in ("", q.EXACT_SUFFIX, q.CJK_SUFFIX)}


def text_fields(record: Article) -> list[Any]:
    """``index_values``' title/excerpt/body values (alt titles too) in the reference's
    order."""
    values = index_values(record)
    return [("t", name, value)
            for base in ("title", "excerpt", "body")
            for name in (base, base + q.EXACT_SUFFIX, base + q.CJK_SUFFIX)
            for value in values.get(name, ())]


# --- generated text --------------------------------------------------------------------

# Range edges inside and just outside the CJK classes, Hangul jamo that NFC composes
# into syllables, combining marks, lone surrogates, U+FFFD and other scripts.
_ODD = (
    "\u1100\u1161\u11a8\u11ff\u1200\u10ff\u2e80\u2fdf\u2fe0\u3004\u3005\u3007\u3008"
    "\u303f\u3040\u30ff\u3100\u3130\u318f\u31f0\u31ff\u3400\u4dbf\u4e00\u9fff\ua960"
    "\ua97f\uac00\ud7a3\ud7af\ud7b0\ud7ff\ud800\udbff\udc00\udfff\uf900\ufaff\ufb00"
    "\uff65\uff66\uff9f\uffa0\uffdc\uffdd\ufffd\U0001ffff\U00020000\U0003134f\U00031350"
    "\u0301\u0308\u0327\u00e9\u00fc\u0436\u0627\u05d0\u1ec7\u2028\u00a0\u3000"
)
_alphabet = st.one_of(
    st.sampled_from("ab Z09 -.,\n\t"),
    st.sampled_from(_ODD),
    st.characters(min_codepoint=0x3040, max_codepoint=0x9FFF),
    st.characters(),
)
mixed_text = st.text(_alphabet, max_size=60)


@settings(max_examples=600, deadline=None)
@given(mixed_text)
def test_index_texts_equals_reference(text: str) -> None:
    n = ref_nfc(text)
    expected = (ref_strip_cjk(n), ref_cjk_field_text(n)) if ref_has_cjk(n) else (n, None)
    assert analysis.index_texts(analysis.nfc(text)) == expected


@settings(max_examples=400, deadline=None)
@given(mixed_text)
def test_strip_cjk_and_bigrams_equal_reference(text: str) -> None:
    stripped = analysis.strip_cjk(text)
    assert stripped == ref_strip_cjk(text)
    assert len(stripped) == len(text)  # tokens_with_offsets relies on it
    assert analysis.cjk_field_text(text) == ref_cjk_field_text(text)
    assert analysis.has_cjk(text) == ref_has_cjk(text)
    for run in _REF_RUN.findall(text):
        assert analysis.bigrams(run) == ref_bigrams(run)


@settings(max_examples=200, deadline=None)
@given(mixed_text, mixed_text, mixed_text)
def test_document_text_fields_equal_reference(title: str, excerpt: str, body: str) -> None:
    record = Article(id="x", kind="article", title=title, excerpt=excerpt, body=body)
    assert text_fields(record) == ref_text_fields(record)


def test_index_texts_known_cases() -> None:
    """The fast path, the surrogate fallback and NFC-composed Hangul, by hand."""
    assert analysis.index_texts("MiniMax发布 東京!") == ("MiniMax     !", "发布 東京")
    assert analysis.index_texts("Zürich \ud800") == ("Zürich \ud800", None)
    assert analysis.index_texts("中\ud800文") == (" \ufffd ", "中 文")
    assert analysis.index_texts("\u1100\u1161") == ("  ", "\u1100\u1161")
    assert analysis.index_texts(analysis.nfc("\u1100\u1161")) == (" ", "\uac00")


# --- the YAML loader -------------------------------------------------------------------

class _ReferenceLoader(frontmatter._Loader):  # type: ignore[misc]
    """``frontmatter._Loader`` with PyYAML's own resolver hooks and merge flattening."""

    resolve = BaseResolver.resolve
    descend_resolver = BaseResolver.descend_resolver
    ascend_resolver = BaseResolver.ascend_resolver

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        SafeConstructor.flatten_mapping(self, node)
        if len(node.value) > frontmatter.MAX_MERGED_KEYS:
            raise frontmatter.Hostile(frontmatter.TOO_BIG)


def _shape(value: Any) -> Any:
    """``value`` with every type and raw spelling made visible to ``==``."""
    if isinstance(value, dict):
        return ("dict", [(_shape(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_shape(v) for v in value])
    return (type(value).__name__, repr(value), getattr(value, "raw", None))


def _load(text: str, loader: Any) -> Any:
    try:
        return _shape(yaml.load(text, Loader=loader))
    except Exception as exc:  # the same failure is part of the same behaviour
        return ("error", type(exc).__name__, str(exc))


_SCALARS = ["yes", "no", "on", "true", "False", "~", "null", "", "1_000", "0o17", "0x1F",
            "-.inf", ".NaN", "1:20", "2024-03-05", "2024-03-05T10:00:00Z", "=", "<<",
            "'quoted'", '"2"', "!!str 3", "!!int 7", "&a x", "*a", "+1", "-2.5e3", "Y", "o"]
_KEYS = ["title", "tags", "<<", "=", "1", "true", "? k", "[a, b]", "n", "date"]


@st.composite
def _yaml_text(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4]))
        key = draw(st.sampled_from(_KEYS))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            lines.append(f"{indent}{key}: {draw(st.sampled_from(_SCALARS))}")
        elif kind == 1:
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  - {draw(st.sampled_from(_SCALARS))}"
                      for _ in range(draw(st.integers(0, 3)))]
        elif kind == 2:
            items = draw(st.lists(st.sampled_from(_SCALARS), max_size=3))
            pairs = ", ".join(f"k{i}: {v}" for i, v in enumerate(items))
            lines.append(f"{indent}{key}: {{{pairs}}}")
        elif kind == 3:
            lines.append(f"{indent}{key}: &m {{a: 1, b: yes}}")
            value = draw(st.sampled_from(_SCALARS))
            lines += [f"{indent}m2:", f"{indent}  <<: *m", f"{indent}  c: {value}"]
        else:
            lines.append(indent + draw(st.text(st.sampled_from("ab:-?[]{}&*!<=,'\" \n#"),
                                               max_size=12)))
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(_yaml_text())
def test_yaml_loader_equals_pyyaml_hooks(text: str) -> None:
    assert _load(text, frontmatter._Loader) == _load(text, _ReferenceLoader)


# --- real articles ---------------------------------------------------------------------

def _sample(shared: Path, seeds: Path) -> list[Path]:
    files = sorted(p for p in (shared / "seeds").rglob("*") if p.is_file())
    files += sorted(p for p in seeds.rglob("*") if p.is_file())
    corpora = sorted(p for p in (shared / "corpora").rglob("*") if p.is_file())
    return files + corpora[::15]


def _parse(path: Path) -> list[str] | str:
    """Each record's JSON (types and all), or the error."""
    try:
        result = parse.parse_file(path)
    except NewsidxError as exc:
        return f"{type(exc).__name__}: {exc}"
    return [json.dumps(to_json(r), ensure_ascii=False) for r in result.records]


@pytest.mark.shared
def test_real_articles_parse_and_index_as_before(
    shared: Path, seeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _sample(shared, seeds)
    assert len(files) > 300
    fast = [_parse(p) for p in files]
    monkeypatch.setattr(frontmatter, "_Loader", _ReferenceLoader)
    reference = [_parse(p) for p in files]
    assert fast == reference
    records = [from_json(json.loads(line)) for rs in fast if not isinstance(rs, str)
               for line in rs]
    assert sum(ref_has_cjk(r.title + r.body) for r in records) > 0
    for record in records:
        assert text_fields(record) == ref_text_fields(record), record.sources
