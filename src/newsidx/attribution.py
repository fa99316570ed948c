"""Who wrote a record and in which language, from the keys sites use for them.

Authors come from ``author``, ``authors``, ``byline`` and ``creator`` (the first key with a
usable value; the others stay in ``extra``): a list gives one name per item, a mapping its
``name`` (Hugo, JSON-LD), a string one name, a leading "By " dropped. The language comes
from ``lang`` or ``language``, as a lower-case code with ``-`` (``zh_CN`` → ``zh-cn``), so
``--lang zh_cn`` and ``lang:zh-CN`` find the same records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

AUTHOR_KEYS = ("author", "authors", "byline", "creator")
LANG_KEYS = ("lang", "language")


def lang_code(text: str) -> str:
    """A language as records and filters compare it: trimmed, lower-case, ``_`` → ``-``."""
    return "-".join(text.strip().lower().replace("_", "-").split())


def names(value: Any, as_text: Callable[[Any], str | None]) -> list[str]:
    """The author names in one key's value (empty when none is usable)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        text = as_text(item) if item is not None else None
        if text is None:
            continue
        text = " ".join(text.split())
        if text[:3].lower() == "by " and len(text) > 3:
            text = text[3:].lstrip()
        if text and text.casefold() not in {n.casefold() for n in out}:
            out.append(text)
    return out


def take(rest: dict[Any, Any], args: dict[str, Any],
         as_text: Callable[[Any], str | None]) -> None:
    """Move the first usable author and language keys of ``rest`` into ``args``
    (``authors``, ``lang``); keys that give nothing stay in ``rest`` (→ ``extra``)."""
    for key in AUTHOR_KEYS:
        if key in rest:
            found = names(rest[key], as_text)
            if found:
                args["authors"] = tuple(found)
                del rest[key]
                break
    for key in LANG_KEYS:
        value = rest.get(key)
        text = as_text(value) if value is not None else None
        if text and lang_code(text):
            args["lang"] = lang_code(text)
            del rest[key]
            break
