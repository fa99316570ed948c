"""Bytes → text (issue 18): legacy encodings are detected and named instead of becoming
Windows-1252 mojibake, Western text stays Windows-1252, UTF-8 with a few damaged bytes
stays UTF-8, and a Git LFS pointer is no article. Fixtures are encoded here."""

from __future__ import annotations

import pytest

from newsidx.errors import SkippedFile
from newsidx.parse import ParseResult, parse_bytes


def parse(data: bytes) -> ParseResult:
    return parse_bytes(data, "/news/story.md")


GBK_DOC = ("---\ntitle: 中国经济增长放缓，央行宣布降息\n---\n"
           "国家统计局今天公布的数据显示，经济增速有所放缓。央行随后宣布下调利率。\n")


def test_gbk_is_detected_and_named() -> None:
    result = parse(GBK_DOC.encode("gbk"))
    assert result.records[0].title == "中国经济增长放缓，央行宣布降息"
    assert "央行随后宣布下调利率" in result.records[0].body
    assert any("GB" in w and "detected" in w for w in result.warnings)


@pytest.mark.parametrize("text", [
    "Café\n",
    "---\ntitle: Les élèves répètent à l’école — « déjà vu »\n---\nUn été très chaud.\n",
    "Grüße aus München\n\nDie Straße ist für Fußgänger gesperrt.\n",
    "Año nuevo: señales de recuperación económica\n\nEl niño comió.\n",
])
def test_windows_1252_stays_windows_1252(text: str) -> None:
    result = parse(text.encode("cp1252"))
    record = result.records[0]
    expected = text.split("title: ")[1].split("\n")[0] if "title:" in text else text.split("\n")[0]
    assert record.title == expected
    assert any("Windows-1252" in w for w in result.warnings)


def test_windows_1251_is_detected() -> None:
    text = "Новости экономики России\n\nЦентральный банк снизил ключевую ставку.\n"
    result = parse(text.encode("cp1251"))
    assert result.records[0].title == "Новости экономики России"
    assert any("1251" in w for w in result.warnings)


def test_utf8_with_a_few_damaged_bytes_stays_utf8() -> None:
    data = "Überschrift — ein Titel\n\nText mit Umlauten: äöü, ".encode() + b"\xff\xfe" + b" Ende\n"
    result = parse(data)
    assert result.records[0].title == "Überschrift — ein Titel"
    assert any("UTF-8" in w and "U+FFFD" in w for w in result.warnings)



def test_git_lfs_pointer_is_skipped_with_the_reason() -> None:
    pointer = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               b"size 12345\n")
    with pytest.raises(SkippedFile, match="Git LFS pointer, not an article"):
        parse(pointer)
