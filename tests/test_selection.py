"""Only articles: files skipped by name, content and layout; ignore files; --include/--exclude.

The site tree is written by each test; the CLI runs through :mod:`clirun`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import clirun
import pytest

from newsidx.catalogue import Catalogue
from newsidx.selection import Selection, name_reason
from newsidx.walk import walk

POST = "---\ntitle: {title}\ndate: 2024-05-01\n---\n{body}\n"


def cli(*args: str, code: int = 0) -> clirun.Done:
    done = clirun.newsidx(*args)
    assert done.returncode == code, (done.stdout, done.stderr)
    return done


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def titles(catalogue_dir: Path) -> set[str]:
    return {r.title for r in Catalogue(catalogue_dir).iter_records()}


@pytest.mark.parametrize("name", [
    "LICENSE", "license.md", "LICENCE.txt", "COPYING", "README.TXT", "readme.md",
    "CHANGELOG.md", "Changes", "CONTRIBUTING.rst", "PROVENANCE.md", "LICENSE-APACHE",
    "CODE_OF_CONDUCT.md", "_index.md", "_index.en.md", ".gitignore",
])
def test_project_files_are_not_articles_by_name(name: str) -> None:
    reason = name_reason(name)
    assert reason is not None and reason.startswith("not an article")


@pytest.mark.parametrize("name", ["licensing-deal.md", "readmission.md", "index.md",
                                  "2024-05-01-changes-at-the-top.md", "news.md"])
def test_article_names_are_kept(name: str) -> None:
    assert name_reason(name) is None


def site(root: Path) -> None:
    write(root, "posts/2024-05-01-real.md", POST.format(title="Real post", body="Words."))
    write(root, "posts/index.md", "---\ntitle: Posts\n---\n")
    write(root, "posts/_index.md", "---\ntitle: Section\n---\nSection intro text.\n")
    write(root, "tags.md", "---\ntitle: All tags\nlayout: tags\n---\nA list.\n")
    write(root, "LICENSE", "MIT License\n\nTHE SOFTWARE IS PROVIDED WITHOUT WARRANTY\n")
    write(root, "README.md", "# My blog\n\nHow to build it.\n")
    write(root, "assets/chart.svg",
          '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\n')
    write(root, "assets/app.js", "function f() { return 1; }\n")
    write(root, "assets/site.css", "body { color: red; }\n")
    write(root, "sitemap.xml", '<?xml version="1.0"?>\n<urlset><url/></urlset>\n')
    write(root, "assets/figure.html", '<figure><img src="a.png"></figure>\n')


def test_site_ingest_keeps_only_articles_with_reasons(tmp_path: Path,
                                                      catalogue_dir: Path) -> None:
    site(tmp_path / "site")
    done = cli("ingest", str(tmp_path / "site"), "--format", "json")
    assert titles(catalogue_dir) == {"Real post"}
    report = json.loads(done.stdout)
    reasons = {Path(f["path"]).name: f["reason"] for f in report["skipped_files"]}
    assert set(reasons) == {"index.md", "_index.md", "tags.md", "LICENSE", "README.md",
                            "chart.svg", "app.js", "site.css", "sitemap.xml", "figure.html"}
    assert all(r.startswith("not an article") for r in reasons.values())
    assert "svg" in reasons["chart.svg"].lower()
    assert sum(report["skipped_reasons"].values()) == 10
    text = cli("ingest", str(tmp_path / "site")).stdout
    assert "10 skipped (10 not an article)" in text


def test_a_feed_is_not_skipped_as_xml(tmp_path: Path) -> None:
    from newsidx.notarticle import sniff

    feed = b'<?xml version="1.0"?>\n<rss version="2.0"><channel></channel></rss>\n'
    assert sniff(feed, "feed.xml") is None
    assert sniff(b"---\ntitle: x\n---\n", "post.js") is None  # content decides


def test_a_record_already_stored_goes_when_its_file_is_known_not_an_article(
        tmp_path: Path, catalogue_dir: Path) -> None:
    from newsidx.ingest import ingest

    root = tmp_path / "site"
    write(root, "post.md", POST.format(title="Kept", body="x"))
    ingest([root], Catalogue(catalogue_dir))
    write(root, "COPYING", "Copying terms\n")
    cat = Catalogue(catalogue_dir)
    with cat.writer() as writer:  # as an older newsidx stored it
        from newsidx.model import Article
        from newsidx.store import FileState

        st = os.stat(root / "COPYING")
        rec = Article(id="00000000000000aa", kind="article", title="Copying terms",
                      sources=(str(root / "COPYING"),))
        writer.commit(upserts=[rec], deletes=(),
                      files={str(root / "COPYING"): FileState(st.st_size, st.st_mtime_ns,
                                                              "0" * 64, (rec.id,))})
    assert "Copying terms" in titles(catalogue_dir)
    cli("ingest", str(root))
    assert "Copying terms" not in titles(catalogue_dir)
    assert "Kept" in titles(catalogue_dir)


def test_gitignore_and_ignore_files_are_honoured(tmp_path: Path, catalogue_dir: Path) -> None:
    root = tmp_path / "site"
    write(root, ".gitignore", "drafts/\n*.tmp.md\n")
    write(root, "posts/.ignore", "private-*.md\n!private-ok.md\n")
    write(root, "posts/a.md", POST.format(title="A", body="a"))
    write(root, "posts/private-x.md", POST.format(title="Private X", body="x"))
    write(root, "posts/private-ok.md", POST.format(title="Private ok", body="x"))
    write(root, "posts/b.tmp.md", POST.format(title="Temp", body="x"))
    write(root, "drafts/d.md", POST.format(title="Draft", body="x"))
    done = cli("ingest", str(root))
    assert titles(catalogue_dir) == {"A", "Private ok"}
    assert "ignored" in done.stdout
    cli("ingest", str(root), "--no-ignore")
    assert titles(catalogue_dir) == {"A", "Private ok", "Private X", "Temp", "Draft"}


def test_include_exclude_and_prune(tmp_path: Path, catalogue_dir: Path) -> None:
    root = tmp_path / "site"
    write(root, "en/a.md", POST.format(title="English", body="a"))
    write(root, "de/a.md", POST.format(title="Deutsch", body="a"))
    write(root, "en/notes.txt", "Plain note\n\nbody\n")
    cli("ingest", str(root))
    assert titles(catalogue_dir) == {"English", "Deutsch", "Plain note"}
    done = cli("ingest", str(root), "--exclude", "de/")
    assert "stale" in done.stderr and "1 stale" in done.stdout
    assert titles(catalogue_dir) == {"English", "Deutsch", "Plain note"}
    cli("ingest", str(root), "--exclude", "de/", "--prune")
    assert titles(catalogue_dir) == {"English", "Plain note"}
    cli("ingest", str(root), "--include", "*.md", "--prune")
    assert titles(catalogue_dir) == {"English", "Deutsch"}
    assert "--prune" in cli("ingest", "--help").stdout


def test_walk_does_not_enter_an_ignored_folder(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "node_modules/\n")
    write(tmp_path, "node_modules/x/y.md", "x\n")
    write(tmp_path, "post.md", "x\n")
    entries = list(walk([tmp_path], select=Selection().for_root))
    skipped = {Path(e.path).name: e.skipped for e in entries if e.skipped}
    assert "node_modules" in skipped and "y.md" not in skipped
    assert [Path(e.path).name for e in entries if e.skipped is None] == ["post.md"]
    assert Selection().left_out(str(tmp_path / "node_modules/x/y.md"), [str(tmp_path)])


def test_the_nearest_ignore_rule_wins_three_hundred_folders_down(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.tmp\n")
    deep = tmp_path.joinpath(*["d"] * 300)
    deep.mkdir(parents=True)
    (deep / ".ignore").write_text("!keep.tmp\n")
    for name in ("post.md", "scratch.tmp", "keep.tmp"):
        (deep / name).write_text("# t\n\nbody\n")
    entries = {os.path.basename(e.path): e.skipped
               for e in walk([tmp_path], select=Selection().for_root)}
    assert entries["post.md"] is None and entries["keep.tmp"] is None
    assert entries["scratch.tmp"] is not None and ".gitignore" in entries["scratch.tmp"]
