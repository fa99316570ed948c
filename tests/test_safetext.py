"""Terminal-safe text: no control, escape or bidi character survives display()."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from newsidx.safetext import KEPT_FORMAT, display, escape_name, is_safe

UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")


def test_table_covers_every_control_and_format_character() -> None:
    missed = [
        hex(c) for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in UNSAFE_CATEGORIES
        and chr(c) not in KEPT_FORMAT and is_safe(chr(c))
    ]
    assert missed == []


def test_escape_sequences_lose_their_escape() -> None:
    assert display("\x1b]0;pwned\x07title") == "]0;pwnedtitle"
    assert display("\x1b[31mred\x1b[0m") == "[31mred[0m"
    assert display("\x9b31mcsi") == "31mcsi"
    assert "\x1b" not in display("a\x1bb")


def test_bidi_overrides_and_isolates_are_removed() -> None:
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f":
        assert display(f"abc{ch}def") == "abcdef"


def test_whitespace_controls_become_spaces_or_newlines() -> None:
    assert display("a\tb\nc\r\nd") == "a b c  d"
    assert display("a\nb\r\nc\u2028d", single_line=False) == "a\nb\nc\nd"


def test_ordinary_text_is_untouched() -> None:
    text = "Alibaba’s $2.5B 阿里巴巴 «ok» [bold red]x[/] عربي\u200cفارسی 👩\u200d💻"
    assert display(text) == text
    assert is_safe(text)


def test_escape_name_shows_unsafe_characters_as_escapes() -> None:
    assert escape_name("plain/path.md") == "plain/path.md"
    assert escape_name("a\nb.md") == "a\\x0ab.md"
    assert escape_name("bad\udcffbyte") == "bad\\xffbyte"
    assert escape_name("x\u202ey") == "x\\u202ey"
    assert escape_name("c:\\dir\n") == "c:\\\\dir\\x0a"
    assert escape_name("a\nb") != escape_name("a\rb")


@given(st.text())
def test_display_output_is_always_safe(text: str) -> None:
    shown = display(text)
    assert is_safe(shown)
    assert "\n" not in shown


@given(st.text())
def test_multiline_display_keeps_only_newlines(text: str) -> None:
    shown = display(text, single_line=False)
    assert all(ch == "\n" or is_safe(ch) for ch in shown)


@given(st.text())
def test_escape_name_is_always_safe(text: str) -> None:
    escaped = escape_name(text)
    assert is_safe(escaped)
    if is_safe(text):
        assert escaped == text
