"""Make untrusted text (article fields, file names) safe to print on a terminal.

Article text may carry escape sequences (``ESC ]0;title BEL``), bell characters or
bidi overrides that reorder what a person reads. Terminal output passes every such
string through :func:`display` (or :func:`escape_name` for paths). JSON keeps the text
exact but writes every such character as a JSON escape (:func:`json_escape`), so a
document printed on a terminal cannot act on it; CSV quotes the cells that hold one
(:func:`is_safe`) and, on a terminal, shows them escaped.
"""

from __future__ import annotations

import re
from functools import cache

#: Format characters kept: the joiners that Arabic, Persian, Indic scripts and emoji need.
KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
_WHITESPACE_CONTROLS = frozenset({"\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"})

# Every code point of categories Cc (C0/C1 controls, DEL), Cf (bidi overrides and
# isolates, zero-width and other format characters), Zl/Zp (line and paragraph
# separators) and Cs (lone surrogates, from undecodable file names), except the
# joiners above. Spelled out because deriving it from unicodedata at import costs
# 0.3 s; tests/test_safetext.py checks it against the running Unicode database.
_UNSAFE_RANGES = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    r"\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    r"\ufff9-\ufffb\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f"
    r"\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)

# JSON's encoder already escapes C0 controls inside strings, so a raw C0 character in
# a JSON document is structure (the newlines of ``indent``) and must stay as it is.
_JSON_RANGES = _UNSAFE_RANGES.replace(r"\x00-\x1f", "", 1)


@cache
def _unsafe() -> re.Pattern[str]:
    """The unsafe-character class, compiled on first use (~1 ms a search need not pay)."""
    return re.compile(f"[{_UNSAFE_RANGES}]")


def is_safe(text: str) -> bool:
    """True when ``text`` holds no character that :func:`display` would change."""
    if text.isprintable():  # every unsafe character is unprintable; a C-speed test
        return True
    return _unsafe().search(text) is None


def display(text: str, *, single_line: bool = True) -> str:
    """``text`` for a terminal: controls and format characters removed.

    Whitespace controls become a space (or stay as newlines when ``single_line`` is
    false, for record bodies); everything else unsafe is dropped, so that neither an
    escape sequence nor its payload can act on the terminal.
    """

    def repl(match: re.Match[str]) -> str:
        ch = match.group()
        if ch in _WHITESPACE_CONTROLS:
            if not single_line and ch in ("\n", "\u2028", "\u2029"):
                return "\n"
            return " "
        return ""

    if text.isascii() and text.isprintable():
        return text
    if single_line:
        return _unsafe().sub(repl, text)
    return _unsafe().sub(repl, text.replace("\r\n", "\n"))


def escape_name(name: str) -> str:
    r"""A file name for a terminal: unsafe characters shown as ``\xNN``/``\uNNNN``.

    Unlike :func:`display` nothing is dropped, so two different names never print
    the same and a person can still tell which file is meant. A backslash is doubled
    only when the name needed escaping, to keep ordinary Windows-like names readable.
    """
    if is_safe(name):
        return name

    def repl(match: re.Match[str]) -> str:
        code = ord(match.group())
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
            return f"\\x{code - 0xDC00:02x}"
        if code <= 0xFF:
            return f"\\x{code:02x}"
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    return _unsafe().sub(repl, name.replace("\\", "\\\\"))


@cache
def _json_unsafe() -> re.Pattern[str]:
    return re.compile(f"[{_JSON_RANGES}]")


def _json_escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells an astral character as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_escape(document: str) -> str:
    r"""A JSON document from ``json.dumps(..., ensure_ascii=False)`` with every unsafe
    character (DEL, C1 controls, bidi and other format characters, line separators,
    lone surrogates) written as a ``\uXXXX`` escape.

    The document decodes to the same values, stays readable for other scripts, and
    can neither drive a terminal nor fail to encode as UTF-8.
    """
    # Fast path (C speed): a printable document, its indent newlines aside, holds no
    # Cc, Cf, Zl, Zp or Cs character, so nothing to escape.
    if (document.replace("\n", " ") if "\n" in document else document).isprintable():
        return document
    return _json_unsafe().sub(_json_escape_char, document)
