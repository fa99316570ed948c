"""Stories at ingest: copies and coverage of one event share a story id, kept for good."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsidx.stories import Grouper, _create

BODY = ("The regional council approved the Harbourview tunnel on Tuesday after nine "
        "years of debate, committing 4.2 billion to a crossing under the Tamsin estuary. "
        "Construction starts next spring and the first trains are due in 2031, the "
        "council's transport chair, Orla Brennagh, told reporters in Dunmere.")


def _rec(rid: str, title: str, *, domain: str, day: str = "2024-05-07", body: str = "",
         excerpt: str = "", url: str | None = None, amp: str | None = None) -> dict[str, Any]:
    return {"id": rid, "kind": "article", "title": title, "excerpt": excerpt, "body": body,
            "published": f"{day}T09:00:00Z", "provider": {"name": None, "domain": domain},
            "url": url or f"https://{domain}/{rid}", "amp_url": amp}


def _group(*records: dict[str, Any], db: sqlite3.Connection | None = None) -> dict[str, str]:
    db = db or sqlite3.connect(":memory:", isolation_level=None)
    _create(db)
    return Grouper(db).assign([(r["id"], r) for r in records])


def test_copies_by_url_variant_and_by_text() -> None:
    a = _rec("a", "Council approves Harbourview tunnel", domain="one.example", body=BODY)
    amp = _rec("b", "Tunnel vote", domain="two.example", url="https://two.example/x",
               amp="https://one.example/a")  # its AMP address is a's URL
    wire = _rec("c", "Council approves Harbourview tunnel", domain="three.example",
                body=BODY + " Updated.")
    other = _rec("d", "Orchestra names new conductor", domain="four.example",
                 body="The city orchestra named Ilse Varga its principal conductor, "
                      "ending a two-year search that drew applicants from twelve countries.")
    got = _group(a, amp, wire, other)
    assert got["a"] == got["b"] == got["c"]
    assert got["d"] != got["a"]


def test_coverage_of_one_event_joins_within_the_window_only() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    filler = [_rec(f"f{i}", title, domain=f"filler{i}.example")
              for i, title in enumerate([
                  "Gardeners race to save rare orchids", "Rovers sign Brazilian striker",
                  "Heatwave expected by the weekend", "Mayor calls early election",
                  "Jazz festival sells out in hours", "Chefs rethink the school lunch",
                  "Night trains return to the coast", "Teachers vote on pay offer"])]
    first = _group(*filler, _rec("a", "Harbourview tunnel approved by Dunmere council",
                                 domain="one.example"), db=db)
    # A later commit: a second outlet the next day joins; the same words a month on do not.
    later = _group(_rec("b", "Dunmere council approves Harbourview tunnel",
                        domain="two.example", day="2024-05-08"),
                   _rec("c", "Dunmere council approves Harbourview tunnel",
                        domain="three.example", day="2024-06-20"), db=db)
    assert later["b"] == first["a"] == "a"
    assert later["c"] != "a"
    assert len({first[f["id"]] for f in filler}) == len(filler)


def test_provider_boilerplate_does_not_make_copies() -> None:
    stock = ("Korte updates over sterren en bekende Nederlanders, elke dag opnieuw bijgewerkt "
             "door onze redactie. Lees hier alles over het laatste nieuws en de roddels.")
    items = [_rec(f"n{i}", title, domain="ad.example", excerpt=stock)
             for i, title in enumerate(["Zangeres Mila trouwt in Toscane",
                                        "Acteur Bram opent restaurant in Utrecht",
                                        "Presentatrice Noor krijgt tweede kind",
                                        "Rapper Sem stopt met optreden"])]
    got = _group(*items)
    assert len(set(got.values())) == len(items)


def test_a_known_record_keeps_its_story() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    a = _rec("a", "Harbourview tunnel approved", domain="one.example", body=BODY)
    first = _group(a, db=db)
    again = _group(dict(a, title="Harbourview tunnel approved, updated"), db=db)
    assert first == again == {"a": "a"}


def _cli(*args: str, catalogue: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NEWSIDX_CATALOGUE=str(catalogue))
    return subprocess.run([sys.executable, "-m", "newsidx", *args], capture_output=True,
                          text=True, env=env, check=False)


def _stories(catalogue: Path) -> dict[str, str]:
    out = _cli("list", "--limit", "0", "--format", "jsonl", catalogue=catalogue)
    assert out.returncode == 0, out.stderr
    return {d["id"]: d["story"] for d in map(json.loads, out.stdout.splitlines())}


def _article(path: Path, title: str, url: str, body: str) -> None:
    path.write_text(f"---\ntitle: {title}\nurl: {url}\npublished: 2024-05-07T09:00:00Z\n"
                    f"provider: {url.split('/')[2]}\n---\n{body}\n", encoding="utf-8")


@pytest.mark.slow  # a few seconds of whole ingests: run by .ci/run's full suite
def test_every_record_carries_a_stable_story_end_to_end(seeds: Path, tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert _cli("ingest", "--stories", str(seeds), catalogue=cat).returncode == 0
    before = _stories(cat)
    assert before and all(before.values())
    assert set(before.values()) <= set(before)  # a story is named by one of its records
    for path in seeds.iterdir():  # touched, not changed: read again, regrouped never
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert _cli("ingest", "--stories", str(seeds), catalogue=cat).returncode == 0
    assert _stories(cat) == before
    story = next(iter(before.values()))
    found = _cli("search", "--all-copies", f"story:{story}", "--limit", "0", "--format", "jsonl",
                 catalogue=cat)
    assert found.returncode == 0, found.stderr
    members = {d["id"] for d in map(json.loads, found.stdout.splitlines())}
    assert members == {rid for rid, s in before.items() if s == story}
    shown = _cli("show", story, "--format", "json", catalogue=cat)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["story"] == story
    plain = _cli("show", story, catalogue=cat)
    assert plain.returncode == 0, plain.stderr
    assert any(line.split()[:2] == ["story", story] or line.split()[:2] == ["story:", story]
               for line in plain.stdout.splitlines()), plain.stdout


@pytest.mark.slow  # a few seconds of whole ingests: run by .ci/run's full suite
def test_a_later_copy_joins_the_stored_story(tmp_path: Path) -> None:
    cat, src = tmp_path / "cat", tmp_path / "src"
    src.mkdir()
    _article(src / "a.md", "Council approves Harbourview tunnel",
             "https://one.example/tunnel", BODY)
    assert _cli("ingest", "--stories", str(src), catalogue=cat).returncode == 0
    first = _stories(cat)
    _article(src / "b.md", "Council approves Harbourview tunnel",
             "https://wire.example/tunnel-copy", BODY)
    assert _cli("ingest", "--stories", str(src), catalogue=cat).returncode == 0
    after = _stories(cat)
    assert len(after) == 2
    assert set(after.values()) == set(first.values())  # one story, the first one's id


def _seed_stories(catalogue: Path) -> dict[str, set[str]]:
    """story -> the titles of its members."""
    out = _cli("list", "--limit", "0", "--format", "jsonl", catalogue=catalogue)
    assert out.returncode == 0, out.stderr
    groups: dict[str, set[str]] = {}
    for d in map(json.loads, out.stdout.splitlines()):
        groups.setdefault(d["story"], set()).add(d["title"])
    return groups


def test_the_seeds_make_exactly_three_stories(seeds: Path, tmp_path: Path) -> None:
    cat = tmp_path / "cat"
    assert _cli("ingest", "--stories", str(seeds), catalogue=cat).returncode == 0
    groups = [g for g in _seed_stories(cat).values() if len(g) > 1]
    by_name = {name: [g for g in groups if all(name in t or name.lower() in t.lower() or
                                                 "Alibaba" in t for t in g)]
               for name in ("MiniMax", "Baichuan", "Zhipu")}
    sizes = sorted(len(g) for g in groups)
    assert sizes == [3, 3, 6]
    zhipu = next(g for g in groups if len(g) == 6)
    assert sum("Zhipu" in t for t in zhipu) >= 5  # one title says "start-up Zhipu A..."
    assert not any("Baichuan" in t or "MiniMax" in t for t in zhipu)
    baichuan = next(g for g in groups if len(g) == 3 and any("Baichuan" in t for t in g))
    assert all("Baichuan" in t for t in baichuan)
    minimax = next(g for g in groups if len(g) == 3 and g != baichuan)
    assert not any("Zhipu" in t or "Baichuan" in t for t in minimax)
    assert not any("chip" in t for g in groups for t in g)  # the FT piece stands alone
    assert by_name  # every story was looked at by name above


def _story_generation(catalogue: Path) -> int | None:
    db = sqlite3.connect(catalogue / "state.db")
    try:
        row = db.execute("SELECT value FROM story_meta WHERE key = 'generation'").fetchone()
    finally:
        db.close()
    return int(row[0]) if row else None


def test_the_story_state_never_leads_the_catalogue(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Grouping is written in the bookkeeping transaction: a commit that fails before its
    manifest leaves the story state as it was, and a state out of step with the manifest
    is rebuilt from the shards (every record's story is in its line) without renaming."""
    from newsidx.api import Archive
    from newsidx.store import writer as writer_module

    cat, src = tmp_path / "cat", tmp_path / "src"
    src.mkdir()
    _article(src / "a.md", "Council approves Harbourview tunnel",
             "https://one.example/tunnel", BODY)
    Archive(cat).ingest([src], stories=True)
    first = _stories(cat)
    generation = json.loads((cat / "catalogue.json").read_text())["generation"]
    assert _story_generation(cat) == generation

    _article(src / "b.md", "Council approves Harbourview tunnel",
             "https://wire.example/tunnel-copy", BODY)
    real = writer_module.atomic_write

    def failing(path: Path, chunks: Any) -> None:
        if Path(path).name == "catalogue.json":
            raise OSError("disk full")
        real(path, chunks)

    monkeypatch.setattr(writer_module, "atomic_write", failing)
    with pytest.raises(Exception):  # noqa: B017 - whatever the ingest makes of it
        Archive(cat).ingest([src], stories=True)
    monkeypatch.undo()
    assert _story_generation(cat) == generation  # rolled back with the bookkeeping
    assert _stories(cat) == first

    db = sqlite3.connect(cat / "state.db")  # as a crash after the manifest would leave it
    with db:
        db.execute("UPDATE story_meta SET value = value - 1 WHERE key = 'generation'")
        db.execute("DELETE FROM story_members")
    db.close()
    Archive(cat).ingest([src], stories=True)
    after = _stories(cat)
    assert after[next(iter(first))] == first[next(iter(first))]
    assert len(set(after.values())) == 1  # the copy found the rebuilt story
    assert _story_generation(cat) == json.loads(
        (cat / "catalogue.json").read_text())["generation"]


