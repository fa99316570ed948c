"""Every string of a record made safe once, where the record is made.

A lone surrogate (``"\\ud800"`` in JSON or YAML escapes) cannot be encoded as UTF-8, so
it would break the index and every later read; a NUL breaks C consumers. Both become
U+FFFD with a warning naming the field. Titles are folded to one line (controls and
runs of white space become one space) and a title of only invisible characters counts
as none. Only ``http(s)`` addresses are kept as URL fields. :func:`scrub_record` applies
all of this to a record's JSON form; ``model.from_json`` and ``parse`` call it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["URL_FIELDS", "fix_text", "fold_title", "is_web_url", "scrub_record"]

#: The record fields that hold a web address, in the order a record's ``url`` is chosen.
URL_FIELDS = ("web_url", "original_url", "amp_url", "cdn_amp_url", "url")
_UNENCODABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_WEB_URL = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
#: Letters and symbols that print as nothing (Hangul fillers, the blank Braille cell).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_EDGE_INVISIBLE = "\ufeff\u200b\u2060"
#: Paths, not text: a non-UTF-8 file name is kept in its surrogate-escaped form.
_NOT_TEXT = frozenset({"sources"})


def fix_text(text: str) -> str:
    """``text`` with NULs and lone surrogates replaced by U+FFFD (a split pair is joined)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if _UNENCODABLE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _needs_fix(text: str) -> bool:
    """True when ``text`` holds a NUL or a surrogate (which UTF-8 cannot encode)."""
    if text.isascii():
        return "\x00" in text
    try:
        return b"\x00" in text.encode("utf-8")
    except UnicodeEncodeError:
        return True


def fold_title(text: str) -> str:
    """A title on one line: controls and white-space runs become one space, stripped;
    ``""`` when nothing visible is left (only zero-width characters, a BOM...)."""
    if not (text.isprintable() and text == text.strip() and "  " not in text):
        text = " ".join(_CONTROLS.sub(" ", text).split()).strip(_EDGE_INVISIBLE).strip()
    if text.isascii():
        return text
    for ch in text:
        if ch not in _INVISIBLE and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES:
            return text
    return ""


def is_web_url(text: str) -> bool:
    """True for an ``http://`` or ``https://`` address with a host."""
    return _WEB_URL.match(text) is not None


def _clean(value: Any, path: str, bad: list[str]) -> Any:
    """``value`` with every string fixed; the same object when nothing needed fixing."""
    if isinstance(value, str):
        if not _needs_fix(value):
            return value
        bad.append(path)
        return fix_text(value)
    if isinstance(value, dict):
        changed: dict[Any, Any] | None = None
        for n, (key, item) in enumerate(value.items()):
            new_key = key
            if isinstance(key, str) and _needs_fix(key):
                new_key = fix_text(key)
                bad.append(f"{path}.{new_key} (key)" if path else f"{new_key} (key)")
                while new_key in value or (changed is not None and new_key in changed):
                    new_key += "\ufffd"  # two keys that differed only in bad characters
            label = f"{path}.{new_key}" if path else str(new_key)
            new_item = item if path == "" and key in _NOT_TEXT else _clean(item, label, bad)
            if changed is None and (new_key is not key or new_item is not item):
                changed = dict(list(value.items())[:n])
            if changed is not None:
                changed[new_key] = new_item
        return value if changed is None else changed
    if isinstance(value, list):
        items = [_clean(item, f"{path}[{n}]", bad) for n, item in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _dirty(values: list[Any]) -> bool:
    """True when some string in ``values`` needs :func:`fix_text` (no paths built).

    The strings of each level are joined and checked at once: per-string checks in
    Python would cost more than the one C scan (this runs on every record read).
    """
    while values:
        texts = [v for v in values if isinstance(v, str)]
        if texts and _needs_fix("".join(texts)):
            return True
        inner: list[Any] = []
        for value in values:
            if isinstance(value, dict):
                if value:
                    inner.extend(value)
                    inner.extend(value.values())
            elif isinstance(value, list):
                inner.extend(value)
        values = inner
    return False


def _titles_to_fold(data: Mapping[str, Any]) -> bool:
    title = data.get("title")
    if isinstance(title, str) and fold_title(title) != title:
        return True
    for ref in data.get("related") or ():
        inner = ref.get("title") if isinstance(ref, dict) else None
        if isinstance(inner, str) and fold_title(inner) != inner:
            return True
    return False


def _fold_titles(data: dict[str, Any]) -> None:
    if isinstance(data.get("title"), str):
        data["title"] = fold_title(data["title"])
    related = data.get("related")
    if isinstance(related, list):
        data["related"] = [
            {**r, "title": fold_title(r["title"])}
            if isinstance(r, dict) and isinstance(r.get("title"), str) else r
            for r in related
        ]


def _move_urls(data: dict[str, Any], moved: dict[str, str], warnings: list[str]) -> None:
    extra = dict(data.get("extra") or {})
    for name, value in moved.items():
        data[name] = None
        if name == "url" and len(moved) > 1:
            continue  # the canonical form of one of the others
        key = name if extra.get(name, value) == value else f"{name} (not http)"
        extra[key] = value
        warnings.append(f"{name} is not an http(s) URL: kept in extra")
    data["extra"] = extra


def scrub_record(data: Mapping[str, Any], *, scan: bool = True
                 ) -> tuple[Mapping[str, Any], list[str]]:
    """A record's JSON form made safe, and one-line warnings for what was changed.

    Returns ``data`` itself when nothing changed. ``scan=False`` skips the search for
    NULs and surrogates, for data decoded from JSON text known to hold neither (no
    ``\\u`` escape in strictly decoded text): that search is most of the cost.
    """
    bad: list[str] = []
    try:
        if scan and _dirty([v for k, v in data.items() if k not in _NOT_TEXT]):
            data = _clean(data, "", bad)
    except RecursionError:
        raise ValueError("record nested too deeply") from None
    moved = {}
    for name in URL_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and _WEB_URL.match(value) is None:
            moved[name] = value
    if not bad and not moved and not _titles_to_fold(data):
        return data, []
    out = dict(data)
    warnings: list[str] = []
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        warnings.append(f"lone surrogate or NUL replaced with U+FFFD in {shown}")
    _fold_titles(out)
    if moved:
        _move_urls(out, moved, warnings)
    if warnings:
        out["warnings"] = [*out.get("warnings", ()), *warnings]
    return out, warnings
