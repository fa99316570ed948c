"""Where a file sits under the ingest root: its ``folder``, and the language its path names.

``folder`` is the file's folder relative to the root it was found under (``business`` for
``bbc/business/001.txt`` ingested as ``bbc``; ``""`` at the root; for a dataset or feed
item, the file's folder), so a site's sections can be filtered on. A record without a
``lang`` key takes the first folder of that relative path that is a language code, as
sites lay out translations (``en/``, ``zh_cn/``, ``pt-br/``): an ISO 639-1 code, with an
optional region or script (``-``/``_`` then 2 to 4 letters).

The roots are set once per process (:func:`set_roots`; a parse worker gets the parent's
through its initializer), so the parser itself stays a function of the bytes.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from newsidx.attribution import lang_code
from newsidx.model import Article

_ISO_639_1 = frozenset({
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg",
    "bh", "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv",
    "cy", "da", "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi",
    "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr",
    "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja",
    "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw",
    "ky", "la", "lb", "lg", "li", "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml",
    "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv",
    "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro",
    "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr",
    "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr",
    "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi",
    "yo", "za", "zh", "zu",
})
_LANG_FOLDER = re.compile(r"([a-z]{2})(?:[-_]([a-z]{2,4}))?", re.IGNORECASE)
_ROOTS: list[str] = []


def set_roots(roots: Iterable[str]) -> None:
    """The absolute ingest roots of this process's run."""
    _ROOTS[:] = [os.path.abspath(r) for r in roots]


def roots() -> list[str]:
    return list(_ROOTS)


@contextlib.contextmanager
def roots_set(roots: Iterable[str]) -> Iterator[None]:
    """The roots of one ingest, for its length only: a later parse in this process (a
    library user's ``parse_file``) is not keyed by them."""
    previous = list(_ROOTS)
    set_roots(roots)
    try:
        yield
    finally:
        _ROOTS[:] = previous


def folder_of(path: str, tops: Sequence[str] | None = None) -> str | None:
    """``path``'s folder relative to the outermost root holding it, ``/``-separated;
    None when no root holds it. Bytes that are not UTF-8 become U+FFFD."""
    where = os.path.abspath(path)
    best: str | None = None
    for top in _ROOTS if tops is None else tops:
        inside = where == top or where.startswith(top.rstrip(os.sep) + os.sep)
        if inside and (best is None or len(top) < len(best)):
            best = top
    if best is None:
        return None
    if where == best:  # a file given by name
        return ""
    rel = os.path.dirname(os.path.relpath(where, best))
    text = rel.replace(os.sep, "/") if rel not in ("", ".") else ""
    return os.fsencode(text).decode("utf-8", "replace")


def folder_lang(folder: str) -> str | None:
    """The first folder of ``folder`` that names a language (``en``, ``zh_cn`` → ``zh-cn``)."""
    for part in folder.split("/"):
        m = _LANG_FOLDER.fullmatch(part)
        if m and m[1].lower() in _ISO_639_1:
            return lang_code(part)
    return None


def place(records: Iterable[Article], path: str) -> list[Article]:
    """``records`` of the file at ``path`` with its ``folder``, and the folder's language
    where a record has no ``lang``; unchanged when no root holds ``path``."""
    folder = folder_of(path)
    if folder is None:
        return list(records)
    lang = folder_lang(folder)
    return [replace(r, folder=folder, lang=r.lang or lang) for r in records]