def test_fold_drops_every_combining_mark_as_the_per_character_test_does() -> None:
    import unicodedata

    from newsidx.storytext import fold

    text = "Zürich’s Åsa “Crème brûlée” İstanbul ﬁnal Ελλάδα नमस्ते 中文 " + "".join(
        chr(i) for i in range(0x300, 0x3000) if not 0xD800 <= i < 0xE000)
    lowered = unicodedata.normalize("NFKD", text.lower())
    assert fold(text) == "".join(c for c in lowered if not unicodedata.combining(c))
    assert fold("Zürich") == fold("zurich") == "zurich"


def test_a_story_is_written_into_a_line_as_the_catalogue_spells_lines() -> None:
    from newsidx.model import Article
    from newsidx.prepared import Prepared
    from newsidx.store.layout import dump_line, record_line
    from newsidx.storyrun import with_story

    fresh = Prepared.of(Article(id="abc", kind="article", title="Tunnel é"))
    ready = with_story(fresh, "s1")
    data = json.loads(ready.row.line)
    assert data["story"] == "s1" and ready.row.line == record_line(data)
    assert ready.story_id == "s1" and json.loads(ready.document().text)["story"] == "s1"
    # a line stored before null values were left out, and one already in another story
    old = dump_line(json.loads(fresh.row.line) | {"lang": None, "story": None})
    for line in (old, ready.row.line):
        moved = with_story(fresh._replace(row=fresh.row._replace(line=line)), "s2")
        data = json.loads(moved.row.line)
        assert data["story"] == "s2"
        assert {k: v for k, v in data.items() if k != "story"} == \
            {k: v for k, v in json.loads(line).items() if k != "story"}


