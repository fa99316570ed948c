"""One file's bytes → text, with a note of how it was read.

UTF-8 (or a byte-order mark's encoding) is the rule. Anything else is read as what it
most likely is: BOM-less UTF-16; UTF-8 with a few damaged bytes; Western text in
Windows-1252 when its non-ASCII letters are sparse accents; else the encoding that
charset-normalizer detects (GBK, Shift JIS, Windows-1251...); Windows-1252 (Latin-1
for its five unassigned bytes) as the last resort. Every fallback adds a warning
naming the encoding used, so a wrong guess can be seen in the record.
"""

from __future__ import annotations

import codecs
import re

from .errors import SkippedFile

__all__ = ["LFS_POINTER", "decode"]

_SAMPLE = 8192
_MAGIC = (b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"%PDF-", b"PK\x03\x04",
          b"\x7fELF", b"\x1f\x8b")
_CONTROL = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_LFS = b"version https://git-lfs.github.com/spec/v1"
LFS_POINTER = "Git LFS pointer, not an article"
#: Share of non-ASCII characters that may stand in runs of three or more in Western text.
_WESTERN_RUNS = 0.25
_DETECT_BYTES = 64 * 1024
_RUN = re.compile("[^\x00-\x7f]{3,}")
_NAMES = {"cp1252": "Windows-1252", "gb18030": "GBK/GB18030", "cp932": "Shift JIS",
          "cp949": "EUC-KR/CP949", "cp1251": "Windows-1251"}


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("newsidx-latin1", _latin1_fallback)


def decode(data: bytes, source: str, warnings: list[str]) -> str:
    """Text of ``data``; a warning names any encoding other than UTF-8 or a BOM's.

    Raises ``SkippedFile`` for empty, binary and Git LFS pointer files.
    """
    if not data:
        raise SkippedFile(source, "empty file")
    if data.startswith(_LFS) and len(data) < 1024:
        raise SkippedFile(source, LFS_POINTER)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(encoding)
            except UnicodeDecodeError:
                warnings.append(f"invalid {encoding.upper()} bytes replaced with U+FFFD")
                return body.decode(encoding, "replace")
    sample = data[:_SAMPLE]
    control = len(sample) - len(sample.translate(None, _CONTROL))
    if control * 10 > len(sample) or sample.startswith(_MAGIC):
        utf16 = _utf16_without_bom(sample)
        if utf16 is None or sample.startswith(_MAGIC):
            raise SkippedFile(source, "binary file")
        warnings.append(f"no byte-order mark: read as {utf16.upper()}")
        return data.decode(utf16, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if control * 50 > len(sample):
        raise SkippedFile(source, "binary file")
    mixed = data.decode("utf-8", "replace")
    damaged = mixed.count("\ufffd")
    if len(mixed) - len(mixed.encode("ascii", "ignore")) - damaged >= damaged:
        warnings.append("invalid UTF-8 bytes replaced with U+FFFD")
        return mixed
    western = data.decode("cp1252", "newsidx-latin1")
    detected = None if _looks_western(western) else _detect(data)
    if detected is None:
        warnings.append("not valid UTF-8: read as Windows-1252")
        return western
    name = _NAMES.get(detected, detected.upper().replace("_", "-"))
    warnings.append(f"not valid UTF-8: read as {name} (detected)")
    return data.decode(detected, "replace")


def _looks_western(text: str) -> bool:
    """True when non-ASCII characters stand mostly alone or in pairs, as accents do in
    French, German or Spanish (``élèves``, ``Grüße``); Cyrillic or CJK bytes read as
    Windows-1252 come in long runs (``Íîâîñòè``, ``ÖÐ¹ú``)."""
    head = text[:_DETECT_BYTES]
    non_ascii = len(head) - len(head.encode("ascii", "ignore"))
    in_runs = sum(map(len, _RUN.findall(head)))
    return in_runs <= non_ascii * _WESTERN_RUNS


def _detect(data: bytes) -> str | None:
    """charset-normalizer's best guess, or None when it has none or guesses UTF-8."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_DETECT_BYTES]).best()
    if best is None or best.encoding in ("ascii", "utf_8"):
        return None
    try:
        codecs.lookup(best.encoding)
    except LookupError:  # pragma: no cover - the detector names only Python codecs
        return None
    return str(best.encoding)


def _utf16_without_bom(sample: bytes) -> str | None:
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd * 10 >= half * 4 and even * 20 <= half:
        return "utf-16-le"
    if even * 10 >= half * 4 and odd * 20 <= half:
        return "utf-16-be"
    return None
