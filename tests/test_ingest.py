"""Ingest: incremental runs, dedup across files, prune, strict mode, report and events."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import sys
import types
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsidx.catalogue import Catalogue
from newsidx.errors import LockedError, ParseError, SkippedFile
from newsidx.ingest import IngestFailed, ProgressEvent, UsageError, ingest
from newsidx.model import Article, Provider, from_json, make_id, to_json
from newsidx.prepared import Prepared


@dataclass(frozen=True)
class _Result:
    records: tuple[Article, ...]
    warnings: tuple[str, ...]
    format: str = "yaml"


def _fallback_parse_bytes(data: bytes, source: str, *, file_name: str | None = None) -> _Result:
    """A minimal stand-in for newsidx.parse, used only while that module is absent."""
    text = data.decode("utf-8")
    if not text.strip():
        raise SkippedFile(source, "empty file")
    if not text.startswith("---\n"):
        raise ParseError(source, "no front matter", 1)
    meta = yaml.load(text.split("---\n")[1], Loader=yaml.SafeLoader)
    if not isinstance(meta, dict):
        raise ParseError(source, "front matter is not a mapping", 2)

    def record(m: dict[str, Any], kind: str, parents: tuple[str, ...]) -> Article:
        url = m.get("webUrl")
        when = m.get("publishedDateTime")
        prov = m.get("provider")
        return Article(
            id=make_id(url=url, title=m.get("title", "")), kind=kind,  # type: ignore[arg-type]
            title=str(m.get("title", "")), url=url, body=str(m.get("body", "")),
            published=(datetime.fromisoformat(str(when).replace("Z", "+00:00"))
                       .astimezone(timezone.utc) if when else None),
            provider=Provider(prov.get("name"), prov.get("domain")) if prov else None,
            topics=tuple(m.get("topics", ())), sources=(source,), parents=parents,
        )

    article = record(meta, "article", ())
    related = [record(r, "related", (article.id,)) for r in meta.get("related", ())]
    return _Result((article, *related), ())


def install_fallback_parser() -> None:
    try:
        import newsidx.parse  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        module = types.ModuleType("newsidx.parse")

        def parse_file(path: str, *, source: str | None = None, max_size: int = 0) -> _Result:
            raise ParseError(source or path, f"file is over the size limit of {max_size} bytes")

        module.parse_bytes = _fallback_parse_bytes  # type: ignore[attr-defined]
        module.parse_file = parse_file  # type: ignore[attr-defined]
        sys.modules["newsidx.parse"] = module


@pytest.fixture(autouse=True)
def _parser() -> None:
    install_fallback_parser()


def write_article(path: Path, url: str, title: str, *, day: str = "2024-03-05",
                  domain: str = "example.com", related: list[tuple[str, str]] = (),  # type: ignore[assignment]
                  topics: tuple[str, ...] = ("AI",)) -> Path:
    meta: dict[str, Any] = {
        "title": title, "webUrl": url, "publishedDateTime": f"{day}T09:10:00Z",
        "provider": {"name": domain.title(), "domain": domain}, "topics": list(topics),
    }
    if related:
        meta["related"] = [
            {"title": t, "webUrl": u, "publishedDateTime": f"{day}T08:00:00Z"} for u, t in related
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + yaml.safe_dump(meta) + "---\n\nBody of " + title + "\n")
    return path


def snapshot(cat: Catalogue) -> dict[str, dict[str, Any]]:
    cat.reload()
    return {r.id: to_json(r) for r in cat.iter_records()}


def bump(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    write_article(root / "a.md", "https://example.com/a", "Alpha",
                  related=[("https://other.org/x", "X"), ("https://other.org/y", "Y")])
    write_article(root / "sub" / "b.md", "https://example.com/b", "Beta", day="2023-10-17",
                  related=[("https://other.org/x", "X again")])
    (root / "empty.md").write_text("")
    (root / "broken.md").write_text("---\n- just\n- a list\n---\n")
    return root


def test_first_and_unchanged_second_run(tree: Path, catalogue_dir: Path) -> None:
    cat = Catalogue()
    events: list[ProgressEvent] = []
    first = ingest([tree], cat, jobs=1, progress=events.append)
    assert first.files_seen == 4
    assert sorted(first.new) == sorted([str(tree / "a.md"), str(tree / "sub/b.md")])
    assert [p for p, _ in first.skipped] == [str(tree / "empty.md")]
    assert [p for p, _ in first.failed] == [str(tree / "broken.md")]
    assert str(tree / "broken.md") in first.failed[0][1] and "not a mapping" in first.failed[0][1]
    assert first.records_added == 4 == first.records_total  # a, b, x (cited twice), y
    assert first.exit_code == 1 and first.generation == 1 and first.commits == 1
    # no index_sync here, so no index phases; the one commit folds the shards
    assert {e.stage for e in events} == {"walk", "file", "fold", "commit"}
    assert {e.status for e in events if e.stage == "file"} == {"new", "skipped", "failed"}
    before = snapshot(cat)

    second = ingest([tree], cat, jobs=1)
    assert not second.changed and second.commits == 0
    assert second.generation == second.generation_before == 1
    assert second.unchanged == 2 and second.new == [] and second.updated == []
    assert snapshot(cat) == before
    assert cat.check() == []


def test_dedup_related_cited_twice_and_full_article_wins(tree: Path, catalogue_dir: Path) -> None:
    cat = Catalogue()
    ingest([tree], cat, jobs=1)
    a_id, b_id = make_id(url="https://example.com/a"), make_id(url="https://example.com/b")
    x = cat.get("https://other.org/x")
    assert x.kind == "related" and x.title == "X"  # a.md sorts before sub/b.md
    assert x.parents == tuple(sorted([a_id, b_id]))
    assert x.sources == (str(tree / "a.md"), str(tree / "sub/b.md"))

    write_article(tree / "x-full.md", "https://OTHER.org/x?utm_source=feed#frag", "X in full")
    report = ingest([tree], cat, jobs=1)
    assert report.new == [str(tree / "x-full.md")] and report.records_updated == 1
    x = cat.get("https://other.org/x")
    assert x.kind == "article" and x.title == "X in full"
    assert x.sources[0] == str(tree / "x-full.md") and len(x.sources) == 3
    assert x.parents == tuple(sorted([a_id, b_id]))

    (tree / "x-full.md").unlink()
    report = ingest([tree], cat, jobs=1, prune=True)
    assert report.pruned == [str(tree / "x-full.md")]
    x = cat.get("https://other.org/x")
    assert x.kind == "related" and x.title == "X" and len(x.sources) == 2


def test_same_url_in_two_files_is_one_record(tmp_path: Path, catalogue_dir: Path) -> None:
    root = tmp_path / "news"
    write_article(root / "one.md", "https://example.com/story", "First spelling")
    write_article(root / "two.md", "https://EXAMPLE.com/story?utm_medium=x#c", "Second")
    cat = Catalogue()
    report = ingest([root], cat, jobs=1)
    assert report.records_total == 1
    record = cat.get("https://example.com/story")
    assert record.sources == (str(root / "one.md"), str(root / "two.md"))
    assert record.title == "First spelling"

    write_article(root / "one.md", "https://example.com/elsewhere", "Moved away")
    report = ingest([root], cat, jobs=1)
    assert report.updated == [str(root / "one.md")]
    record = cat.get("https://example.com/story")
    assert record.sources == (str(root / "two.md"),) and record.title == "Second"
    assert cat.get("https://example.com/elsewhere").title == "Moved away"
    assert cat.check() == []


def test_changed_file_replaces_its_records(tree: Path, catalogue_dir: Path) -> None:
    cat = Catalogue()
    ingest([tree], cat, jobs=1)
    write_article(tree / "a.md", "https://example.com/a", "Alpha revised",
                  related=[("https://other.org/z", "Z")])
    report = ingest([tree], cat, jobs=1)
    assert report.updated == [str(tree / "a.md")]
    ids = {r.id for r in cat.iter_records()}
    assert make_id(url="https://other.org/y") not in ids  # only a.md cited y
    assert make_id(url="https://other.org/z") in ids
    x = cat.get("https://other.org/x")  # still cited by b.md
    assert x.sources == (str(tree / "sub/b.md"),) and x.title == "X again"
    assert cat.get("https://example.com/a").title == "Alpha revised"
    assert report.records_removed == 1 and report.records_added == 1


def test_touched_but_identical_file_is_not_parsed(tree: Path, catalogue_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cat = Catalogue()
    ingest([tree], cat, jobs=1)
    before = snapshot(cat)
    bump(tree / "a.md")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(sys.modules["newsidx.parse"], "parse_bytes", refuse)
    report = ingest([tree], cat, jobs=1)
    assert report.unchanged == 2 and report.updated == [] and report.records_updated == 0
    assert snapshot(cat) == before
    assert cat.files()[str(tree / "a.md")].mtime_ns == (tree / "a.md").stat().st_mtime_ns


def test_deleted_file_without_and_with_prune(tree: Path, catalogue_dir: Path) -> None:
    cat = Catalogue()
    ingest([tree], cat, jobs=1)
    (tree / "sub" / "b.md").unlink()
    report = ingest([tree], cat, jobs=1)
    assert report.stale == [str(tree / "sub/b.md")] and not report.changed
    assert cat.get("https://example.com/b")

    report = ingest([tree], cat, jobs=1, prune=True)
    assert report.pruned == [str(tree / "sub/b.md")] and report.stale == []
    with pytest.raises(Exception, match="no record"):
        cat.get("https://example.com/b")
    assert cat.get("https://other.org/x").parents == (make_id(url="https://example.com/a"),)
    assert str(tree / "sub/b.md") not in cat.files()
    assert cat.check() == []


def test_prune_ignores_files_outside_the_roots(tmp_path: Path, catalogue_dir: Path) -> None:
    write_article(tmp_path / "one" / "a.md", "https://example.com/a", "A")
    write_article(tmp_path / "two" / "b.md", "https://example.com/b", "B")
    cat = Catalogue()
    ingest([tmp_path / "one", tmp_path / "two"], cat, jobs=1)
    (tmp_path / "two" / "b.md").unlink()
    report = ingest([tmp_path / "one"], cat, jobs=1, prune=True)
    assert report.pruned == [] and len(cat) == 2


def test_strict_writes_nothing(tree: Path, catalogue_dir: Path) -> None:
    cat = Catalogue()
    with pytest.raises(IngestFailed, match=r"broken\.md") as info:
        ingest([tree], cat, jobs=1, strict=True)
    assert info.value.report.failed and cat.generation == 0 and list(cat.iter_records()) == []
    (tree / "broken.md").unlink()
    report = ingest([tree], cat, jobs=1, strict=True)
    assert report.exit_code == 0 and report.records_total == 4


def test_missing_root_is_a_usage_error(tmp_path: Path, catalogue_dir: Path) -> None:
    with pytest.raises(UsageError, match="missing") as info:
        ingest([tmp_path / "missing"], Catalogue(), jobs=1)
    assert info.value.exit_code == 2
    assert not catalogue_dir.exists()


def test_locked_catalogue(tree: Path, catalogue_dir: Path) -> None:
    cat = Catalogue()
    with cat.writer(), pytest.raises(LockedError, match="--wait"):
        ingest([tree], Catalogue(), jobs=1)


def many(root: Path, n: int) -> Iterator[Path]:
    for i in range(n):
        yield write_article(root / f"d{i % 7}" / f"{i:04d}.md", f"https://example.com/{i}",
                            f"Story {i}", day=f"2024-0{1 + i % 9}-1{i % 10}",
                            related=[(f"https://other.org/{i % 13}", f"R{i % 13}")])


def test_parallel_batched_run_equals_serial(tmp_path: Path) -> None:
    root = tmp_path / "news"
    list(many(root, 120))
    serial = Catalogue(tmp_path / "serial")
    ingest([root], serial, jobs=1)
    parallel = Catalogue(tmp_path / "parallel")
    report = ingest([root], parallel, jobs=2, batch_size=50)
    assert report.commits == 3 and report.records_total == 133
    assert snapshot(parallel) == snapshot(serial)
    assert parallel.manifest()["providers"] == serial.manifest()["providers"]
    assert parallel.check() == []


@pytest.mark.slow
def test_a_byte_bound_splits_batches_with_the_same_result(tmp_path: Path) -> None:
    """Batches also end once they hold ``batch_bytes`` of parsed text; the catalogue and
    its index are the same as with one batch, and at rest each shard is one plain file."""
    from newsidx.index import SearchIndex
    from newsidx.ingest import index_sync_for
    root = tmp_path / "news"
    list(many(root, 40))
    whole = Catalogue(tmp_path / "whole")
    ingest([root], whole, jobs=1)
    split = Catalogue(tmp_path / "split")
    index = SearchIndex(split.root / "index")
    report = ingest([root], split, jobs=2, batch_bytes=4000,
                    index_sync=index_sync_for(index))
    assert report.commits > 8
    assert index.generation() == split.generation == report.commits
    assert snapshot(split) == snapshot(whole)
    assert split.manifest()["providers"] == whole.manifest()["providers"]
    assert split.files() == whole.files()
    assert split.check() == []
    m = split.manifest()
    assert all(len(e["files"]) == 1 for e in m["shards"].values())
    on_disk = {f"records/{p.name}" for p in (split.root / "records").iterdir()}
    assert on_disk == {e["files"][0] for e in m["shards"].values()}


def test_shared_entries_merge_without_converting_records(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry cited alike by files of several batches is merged on its JSON: its
    stored copy wins and keeps the cited copy's index values, with no record rebuilt."""
    from newsidx.model import from_json

    root = tmp_path / "news"
    for i in range(12):
        write_article(root / f"{i:03d}.md", f"https://example.com/{i}", f"Story {i}",
                      related=[(f"https://other.org/{i % 3}", f"R{i % 3}")])
    whole = Catalogue(tmp_path / "whole")
    ingest([root], whole, jobs=1)
    calls: list[object] = []

    def counting(data: Any) -> Article:
        calls.append(data)
        return from_json(data)

    monkeypatch.setattr("newsidx.batch.from_json", counting)  # merging a record
    monkeypatch.setattr("newsidx.prepared.from_json", counting)  # Prepared.record
    each = Catalogue(tmp_path / "each")
    report = ingest([root], each, jobs=1, batch_size=1)
    assert report.commits == 12 and report.records_updated == 9
    assert calls == []
    assert snapshot(each) == snapshot(whole)
    shared = each.get(make_id(url="https://other.org/1"))
    assert shared.sources == tuple(str(root / f"{i:03d}.md") for i in (1, 4, 7, 10))
    assert each.check() == []