def test_names_are_the_capitalised_words_and_amounts_spelled_as_words_does() -> None:
    from newsidx import storytext as st

    text = "Zürich's ﬁrm raised $342M from Ｔencent and iPhone makers, 4,5 mld."
    assert st.names(text) == ["zurich", "342", "tencent", "45"]
    assert set(st.names(text)) <= set(st.words(text))
    assert st.names("no names here, none at all") == []


def test_terms_are_the_titles_words_and_the_excerpts_names_only() -> None:
    from newsidx import storytext as st

    excerpt = [st.names("Flooding closed Harbourview tunnel after storms hit Zürich.")]
    got = st.terms(st.words("Council shuts tunnel"), excerpt, frozenset())
    assert got == {"council": st.TITLE_WEIGHT, "shuts": st.TITLE_WEIGHT,
                   "tunnel": st.TITLE_WEIGHT, "harbourview": st.NAME_WEIGHT,
                   "flood": st.NAME_WEIGHT, "zurich": st.NAME_WEIGHT}
    # the excerpt's plain words (closed, storms, hit) weigh nothing: no count, no room


def test_a_long_body_is_read_to_a_bounded_prefix_only() -> None:
    from newsidx import storytext as st
    from newsidx.storyprep import prepare

    long_body = " ".join([BODY] * 40)
    a = _rec("a", "Council approves Harbourview tunnel", domain="one.example",
             body=long_body + " Entirely different closing words about cricket scores.")
    b = _rec("b", "Council approves Harbourview tunnel", domain="two.example",
             body=long_body + " A reader's letter on parking fees, at length.")
    assert len(long_body) > 5 * st.BODY_PREFIX
    assert prepare(a).sig == prepare(b).sig  # what differs lies past the prefix
    got = _group(a, b)
    assert got["a"] == got["b"]


