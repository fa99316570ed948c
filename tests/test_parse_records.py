"""Files that used to make wrong records (issue 18): duplicate front-matter keys.
Fixtures are made here."""

from __future__ import annotations

from newsidx.parse import ParseResult, parse_bytes


def parse(text: str | bytes, name: str = "story.md") -> ParseResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bytes(data, f"/news/{name}")


# --- 11. duplicate keys ----------------------------------------------------------

def test_duplicate_yaml_keys_keep_the_last_value_with_a_warning() -> None:
    result = parse("---\ntitle: first\ntitle: second\nprovider:\n  name: A\n  name: B\n"
                   "---\nbody\n")
    record = result.records[0]
    assert record.title == "second" and record.provider is not None
    assert record.provider.name == "B"
    (warning,) = [w for w in result.warnings if "duplicate" in w]
    assert "'title'" in warning and "'name'" in warning


def test_merge_keys_overridden_are_not_duplicates() -> None:
    result = parse("---\ntitle: t\nbase: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 3\n---\n")
    assert result.records[0].extra["m"] == {"x": 3, "y": 2}
    assert not any("duplicate" in w for w in result.warnings)


def test_duplicate_json_keys_keep_the_last_value_with_a_warning() -> None:
    result = parse('{"title": "first", "title": "second", "excerpt": "e"}\nbody\n')
    assert result.records[0].title == "second"
    assert any("duplicate" in w and "'title'" in w for w in result.warnings)
    clean = parse('{"title": "only", "nested": {"title": "fine"}}\n')
    assert not any("duplicate" in w for w in clean.warnings)