def test_ready_records_match_a_full_merge(tmp_path: Path) -> None:
    """New records take the workers' ready rows as is; they must equal what merging gives.

    One batch per file forces every later copy of an id through the merge path, one batch
    for all keeps most records on the fast path; both give the same catalogue, and every
    record's sources and parents follow the dedup rules."""
    root = tmp_path / "news"
    for i in range(40):
        related = [(f"https://example.com/{(i * 7) % 40}", f"cited {i}"),
                   (f"https://other.org/{i % 5}", f"R{i % 5}")]
        write_article(root / f"{i:03d}.md", f"https://example.com/{i}", f"Story {i}",
                      related=related)
    one = Catalogue(tmp_path / "one")
    ingest([root], one, jobs=2)
    each = Catalogue(tmp_path / "each")
    ingest([root], each, jobs=1, batch_size=1)
    assert snapshot(one) == snapshot(each)
    assert one.check() == []
    for record in one.iter_records():
        states = one.files()
        holders = sorted(p for p, s in states.items() if record.id in s.ids)
        assert sorted(record.sources) == holders
        parents = {states[p].ids[0] for p in holders if states[p].ids[0] != record.id}
        assert record.parents == tuple(sorted(parents))
        if record.kind == "article":
            assert states[record.sources[0]].ids[0] == record.id