def test_loose_words_spell_copies_alike() -> None:
    from newsidx.storytext import loose

    assert loose("“Tunnel” approved, (finally)!  Costs: $4.2bn…") == [
        "tunnel", "approved", "finally", "costs", "4.2bn"]
    assert loose(" -- ") == []
    assert loose("One two, three four five.", 3) == ["one", "two", "three"]


def test_sentence_keys_are_signed_64_bit_and_stable_across_processes() -> None:
    from newsidx.storytext import loose, sentence_key

    words = loose("The council approved the Harbourview tunnel on Tuesday.")
    key = sentence_key("one.example", words)
    assert -(2**63) <= key < 2**63
    assert key != sentence_key("two.example", words)  # a provider's own sentences
    assert key != sentence_key("one.example", words[1:])
    code = ("from newsidx.storytext import loose, sentence_key; print(sentence_key("
            "'one.example', loose('The council approved the Harbourview tunnel on Tuesday.')))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": "7"})
    assert int(other.stdout) == key
    keys = {sentence_key("p", [f"w{i}", "x"]) for i in range(5000)}
    assert len(keys) == 5000 and min(keys) < 0 < max(keys)  # spread over the signed range


def _tunnel_files(src: Path) -> None:
    src.mkdir()
    _article(src / "a.md", "Council approves Harbourview tunnel",
             "https://one.example/tunnel", BODY)
    _article(src / "b.md", "Harbourview tunnel gets the go-ahead",
             "https://wire.example/copy", BODY)  # a copy by its text
    _article(src / "c.md", "Orchestra names new conductor", "https://four.example/music",
             "The city orchestra named Ilse Varga its principal conductor, ending a "
             "two-year search that drew applicants from twelve countries.")


def test_a_run_keeps_its_grouper_across_commits_and_groups_as_one_commit_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsidx import stories
    from newsidx.catalogue import Catalogue
    from newsidx.ingest import ingest

    src = tmp_path / "src"
    _tunnel_files(src)
    made: list[object] = []
    real = stories.Grouper.__init__

    def counting(self: stories.Grouper, db: sqlite3.Connection) -> None:
        made.append(self)
        real(self, db)

    monkeypatch.setattr(stories.Grouper, "__init__", counting)
    each = Catalogue(tmp_path / "each")
    report = ingest([src], each, jobs=1, batch_size=1, stories=True)
    assert report.commits == 3
    assert len(made) == 1  # read once, then held for the run's later commits
    whole = Catalogue(tmp_path / "whole")
    ingest([src], whole, jobs=1, stories=True)
    def groups(cat: Catalogue) -> set[frozenset[str]]:
        out: dict[str, set[str]] = {}
        for r in cat.iter_records():
            out.setdefault(str(r.story), set()).add(str(r.title))
        return {frozenset(g) for g in out.values()}

    # the ids may differ (a story is named by the first record it meets), the groups not
    assert groups(each) == groups(whole) == {
        frozenset({"Council approves Harbourview tunnel", "Harbourview tunnel gets the go-ahead"}),
        frozenset({"Orchestra names new conductor"})}


def test_a_held_grouper_answers_as_one_reading_the_tables_does() -> None:
    first = [_rec("a", "Council approves Harbourview tunnel", domain="one.example", body=BODY),
             _rec("o", "Orchestra names new conductor", domain="four.example")]
    later = [_rec("b", "Harbourview tunnel approved by Dunmere council", domain="two.example",
                  day="2024-05-08"),
             _rec("c", "Tunnel news", domain="three.example", body=BODY + " Updated.",
                  day="2024-05-12")]
    held_db = sqlite3.connect(":memory:", isolation_level=None)
    _create(held_db)
    held = Grouper(held_db)
    held.assign([(r["id"], r) for r in first])
    kept = held.assign([(r["id"], r) for r in later])
    fresh_db = sqlite3.connect(":memory:", isolation_level=None)
    _group(*first, db=fresh_db)
    assert kept == _group(*later, db=fresh_db) == {"b": "a", "c": "a"}
    tables = ("stories", "story_members", "story_urls", "story_sigs", "story_df",
              "story_boiler")
    for table in tables:
        rows = f"SELECT * FROM {table} ORDER BY 1"
        assert held_db.execute(rows).fetchall() == fresh_db.execute(rows).fetchall(), table


