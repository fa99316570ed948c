"""Output of ``newsidx ingest --dry-run``: each file's plan, for people or as JSON.

Sample records are shown as JSON with every unsafe character escaped
(:func:`newsidx.safetext.json_escape`), file names with :func:`escape_name`, so nothing
read from a file can drive the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from newsidx.formats.dryrun import SAMPLE_ITEMS, FilePlan
from newsidx.model import to_json
from newsidx.safetext import escape_name, json_escape


def _as_json(plan: FilePlan) -> dict[str, Any]:
    return {"path": plan.path, "kind": plan.kind, "items_read": plan.items,
            "more_items": plan.more,
            "mapping": {name: dict(keys) for name, keys in plan.mapping.items()},
            "unmapped": dict(plan.unmapped), "problems": plan.problems,
            "samples": [to_json(r) for r in plan.samples]}


def write_plans(plans: Iterable[FilePlan], out: TextIO, *, fmt: str) -> int:
    """Write every plan; returns how many files had problems."""
    bad = 0
    if fmt == "json":
        docs = []
        for plan in plans:
            bad += bool(plan.problems)
            docs.append(_as_json(plan))
        out.write(json_escape(json.dumps(docs, ensure_ascii=False, indent=2)) + "\n")
        return bad
    for plan in plans:
        bad += bool(plan.problems)
        _write_text(plan, out)
    return bad


def _counts(keys: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{escape_name(key)} ({n:,})" for key, n in keys)


def _write_text(plan: FilePlan, out: TextIO) -> None:
    items = ""
    if plan.mapping or plan.more or plan.items > 1:
        items = f", {plan.items:,} items" + (f" looked at (the first {SAMPLE_ITEMS:,}; "
                                             "the file has more)" if plan.more else "")
    out.write(f"{escape_name(plan.path)}: {plan.kind}{items}\n")
    if plan.mapping:
        out.write("  mapping (field <- item key (items)):\n")
        width = max(len(name) for name in plan.mapping)
        for name, keys in plan.mapping.items():
            out.write(f"    {name:<{width}} <- {_counts(keys.most_common())}\n")
    if plan.unmapped:
        out.write(f"  unmapped, kept in extra: {_counts(plan.unmapped.most_common())}\n")
    for problem in plan.problems[:10]:
        out.write(f"  problem: {escape_name(problem)}\n")
    if len(plan.problems) > 10:
        out.write(f"  ... and {len(plan.problems) - 10:,} more problems\n")
    for i, record in enumerate(plan.samples, 1):
        text = json.dumps(to_json(record), ensure_ascii=False, indent=2)
        body = json_escape(text).replace("\n", "\n    ")
        out.write(f"  sample {i}:\n    {body}\n")
