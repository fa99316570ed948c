"""Every parse-level row of ../shared/inputs/CASES.md, and arbitrary bytes never crash."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsidx.errors import ParseError, SkippedFile
from newsidx.model import Provider, to_json
from newsidx.parse import ParseResult, parse_bytes, parse_file

UTC = timezone.utc
MARCH_5 = datetime(2024, 3, 5, 9, 10, tzinfo=UTC)


@pytest.fixture
def inputs(shared: Path) -> Path:
    return shared / "inputs"


def one(inputs: Path, name: str) -> ParseResult:
    return parse_file(inputs / name)


def reject(inputs: Path, name: str, reason: str, kind: type[ParseError] = ParseError
           ) -> ParseError:
    with pytest.raises(kind) as err:
        parse_file(inputs / name)
    assert err.type is kind
    assert err.value.path == str(inputs / name)
    assert reason in err.value.reason
    assert "\n" not in str(err.value)
    return err.value


def test_frontmatter_cases(inputs: Path) -> None:
    bom = one(inputs, "frontmatter/bom.md").records[0]
    assert bom.title == "BOM before the fence" and bom.published == MARCH_5
    crlf = one(inputs, "frontmatter/crlf.md").records[0]
    assert crlf.title == "Windows line endings" and crlf.body == "Body line one."
    assert crlf.provider == Provider("Example", "example.com")
    dots = one(inputs, "frontmatter/dots-end.md").records[0]
    assert dots.title == "Closed by three dots"
    assert dots.body == "Body after a YAML document end marker."
    dashes = one(inputs, "frontmatter/dashes-in-body.md").records[0]
    assert dashes.body == ("Before the rule.\n\n---\n\n"
                           "After the rule: this is body, not front matter.")
    assert one(inputs, "frontmatter/empty-fm.md").records[0].title == "Heading becomes the title"
    only = one(inputs, "frontmatter/only-fm.md").records[0]
    assert only.title == "Front matter and nothing else" and only.body == ""
    toml = one(inputs, "frontmatter/toml.md")
    assert toml.format == "toml" and toml.records[0].title == "Hugo TOML front matter"
    assert toml.records[0].published == MARCH_5 and toml.records[0].topics == ("AI", "China")
    # Documented choice: front matter is recognised after leading blank lines.
    blank = one(inputs, "frontmatter/leading-blank-lines.md")
    assert blank.format == "yaml" and blank.records[0].title == "Front matter after blank lines"
    assert blank.records[0].body == "Body."
    err = reject(inputs, "frontmatter/unterminated.md", "unterminated front matter")
    assert err.line == 1


def test_yaml_cases(inputs: Path, tmp_path: Path) -> None:
    marker = Path("/tmp/newsidx-pwned")
    existed = marker.exists()
    reject(inputs, "yaml/python-object.md", "unsafe YAML tag")
    assert marker.exists() == existed
    reject(inputs, "yaml/alias-bomb.md", "expands to more than")
    reject(inputs, "yaml/deep-nesting.md", "nested deeper than 100 levels")
    reject(inputs, "yaml/deep-dashes.md", "nested deeper than 100 levels")
    assert one(inputs, "yaml/duplicate-keys.md").records[0].title == "Second title"
    implicit = one(inputs, "yaml/implicit-types.md").records[0]
    assert implicit.title == "2024" and implicit.excerpt == "no"
    assert implicit.topics == ("yes", "off", "1_000", "0o17", "1:20", ".inf")
    assert implicit.provider == Provider(None, "12.5")
    reject(inputs, "yaml/not-a-mapping.md", "front matter is not a mapping")
    reject(inputs, "yaml/scalar.md", "front matter is not a mapping")
    err = reject(inputs, "yaml/invalid.md", "invalid YAML")
    assert err.line == 2


def test_date_cases(inputs: Path) -> None:
    assert one(inputs, "dates/formats.md").records[0].day == "2024-03-05"
    offset = one(inputs, "dates/offset.md").records[0]
    assert offset.published == datetime(2024, 3, 5, 1, 10, tzinfo=UTC)
    assert offset.published_offset == "+08:00"
    assert one(inputs, "dates/epoch.md").records[0].published == MARCH_5
    for name in ("dates/impossible.md", "dates/garbage.md"):
        result = one(inputs, name)
        assert result.records[0].published is None
        assert result.records[0].published_raw is not None
        assert any("unreadable date" in w for w in result.warnings)
    naive = one(inputs, "dates/naive.md").records[0]
    assert naive.published == MARCH_5 and naive.published_zoneless
    far = one(inputs, "dates/year-9999.md").records[0]
    assert far.published == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    bad = one(inputs, "dates/related-bad-date.md")
    article, year_zero, fine = bad.records
    assert article.published == MARCH_5
    assert year_zero.title == "Related with year zero" and year_zero.published is None
    assert year_zero.published_raw == "0000-01-01T00:00:00Z"
    assert fine.published == datetime(2024, 3, 5, 7, 42, tzinfo=UTC)
    a = one(inputs, "dates/mixed-zones-a.md").records[0]
    b = one(inputs, "dates/mixed-zones-b.md").records[0]
    assert a.published is not None and b.published is not None
    assert sorted([a.published, b.published]) == [b.published, a.published]


def test_encoding_cases(inputs: Path) -> None:
    latin = one(inputs, "encoding/latin1.txt")
    assert latin.records[0].title == "Café au lait prices rise in Zürich"
    assert any("Windows-1252" in w for w in latin.warnings)
    assert one(inputs, "encoding/utf16.md").records[0].title == "UTF-16 with BOM"
    broken = one(inputs, "encoding/invalid-utf8.md")
    assert broken.records[0].title.startswith("Broken") and broken.warnings
    nul = one(inputs, "encoding/nul-bytes.md")
    assert nul.records[0].title == "NULinside" and "\x00" not in nul.records[0].body
    assert any("NUL" in w for w in nul.warnings)
    reject(inputs, "encoding/binary.md", "binary file", SkippedFile)
    reject(inputs, "encoding/empty.md", "empty file", SkippedFile)
    reject(inputs, "encoding/whitespace-only.txt", "empty file", SkippedFile)
    uni = one(inputs, "encoding/unicode-titles.md").records[0]
    assert "\u202e" in uni.title and "\u200b" in uni.title and "阿里巴巴" in uni.title
    assert to_json(uni)["title"] == uni.title
    esc = one(inputs, "encoding/terminal-escapes.md").records[0]
    # Controls never survive in a title (issue 18): ESC and BEL fold to spaces.
    assert esc.title.startswith("]0;pwned [bold red]markup[/]")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in esc.title)


def test_structure_cases(inputs: Path) -> None:
    provider = one(inputs, "structure/provider-string.md").records[0]
    assert provider.provider == Provider("Reuters", None) and provider.topics == ("AI",)
    mapping = one(inputs, "structure/related-mapping.md")
    assert len(mapping.records) == 2 and mapping.records[1].title == "One related"
    partial = one(inputs, "structure/related-partial.md")
    assert [r.title for r in partial.records[1:]] == ["Only a title", "only url"]
    assert partial.records[2].url == "https://example.com/only-url"
    assert len(partial.warnings) == 2
    assert one(inputs, "structure/no-title.md").records[0].title == (
        "First sentence stands in for the missing title.")
    assert one(inputs, "structure/blank-title.md").records[0].title == "Heading title"
    odd = one(inputs, "structure/non-string-keys.md")
    assert odd.records[0].title == "Odd keys"
    assert odd.records[0].extra == {"1": "one", "true": "yes", "[a, b]": "complex"}
    assert odd.warnings
    huge = one(inputs, "structure/huge-title.md").records[0]
    assert len(huge.title) > 100_000 - 100
    a = one(inputs, "structure/same-url-a.md").records[0]
    b = one(inputs, "structure/same-url-b.md").records[0]
    assert a.id == b.id and a.url == b.url == "https://www.example.com/story?id=1"


def test_fs_names_parse(inputs: Path) -> None:
    assert one(inputs, "fs/name with spaces.md").records[0].title
    leaf = next((inputs / "fs" / "deep").rglob("leaf.md"))
    assert parse_file(leaf).records[0].title


def test_deep_inputs_cannot_kill_the_process(inputs: Path) -> None:
    """The C loader segfaults on deep nesting; prove the parser refuses it first."""
    code = (
        "import sys\nfrom newsidx.parse import parse_file\nfrom newsidx.errors import ParseError\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n        parse_file(p)\n    except ParseError as e:\n        print(e.reason)\n"
    )
    deep = [str(inputs / "yaml" / n) for n in ("deep-nesting.md", "deep-dashes.md")]
    done = subprocess.run([sys.executable, "-c", code, *deep], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("nested deeper than 100 levels") == 2


@pytest.mark.parametrize(
    "front",
    [
        "x:\n" + "".join(" " * i + "- \n" for i in range(1, 1_500)),
        "x:\n" + "".join(" " * (2 * i) + f"k{i}:\n" for i in range(300)),
        "x: " + "{a: " * 30_000,
        "- " * 30_000 + "x",
        "a: &a [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1 if i else ''}, *a{i - 1 if i else ''}]\n"
                                for i in range(40)).replace("*a-1", "*a"),
        "m0: &m0 {k: 1}\n" + "".join(
            f"m{i}: &m{i}\n  <<: [{', '.join(f'*m{i - 1}' for _ in range(9))}]\n  k{i}: 1\n"
            for i in range(1, 12)),
        "a: &a [*a]",
    ],
    ids=["indent", "mapping-indent", "flow-map", "dashes", "doubling", "merge-bomb", "cycle"],
)
def test_constructed_hostile_front_matter_is_bounded(front: str) -> None:
    data = ("---\n" + front + "\n---\n").encode()
    code = ("import sys\nfrom newsidx.parse import parse_bytes\nfrom newsidx.errors import "
            "ParseError\ntry:\n    parse_bytes(sys.stdin.buffer.read(), 'x')\n"
            "except ParseError as e:\n    print(e.reason)\n")
    done = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-500:]


_ODD_TEXT = st.lists(
    st.sampled_from([*"-?:[]{}!&*|>'\"#%@`,~ \t\nab01.<=\\", "\n  ", "- ", ": ", "&a ", "*a",
                     "!!binary ", "!!int ", "title", "related", "<<", "2024-13-01", "\\ud800"]),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    for blob in (data, b"---\n" + data + b"\n---\n"):
        try:
            result = parse_bytes(blob, "fuzz.md")
        except ParseError:
            continue
        assert result.records and result.records[0].kind == "article"
        for record in result.records:
            to_json(record)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ODD_TEXT)
def test_arbitrary_front_matter(front: str) -> None:
    try:
        result = parse_bytes(("---\n" + front + "\n---\nbody\n").encode(), "fuzz.md")
    except ParseError as err:
        assert err.reason and "\n" not in err.reason
        return
    import json

    for record in result.records:
        json.dumps(to_json(record), allow_nan=False)


def test_a_multi_megabyte_line_is_rejected_with_its_line_number() -> None:
    from newsidx.errors import ParseError
    from newsidx.parse import MAX_LINE, parse_bytes

    data = b'---\ntitle: "One long line"\n---\n' + b"x" * (MAX_LINE + 1)
    with pytest.raises(ParseError, match=r"line 4 is 1\.0 MiB long, over the 1 MiB line limit"):
        parse_bytes(data, "long-line.md")
    ok = b'---\ntitle: "Long but fine"\n---\n' + (b"y" * 1000 + b"\n") * 2000
    assert parse_bytes(ok, "fine.md").records[0].title == "Long but fine"