@pytest.mark.slow  # a few seconds of whole ingests: run by .ci/run's full suite
def test_a_state_of_an_older_schema_is_rebuilt(tmp_path: Path) -> None:
    cat, src = tmp_path / "cat", tmp_path / "src"
    _tunnel_files(src)
    assert _cli("ingest", "--stories", str(src), catalogue=cat).returncode == 0
    before = _stories(cat)
    db = sqlite3.connect(cat / "state.db")
    with db:  # as schema 7 left it (no key or band rows), with a schema-3 table beside
        db.execute("UPDATE story_meta SET value = 7 WHERE key = 'schema'")
        db.execute("DROP TABLE story_keys")
        db.execute("DROP TABLE story_bands")
        db.execute("CREATE TABLE story_terms (term TEXT, story TEXT)")
    db.close()
    _article(src / "e.md", "Harbourview tunnel, the vote", "https://five.example/t", BODY)
    assert _cli("ingest", "--stories", str(src), catalogue=cat).returncode == 0
    after = _stories(cat)
    assert {k: after[k] for k in before} == before
    assert len(after) == len(before) + 1
    assert set(after.values()) == set(before.values())  # e joined the tunnel's story
    db = sqlite3.connect(cat / "state.db")
    try:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        keys = db.execute("SELECT count(DISTINCT story) FROM story_keys").fetchone()[0]
        bands = db.execute("SELECT count(DISTINCT id) FROM story_bands").fetchone()[0]
        sigs = db.execute("SELECT count(*) FROM story_sigs").fetchone()[0]
    finally:
        db.close()
    assert "story_terms" not in names
    assert keys == len(set(after.values()))  # every story is found by its terms again
    assert bands == sigs > 0


def test_each_commit_reads_what_it_reaches_from_the_tables() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    _create(db)
    grouper = Grouper(db)
    grouper.assign([("a", _rec("a", "Council approves Harbourview tunnel",
                                domain="one.example", body=BODY))])
    assert grouper._state is None  # nothing held between commits: memory is bounded
    later = grouper.assign([
        ("b", _rec("b", "Tunnel news", domain="two.example", body=BODY + " Updated.",
                   day="2024-05-09")),
        ("c", _rec("c", "Harbourview tunnel approved by Dunmere council",
                   domain="three.example", day="2024-05-08"))])
    assert later == {"b": "a", "c": "a"}


def test_a_first_ingest_matched_as_records_arrive_writes_nothing_before_its_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsidx import stories, storyrun
    from newsidx.catalogue import Catalogue
    from newsidx.ingest import ingest

    src = tmp_path / "src"
    _tunnel_files(src)
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    for seed in seeds.iterdir():
        (src / seed.name).write_bytes(seed.read_bytes())
    ahead: list[int] = []
    real = stories.Grouper.preassign

    def checked(self: stories.Grouper, records: Any) -> None:
        assert not self.db.in_transaction  # outside the commit: nothing may be written
        real(self, records)
        assert not self.db.in_transaction
        members = self.db.execute("SELECT count(*) FROM story_members").fetchone()[0]
        assert members == 0  # matched in memory only, until the commit writes it
        ahead.append(len(records))

    monkeypatch.setattr(stories.Grouper, "preassign", checked)
    monkeypatch.setattr(storyrun, "PRE_CHUNK", 2)
    early = Catalogue(tmp_path / "early")
    ingest([src], early, jobs=1, stories=True)
    assert sum(ahead) >= 10  # most records were matched before the commit
    monkeypatch.setattr(storyrun, "PRE_CHUNK", 10**9)
    at_commit = Catalogue(tmp_path / "at-commit")
    ingest([src], at_commit, jobs=1, stories=True)

    def groups(cat: Catalogue) -> set[frozenset[str]]:
        out: dict[str, set[str]] = {}
        for r in cat.iter_records():
            out.setdefault(str(r.story), set()).add(r.id)
        return {frozenset(g) for g in out.values()}

    assert groups(early) == groups(at_commit)
    assert sorted(map(len, groups(early)), reverse=True)[:4] == [6, 3, 3, 2]
    with sqlite3.connect(tmp_path / "early" / "state.db") as db:
        written = db.execute("SELECT count(*) FROM story_members").fetchone()[0]
    assert written == len(list(early.iter_records()))
