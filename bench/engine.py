"""Time the search engine alone, in process: ``SearchIndex(path).search(request)``.

The index API is young, so the request is built by looking at the fields of whatever
``SearchRequest`` the package defines; any failure is reported as ``n/a`` with its
reason instead of stopping the benchmark.

Each query is timed as a terminal search runs it (with snippets) and, when ``search``
takes ``snippets``, as ``--format ids`` runs it (``snippets=False``: ranked top 20, no
passages) under ``ids_only``: the like-for-like figure against SQLite FTS5 returning ids.

Usage: ``python bench/engine.py CATALOGUE QUERIES.json --repeat N`` prints JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import inspect
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

TEXT_FIELDS = ("text", "query", "q", "terms")
LIMIT_FIELDS = ("limit", "top", "size")


def _find(name: str) -> Any:
    for module in ("newsidx.index", "newsidx.query", "newsidx.model", "newsidx"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    raise LookupError(f"newsidx defines no {name}")


def _params(cls: Any) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    return [p for p in inspect.signature(cls).parameters if p != "self"]


def _day(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)


def make_request(cls: Any, spec: dict[str, Any]) -> Any:
    """A ``SearchRequest`` for ``spec`` (text, provider, since, until), top 20."""
    names = _params(cls)
    kwargs: dict[str, Any] = {}
    text_field = next((n for n in TEXT_FIELDS if n in names), None)
    if text_field is None:
        raise LookupError(f"SearchRequest has no text field among {names}")
    kwargs[text_field] = spec["text"]
    limit_field = next((n for n in LIMIT_FIELDS if n in names), None)
    if limit_field:
        kwargs[limit_field] = 20
    if spec.get("provider"):
        if "providers" in names:
            kwargs["providers"] = (spec["provider"],)
        elif "provider" in names:
            kwargs["provider"] = spec["provider"]
        else:
            raise LookupError("SearchRequest has no provider filter")
    for key in ("since", "until"):
        if spec.get(key):
            if key not in names:
                raise LookupError(f"SearchRequest has no {key} filter")
            kwargs[key] = _day(spec[key])
    return cls(**kwargs)


def _count(results: Any) -> int | None:
    for attr in ("hits", "items", "records", "results"):
        value = getattr(results, attr, None)
        if value is not None:
            return len(value)
    try:
        return len(results)
    except TypeError:
        return None


def time_calls(call: Callable[[], Any], repeat: int) -> dict[str, Any]:
    call()  # warm the caches once, as a long-running caller would
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "runs": repeat, "hits": _count(result)}


def measure(catalogue: Path, specs: dict[str, dict[str, Any]], repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        index_cls = _find("SearchIndex")
        request_cls = _find("SearchRequest")
        started = time.perf_counter()
        index = index_cls(catalogue / "index")
        out["open_seconds"] = time.perf_counter() - started
    except Exception as exc:  # the API may not exist yet: report, never crash
        return {"error": f"n/a: {type(exc).__name__}: {exc}"}
    try:
        takes_snippets = "snippets" in inspect.signature(index.search).parameters
    except (TypeError, ValueError):
        takes_snippets = False
    for kind, spec in specs.items():
        try:
            request = make_request(request_cls, spec)
            out[kind] = time_calls(functools.partial(index.search, request), repeat)
            if takes_snippets:
                out[kind]["ids_only"] = time_calls(
                    functools.partial(index.search, request, snippets=False), repeat)
        except Exception as exc:
            out[kind] = {"error": f"n/a: {type(exc).__name__}: {exc}"[:300]}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="in-process search engine timings")
    parser.add_argument("catalogue", type=Path)
    parser.add_argument("queries", type=Path, help="JSON: {kind: {text, provider?, since?...}}")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    specs = json.loads(args.queries.read_text("utf-8"))
    print(json.dumps(measure(args.catalogue, specs, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