def test_worker_built_document_equals_the_index_own() -> None:
    """The index document built from a worker's ready values equals the index's own."""
    from newsidx import indexdoc
    from newsidx.ingest import Prepared

    record = Article(
        id="0123456789abcdef", kind="related", title="MiniMax发布 Zürich", excerpt="東京の天気",
        body="e\u0301 body", published=datetime(2024, 3, 5, 9, 10, tzinfo=timezone.utc),
        provider=Provider("Example News", "Example.com"), topics=("AI", " AI ", "China"),
        sources=("/café.md",), parents=("p",),
    )
    ready = Prepared.of(record)
    assert ready.record() == record
    ours = json.loads(ready.document().text)
    theirs = json.loads(indexdoc.document(record).text)
    expected = indexdoc.record_digest(record)  # the digest of the same content
    assert base64.b64decode(ours.pop("digest")) == base64.b64decode(theirs.pop("digest"))
    assert base64.b64decode(json.loads(indexdoc.document(record).text)["digest"]) == expected
    assert {k: sorted(map(str, v)) for k, v in ours.items()} == {
        k: sorted(map(str, v)) for k, v in theirs.items()
    }
    assert ours["title_x"] == ["MiniMax   Zürich"] and ours["published"]  # what was indexed


def test_a_record_that_only_gains_a_source_keeps_its_index_document(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No index value comes from a record's sources or parents: a related record that a
    new file cites too is updated in the catalogue, not indexed again; one whose title
    changes is; and the index checks out against the catalogue after each."""
    from newsidx import Archive, indexdoc, prepared
    from newsidx.check import check
    from newsidx.index import SearchIndex
    from newsidx.ingest import index_sync_for

    root = tmp_path / "news"
    write_article(root / "a.md", "https://example.com/a", "Alpha",
                  related=[("https://other.org/x", "Xylophone makers")])
    cat = Catalogue(tmp_path / "cat")
    sync = index_sync_for(SearchIndex(cat.root / "index"))
    indexed: list[set[str]] = []

    def recording(catalogue: Catalogue, upserts: Iterable[Prepared], deletes: Sequence[str],
                  generation: int, added: Collection[str] = ()) -> None:
        items = list(upserts)
        indexed.append({p.id for p in items})
        sync(catalogue, items, deletes, generation, added)

    def run() -> set[str]:
        ingest([root], cat, jobs=1, index_sync=recording)
        assert check(cat).problems == []
        return indexed[-1]

    run()
    x = cat.get("https://other.org/x")
    write_article(root / "b.md", "https://example.com/b", "Beta",
                  related=[("https://other.org/x", "Xylophone makers")])
    got = run()
    assert cat.get(x.id).sources == (str(root / "a.md"), str(root / "b.md"))
    assert x.id not in got and cat.get("https://example.com/b").id in got
    write_article(root / "a.md", "https://example.com/a", "Alpha",
                  related=[("https://other.org/x", "Xylophones")])
    bump(root / "a.md")
    write_article(root / "b.md", "https://example.com/b", "Beta",
                  related=[("https://other.org/x", "Xylophones")])
    bump(root / "b.md")
    assert x.id in run()
    assert [h.record.id for h in Archive(cat.root).search("xylophones").hits] == [x.id]
    # a third citing file, later in path order, spells the title otherwise: the stored
    # copy (a.md's) still wins, so the record gains a source and keeps its document
    write_article(root / "c.md", "https://example.com/c", "Gamma",
                  related=[("https://other.org/x", "Xylophones, a history")])
    analysed: list[str] = []
    values = indexdoc.index_values
    monkeypatch.setattr(indexdoc, "index_values", lambda r, *a: analysed.append(r.title)
                        or values(r, *a))
    monkeypatch.setattr(prepared, "index_values", indexdoc.index_values)
    assert x.id not in run()
    assert analysed.count("Xylophones, a history") == 1  # c.md's copy, parsed
    assert "Xylophones" not in analysed  # the stored copy's values are not made again
    assert cat.get(x.id).title == "Xylophones"
    assert cat.get(x.id).sources == tuple(str(root / n) for n in ("a.md", "b.md", "c.md"))
    assert [h.record.id for h in Archive(cat.root).search("xylophones").hits] == [x.id]
    assert Archive(cat.root).search("history").hits == ()


def test_a_restored_record_builds_its_document_only_when_asked() -> None:
    """A stored record written again with new sources carries no index values; when
    grouping gives it a story, its document is built from its line, as the index's own,
    and checks out against the record read back, even from a line of an earlier version
    (without the keys added since)."""
    from newsidx import indexdoc
    from newsidx.storyrun import with_story

    record = Article(id="0123456789abcdef", kind="related", title="Tunnel vote", sources=("/a",))
    ready = Prepared.restored(record, to_json(record))
    assert ready.values is None and ready.record() == record
    assert ready.document() == indexdoc.document(record)
    grouped = with_story(ready, "s1")
    story = dataclasses.replace(record, story="s1")
    assert json.loads(grouped.document().text) == json.loads(indexdoc.document(story).text)

    old = to_json(record)
    for key in ("authors", "lang", "folder", "date_source"):
        del old[key]
    again = with_story(Prepared.restored(from_json(old), to_json(from_json(old))), "s1")
    digest = json.loads(again.document().text)["digest"]
    assert base64.b64decode(digest) == indexdoc.record_digest(again.record())
