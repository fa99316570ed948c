"""What the command line says besides its results: notes on stderr, the ingest summary,
JSON envelopes, the terminal width, ``--max-size`` values.

Kept apart from the click commands (:mod:`newsidx.cli`), the record renderers
(:mod:`newsidx.render`) and the progress bar (:mod:`newsidx.cli.progress`).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from newsidx.safetext import escape_name, json_escape

if TYPE_CHECKING:
    from newsidx.check import CheckReport
    from newsidx.ingest import IngestReport
    from newsidx.jsonl import JsonlResult
    from newsidx.model import Article

FORMAT_VERSION = 1
_SIZE = r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$"  # compiled only by ingest


def note(message: str) -> None:
    """One ``newsidx: ...`` line on stderr, unsafe characters escaped."""
    sys.stderr.write(f"newsidx: {escape_name(message)}\n")
    sys.stderr.flush()


def size_bytes(text: str) -> int:
    """``10M``, ``512k``, ``1.5G`` or a plain byte count as bytes (powers of 1024)."""
    match = re.match(_SIZE, text, re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 500K, 10M or 1G")
    power = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**power)


def columns() -> int:
    """``shutil.get_terminal_size((80, 24)).columns`` without importing shutil, which
    pulls in bz2, lzma and zlib (a few ms a timeline does not need)."""
    try:
        width = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        width = 0
    if width <= 0:
        stdout = sys.__stdout__
        try:
            width = os.get_terminal_size(stdout.fileno()).columns if stdout else 0
        except (AttributeError, ValueError, OSError):
            width = 0
    return width or 80


# ----------------------------------------------------------------- ingest


def ingest_summary(report: IngestReport) -> dict[str, Any]:
    """The counts a person (or ``--format json``) wants after an ingest. Files add up:
    ``files_seen`` = new + updated + unchanged + skipped + failed, each file counted once
    (a dataset with some bad items is new or updated; ``items_failed`` counts those)."""
    read = {*report.new, *report.updated}
    failed_files = {p for p, _ in report.failed} - read
    skipped = {p for p, _ in report.skipped}
    return {
        "files_seen": len(read) + report.unchanged + len(skipped) + len(failed_files),
        "new": len(report.new),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "skipped": len(skipped),
        "failed": len(failed_files),
        "items_failed": sum(1 for p, _ in report.failed if p in read),
        "stale": len(report.stale),
        "pruned": len(report.pruned),
        "records_added": report.records_added,
        "records_updated": report.records_updated,
        "records_removed": report.records_removed,
        "records_merged": report.records_merged,
        "files_merged": report.files_merged,
        "records_total": report.records_total,
        "articles_read": report.articles_read,
        "articles_undated": report.articles_undated,
    }


def skipped_reasons(report: IngestReport, *, kinds: bool = False) -> dict[str, int]:
    """Skipped files counted by reason, most first; ``kinds``: by the reason's kind only
    (``not an article``, ``ignored``...), for the summary line."""
    counts: dict[str, int] = {}
    for _, reason in report.skipped:
        if kinds:
            reason = "ignored" if reason.startswith("ignored by") else (
                reason.split(":", 1)[0].split(" (", 1)[0])
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def note_files(report: IngestReport) -> None:
    """A note for every failed, skipped, warned-about and stale file."""
    if report.ids_renewed:
        note("this catalogue was made when records without a URL took their id from their "
             "text; they now take it from their file's path, so every file is read again "
             "once and those records get new ids (old ids are unknown from now on)")
    if report.stories_changed is True:
        note("stories: this catalogue groups records into stories from now on (off again: "
             "ingest --no-stories)")
        if report.stories_regrouped:
            note(f"stories: grouped the {report.stories_regrouped} records stored before")
    elif report.stories_changed is False:
        note("stories: this catalogue no longer groups new records into stories; stored "
             "records keep theirs (on again: ingest --stories)")
    for path, reason in report.failed:
        note(f"failed: {path}: {reason}")
    for path, reason in report.skipped:
        note(f"skipped: {path}: {reason}")
    for path, warnings in sorted(report.warnings.items()):
        for warning in warnings:
            note(f"warning: {path}: {warning}")
    for path, why in report.merged_files:
        note(f"merged: {path}: {why}")
    for path in report.stale:
        note(f"stale: {path}: file is gone or left out (use --prune to drop its records)")


def write_ingest(report: IngestReport, out: TextIO, *, fmt: str) -> None:
    """The summary line, or the JSON object with every failed, skipped and stale file."""
    s = ingest_summary(report)
    if fmt == "json":
        data: dict[str, Any] = {
            "newsidx_format": FORMAT_VERSION, **s,
            "failed_files": [{"path": p, "reason": r} for p, r in report.failed],
            "skipped_files": [{"path": p, "reason": r} for p, r in report.skipped],
            "merged_files": [{"path": p, "reason": r} for p, r in report.merged_files],
            "skipped_reasons": skipped_reasons(report),
            "stale_files": report.stale,
        }
        out.write(json_escape(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")
        return
    why = ""
    if report.skipped:
        kinds = skipped_reasons(report, kinds=True)
        why = " (" + ", ".join(f"{n} {r}" for r, n in kinds.items()) + ")"
    items = f", {s['items_failed']} bad items in read files" if s["items_failed"] else ""
    out.write(f"files: {s['files_seen']} seen = {s['new']} new + {s['updated']} updated + "
              f"{s['unchanged']} unchanged + {s['skipped']} skipped{why} + "
              f"{s['failed']} failed{items}\n")
    records = "nothing changed" if not report.changed else (
        f"{s['records_added']} added, {s['records_updated']} updated, "
        f"{s['records_removed']} removed")
    merged = s["records_merged"]
    if merged:
        records += f" ({merged} of them merged from copies in several files)"
    joined = s["files_merged"]
    if joined:
        records += (f"; {joined} file{'s' if joined != 1 else ''} merged into a record another "
                    "file gives (same URL; headlines kept as alt_titles)")
    stale = s["stale"]
    tail = (f"; {stale} stale file{'s' if stale != 1 else ''} kept (--prune drops "
            "their records)") if stale else ""
    pruned = f"; {s['pruned']} gone files pruned" if s["pruned"] else ""
    out.write(f"records: {records}; {s['records_total']} in the catalogue{pruned}{tail}\n")
    undated = undated_line(report.articles_undated, report.articles_read)
    if undated:
        out.write(undated + "\n")


def undated_line(undated: int, read: int) -> str | None:
    """One line when more than a tenth of the articles read have no date (a site whose
    dates newsidx cannot find: timelines, date filters and newest-first are then wrong)."""
    if not read or undated * 10 <= read:
        return None
    share = round(undated * 100 / read)
    return (f"dates: {undated:,} of {read:,} articles read ({share}%) have no date: see "
            "docs/format.md#dates")


def write_jsonl_result(result: JsonlResult, out: TextIO, *, fmt: str) -> None:
    """What ``ingest --from-jsonl`` did, as a line or a JSON object."""
    if fmt == "json":
        data = {"newsidx_format": FORMAT_VERSION, "jsonl_files": list(result.files),
                "records_added": result.records_added,
                "records_updated": result.records_updated,
                "records_total": result.records_total}
        out.write(json_escape(json.dumps(data, ensure_ascii=False, indent=2)) + "\n")
        return
    out.write(f"{result.records_added} records added, {result.records_updated} updated "
              f"from {len(result.files)} JSON Lines file(s); {result.records_total} records in "
              "the catalogue\n")


# ----------------------------------------------------------------- export and check


def write_json_array(records: Iterable[Article], out: TextIO) -> int:
    """``{"newsidx_format": 1, "records": [...]}``, streamed record by record."""
    from newsidx.model import to_json

    out.write(f'{{"newsidx_format": {FORMAT_VERSION}, "records": [')
    count = 0
    for count, record in enumerate(records, 1):
        line = json_escape(json.dumps(to_json(record), ensure_ascii=False))
        out.write(("\n" if count == 1 else ",\n") + line)
    out.write("\n]}\n")
    return count


def write_check(report: CheckReport, out: TextIO, *, fmt: str) -> None:
    """The check report as JSON, or one line per finding."""
    if fmt == "json":
        out.write(json_escape(json.dumps(report.to_json(), ensure_ascii=False, indent=2)) + "\n")
        return
    from newsidx.check import text_lines

    out.write("".join(escape_name(line) + "\n" for line in text_lines(report)))


def stats_mapping(stats: Mapping[str, Any], *, human: bool) -> dict[str, Any]:
    """``newsidx stats`` fields, sizes in bytes or as ``1.5 MiB``."""
    from newsidx.render import human_size

    data = dict(stats)
    for key in ("catalogue", "index"):
        size = int(data.pop(f"{key}_bytes"))
        data[f"{key}_size"] = human_size(size) if human else size
    data["generation"] = data.pop("generation")  # last, as before
    return data
