"""What one commit's grouping reads of the story tables: only what its records can reach,
looked up in SQL, and matched as if the whole state were held (newsidx.storystate)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from test_stories import BODY, _rec

from newsidx import stories, storystate
from newsidx.stories import Grouper, _create

ORCHESTRA = ("The city orchestra named Ilse Varga its principal conductor, ending a "
             "two-year search that drew applicants from twelve countries.")


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    _create(db)
    return db


def _undated(rec: dict[str, Any]) -> dict[str, Any]:
    return {**rec, "published": None}


def test_a_copy_by_text_is_looked_for_within_its_window_whatever_else_a_commit_reaches(
        ) -> None:
    grouper = Grouper(_db())
    grouper.assign([("a", _rec("a", "Council approves Harbourview tunnel",
                               domain="one.example", body=BODY))])
    got = grouper.assign([
        # the same text six weeks later: past the copy window of a's day ...
        ("b", _rec("b", "Council approves Harbourview tunnel", domain="two.example",
                   body=BODY + " Updated.", day="2024-06-20")),
        # ... though another record of the commit is dated next to a
        ("c", _rec("c", "Orchestra names new conductor", domain="three.example",
                   body=ORCHESTRA, day="2024-05-08"))])
    assert got == {"b": "b", "c": "c"}
    near = grouper.assign([("d", _rec("d", "Council approves Harbourview tunnel",
                                      domain="four.example", body=BODY + " Corrected.",
                                      day="2024-05-12"))])
    assert near == {"d": "a"}  # within 7 days: a copy


def test_an_undated_record_finds_a_dated_story_by_its_distinctive_terms_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    coverage = _undated(_rec("b", "Harbourview tunnel approved by Dunmere council",
                             domain="two.example"))
    first = _rec("a", "Council approves Harbourview tunnel", domain="one.example", body=BODY)
    grouper = Grouper(_db())
    grouper.assign([("a", first)])
    assert grouper.assign([("b", coverage)]) == {"b": "a"}
    # the same words found in more records than DISTINCTIVE find nothing at any date:
    # an undated record never reads every story of a common word
    monkeypatch.setattr(stories, "DISTINCTIVE", 0)
    grouper = Grouper(_db())
    grouper.assign([("a", first)])
    assert grouper.assign([("b", coverage)]) == {"b": "b"}


def test_a_commit_holds_only_the_stories_and_signatures_its_records_reach(
        monkeypatch: pytest.MonkeyPatch) -> None:
    grouper = Grouper(_db())
    words = ["Quillon", "Barrowmere", "Festwick", "Ondrala", "Tavistrel", "Mireth",
             "Calloway", "Dunstable", "Pellinor", "Vashti", "Orrin", "Selkie"]
    others = [_rec(f"o{i}", f"{w} {v} festival opens", domain=f"d{i}.example",
                   body=f"The {w} festival opened with {v} players from {i + 3} towns, "
                        f"organisers said, and runs through the weekend at {w} park.",
                   day=f"2024-05-{1 + i % 28:02d}")
              for i, (w, v) in enumerate((w, v) for w in words for v in words if w != v)]
    grouper.assign([(r["id"], r) for r in others])
    grouper.assign([("a", _rec("a", "Council approves Harbourview tunnel",
                               domain="one.example", body=BODY))])
    held: list[tuple[int, int]] = []
    real = storystate.StoryState.load

    def counted(self: storystate.StoryState, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        held.append((len(self.stories), len(self.sigs)))

    monkeypatch.setattr(storystate.StoryState, "load", counted)
    got = grouper.assign([("b", _rec("b", "Harbourview tunnel approved by Dunmere council",
                                     domain="two.example", body=BODY + " Updated."))])
    assert got == {"b": "a"}
    assert held == [(1, 1)]  # a's story and signature, none of the 132 festivals'


def test_a_deleted_record_leaves_no_signature_or_band_rows() -> None:
    db = _db()
    grouper = Grouper(db)
    grouper.assign([("a", _rec("a", "Council approves Harbourview tunnel",
                               domain="one.example", body=BODY)),
                    ("c", _rec("c", "Orchestra names new conductor", domain="three.example",
                               body=ORCHESTRA))])

    def rows(table: str) -> set[str]:
        return {r[0] for r in db.execute(f"SELECT id FROM {table}")}

    assert rows("story_bands") == rows("story_sigs") == {"a", "c"}
    grouper.forget(["a"])
    assert rows("story_bands") == rows("story_sigs") == {"c"}
    again = grouper.assign([("b", _rec("b", "Council approves Harbourview tunnel",
                                       domain="two.example", body=BODY + " Updated."))])
    assert again == {"b": "a"}  # a's story is found by its terms, not by a's signature


def test_term_keys_are_signed_64_bit_and_the_same_in_every_process() -> None:
    import subprocess
    import sys

    words = ["harbourview", "Dunmere", "342", "文字", "x\udcff"]
    here = [storystate.term_key(w) for w in words]
    assert all(-(2**63) <= k < 2**63 for k in here)
    assert len(set(here)) == len(here)
    there = subprocess.run(
        [sys.executable, "-c", "import sys; from newsidx.storystate import term_key; "
         f"print([term_key(w) for w in {words!r}])"],
        capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "7"}).stdout
    assert there.strip() == repr(here)
