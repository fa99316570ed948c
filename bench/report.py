"""Turn benchmark results into the issue's target checks and a Markdown report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

GIB = 1024.0
Value = tuple[float | None, str] | None  # (number judged, how it is shown); None: not judged
SEARCH_LABELS = {"rare": "rare word", "common": "common word", "two_words": "two words",
                 "phrase": "phrase", "filtered": "filtered (provider + dates)"}


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _median(data: Any, *keys: str) -> float | None:
    node = _get(data, *keys)
    return node.get("median") if isinstance(node, dict) and node.get("ok") else None


def _ingest_vs_limit(size: dict[str, Any]) -> Value:
    ingest = _get(size, "ingest", "cold", "rate")
    limit = _get(size, "parse_limit", "rate")
    if not ingest or not limit:
        return None
    return ingest / limit, f"{100 * ingest / limit:.0f}% of the limit"


def _ingest_vs_sqlite(size: dict[str, Any]) -> Value:
    """Judged on the pre-parsed records sqlite-utils gets; the ratio including parse is shown."""
    ours = _median(size, "ingest", "cold")
    theirs = _median(size, "peers", "sqlite_fts5", "build")
    if not ours or not theirs:
        return None
    text = f"{_ratio(theirs, ours)} (pre-parsed records)"
    with_parse = _median(size, "peers", "sqlite_fts5", "build_incl_parse")
    if with_parse:
        text += f"; incl. parse {_ratio(with_parse, ours)} (not judged)"
    return theirs / ours, text


def _nothing_changed(size: dict[str, Any]) -> Value:
    value = _median(size, "ingest", "nothing_changed")
    return None if value is None else (value, f"{value:.2f} s")


def _search_worst(size: dict[str, Any]) -> Value:
    kinds = ("rare", "common", "two_words", "filtered")
    values = [_median(size, "search", k) for k in kinds]
    if any(v is None for v in values):
        return None
    worst = max(v for v in values if v is not None)
    return worst, f"worst {worst:.3f} s"


def _engine_median(data: Any, *keys: str) -> float | None:
    node = _get(data, *keys)
    return node.get("median") if isinstance(node, dict) else None


def _ids_engine_median(size: dict[str, Any], kind: str) -> float | None:
    """newsidx's engine as ``--format ids`` runs it (no snippets), else with snippets."""
    ids = _engine_median(size, "search", "engine", kind, "ids_only")
    return ids if ids is not None else _engine_median(size, "search", "engine", kind)


def _search_vs_sqlite(size: dict[str, Any]) -> Value:
    """Judged on the engines alone, in process; the whole-process ratio is shown beside it."""
    ours = _ids_engine_median(size, "common")
    theirs = _engine_median(size, "peers", "sqlite_fts5", "engine", "common")
    whole_ours = _median(size, "search", "common")
    whole_theirs = _median(size, "peers", "sqlite_fts5", "search", "common")
    engine = theirs / ours if ours and theirs else None
    parts = []
    if engine is not None:
        parts.append(f"engine alone {_ratio(theirs, ours)}")
    if whole_ours and whole_theirs:
        parts.append(f"whole process {_ratio(whole_theirs, whole_ours)}")
    if not parts:
        return None
    if engine is None:
        parts.append("engine alone not measured")
    return engine, "; ".join(parts)


def _peak_memory(size: dict[str, Any]) -> Value:
    cold = _get(size, "ingest", "cold")
    if not isinstance(cold, dict) or not cold.get("ok"):
        return None
    anon = cold.get("tree_anon_peak_mib")
    peak = max(cold.get("tree_peak_mib") or 0, cold.get("maxrss_mib") or 0)
    if anon:
        return anon, f"{anon:.0f} MiB anonymous ({peak:.0f} MiB with mapped index files)"
    return peak, f"{peak:.0f} MiB"


TARGETS: list[tuple[str, str, Callable[[dict[str, Any]], Value], Callable[[float], bool]]] = [
    ("cold ingest >= 80% of the parse-only limit", "100k", _ingest_vs_limit, lambda v: v >= 0.8),
    ("cold ingest >= 2x faster than sqlite-utils insert + enable-fts (pre-parsed)", "100k",
     _ingest_vs_sqlite, lambda v: v >= 2.0),
    ("incremental ingest, nothing changed, < 5 s", "100k", _nothing_changed, lambda v: v < 5.0),
    ("search (whole process, all kinds but phrase) < 0.2 s median", "1M", _search_worst,
     lambda v: v < 0.2),
    ("search common word >= 20x faster than SQLite FTS5 (engine alone, in process)", "1M",
     _search_vs_sqlite, lambda v: v >= 20.0),
    ("peak ingest memory < 1 GiB", "1M", _peak_memory, lambda v: v < GIB),
]


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target: PASS/FAIL at its size, else 'not measured' with the largest size seen."""
    sizes: dict[str, Any] = results.get("sizes", {})
    checks = []
    for name, at, get, passes in TARGETS:
        entry: dict[str, Any] = {"target": name, "at": at}
        if at in sizes:
            value = get(sizes[at])
            number = value[0] if value else None
            entry["status"] = "n/a" if number is None else ("PASS" if passes(number) else "FAIL")
            entry["measured"] = value[1] if value else "command failed or peer missing"
        else:
            entry["status"] = "not measured"
            seen = [(label, get(data)) for label, data in sizes.items()]
            judged = [(label, v[0], v[1]) for label, v in seen
                      if v is not None and v[0] is not None]
            if judged:
                label, number, text = max(judged, key=lambda lv: sizes[lv[0]]["size"])
                mark = "would pass" if passes(number) else "would fail"
                entry["measured"] = f"at {label}: {text} ({mark})"
            else:
                entry["measured"] = "-"
        checks.append(entry)
    return checks


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _row(name: str, node: Any, note: str = "") -> str:
    if not isinstance(node, dict):
        return f"| {name} | - | - | - | {note or 'not run'} |"
    if "skipped" in node:
        return f"| {name} | - | - | - | skipped ({node['skipped']}) |"
    if "na" in node:
        return f"| {name} | n/a | - | - | {node['na']} |"
    if not node.get("ok"):
        error = str(node.get("error", node.get("status", "failed"))).replace("|", "\\|")
        return f"| {name} | FAILED | - | - | {error[:160]} |"
    peak = max(node.get("tree_peak_mib") or 0, node.get("maxrss_mib") or 0)
    anon = node.get("tree_anon_peak_mib")
    memory = f"{anon:.0f} ({peak:.0f}) MiB" if anon else f"{peak:.0f} MiB"
    spread = f"{_secs(node.get('min'))} – {_secs(node.get('max'))} ({node.get('runs')} runs)"
    return f"| {name} | {_secs(node.get('median'))} | {spread} | {memory} | {note} |"


def _filtered_label(size: dict[str, Any]) -> str:
    """"filtered (provider + dates)", or what the filtered query of a corpus filters on."""
    spec = _get(size, "queries", "filtered")
    if not isinstance(spec, dict) or "na" in spec:
        return "filtered"
    parts = [p for p, keys in (("provider", ("provider",)), ("dates", ("since", "until")))
             if any(spec.get(k) for k in keys)]
    return f"filtered ({' + '.join(parts)})" if parts else "filtered"


def _labels(size: dict[str, Any]) -> dict[str, str]:
    return {**SEARCH_LABELS, "filtered": _filtered_label(size)}


def _code(text: str) -> str:
    return f"`{text.replace('`', '')}`"


def _query_line(size: dict[str, Any]) -> list[str]:
    """The query of each kind, with its document frequencies for a corpus."""
    specs = size.get("queries")
    if not isinstance(specs, dict):
        return []
    how = size.get("query_choice") or {}
    df = how.get("df") or {}
    parts = []
    for kind, title in _labels(size).items():
        spec = specs.get(kind)
        if not isinstance(spec, dict):
            continue
        if "na" in spec:
            parts.append(f"{title}: n/a ({spec['na']})")
            continue
        text = _code(spec["text"])
        flags = " ".join(f"--{k} {spec[k]}" for k in ("provider", "since", "until")
                         if spec.get(k))
        extra = ""
        if kind in ("rare", "common") and kind in df:
            extra = f" (df {df[kind]:,})"
        elif kind == "two_words" and kind in df:
            extra = (f" (df {', '.join(f'{n:,}' for n in df[kind])}; both in "
                     f"{df.get('two_words_together', '?')})")
        elif kind == "phrase" and how.get("anchor"):
            extra = f" (from `{how['anchor']}`)"
        parts.append(f"{title} {text}{' ' + _code(flags) if flags else ''}{extra}")
    command = _get(size, "listing", "list", "command")
    if command:
        parts.append(f"list {_code(command)}")
    return [f"Queries: {'; '.join(parts)}.", ""]


def _size_section(label: str, size: dict[str, Any], heading: str | None = None,
                  intro: Sequence[str] = (), unit: str = "articles") -> list[str]:
    ingest = size.get("ingest", {})
    limit = size.get("parse_limit", {})
    heading = heading or f"## {label} articles ({size['archive_bytes'] / 2**20:.0f} MiB on disk)"
    lines = [heading, "", *intro, *_query_line(size),
             "| measurement | median | min – max | peak memory | note |", "|---|---|---|---|---|"]
    cold = ingest.get("cold")
    rate = _get(cold, "rate")
    share = _ingest_vs_limit(size)
    note = f"{rate:,.0f} {unit}/s" if rate else ""
    if share:
        note += f"; {share[1]}"
    lines.append(_row("ingest, cold", cold, note))
    lines.append(_row("ingest, nothing changed", ingest.get("nothing_changed")))
    lines.append(_row("ingest, 1% changed", ingest.get("one_percent"),
                      _get(ingest, "one_percent", "note") or ""))
    limit_rate = limit.get("rate")
    lines.append(_row("parse-only limit (C YAML, all cores)", limit,
                      f"{limit_rate:,.0f} {unit}/s" if limit_rate else ""))
    for kind, title in _labels(size).items():
        node = _get(size, "search", kind)
        hits = _get(node, "stdout_lines")
        lines.append(_row(f"search: {title}", node, f"{hits} ids" if hits is not None else ""))
    for name in ("list", "providers", "timeline"):
        node = _get(size, "listing", name)
        lines.append(_row(name, node, _get(node, "note") or ""))
    if "export" in size:
        records = size.get("records")
        lines.append(_row("export --format jsonl (records for sqlite-utils)", size["export"],
                          f"{records:,} records" if records is not None else ""))
    cat = ingest.get("catalogue_bytes")
    idx = ingest.get("index_bytes")
    if cat:
        lines += ["", f"Catalogue on disk: {cat / 2**20:.1f} MiB"
                  + (f", of which index {idx / 2**20:.1f} MiB." if idx else ".")]
    lines += ["", *_engine_lines(size), *_peer_lines(size)]
    return lines


def _corpus_section(name: str, corpus: dict[str, Any]) -> list[str]:
    """A real corpus: the same tables as a size, with what was read and how queries were
    chosen; informational (no target is judged on a corpus)."""
    mib = corpus.get("archive_bytes", 0) / 2**20
    heading = f"## Corpus `{name}` ({corpus.get('size', 0):,} files, {mib:.0f} MiB on disk)"
    if "error" in corpus:
        return [heading, "", f"Not measured: {corpus['error']}", ""]
    how = corpus.get("query_choice") or {}
    records = corpus.get("records")
    folders = ", ".join(f"`{p}`" for p in corpus.get("ingested", []))
    intro = [
        f"Read in place from `{corpus.get('path')}`: {folders} (the corpus' top-level "
        "documentation files are not articles and are left out). Informational: no target "
        "is judged here. Rates are in files per second"
        + (f"; newsidx keeps {records:,} records (articles with the same title and text "
           "merge into one)" if records is not None else "") + ". "
        f"Queries are chosen from the corpus by fixed rules (`bench/corpora.py`: ASCII words "
        f"of 4+ letters, df = files holding the word, of {how.get('documents', '?'):,}); "
        "SQLite FTS5 is fed the records of `newsidx export --format jsonl` from the ingested "
        "catalogue, so its build is of records newsidx parsed (the \"incl. parse\" line adds "
        "the parse-only limit).", "",
    ]
    return _size_section(name, corpus, heading, intro, unit="files")


def _engine_lines(size: dict[str, Any]) -> list[str]:
    engine = _get(size, "search", "engine") or {}
    if "error" in engine:
        return [f"Engine alone (in process): {engine['error']}", ""]
    lines = ["Engine alone (`SearchIndex.search`, in process, warm; top 20 with snippets, and "
             "ids only as `--format ids` runs it, without snippets):", "",
             "| query | median | min – max | ids only: median | min – max | hits |",
             "|---|---|---|---|---|---|"]
    for kind, title in _labels(size).items():
        node = engine.get(kind) or {}
        if "na" in (_get(size, "queries", kind) or {}):
            lines.append(f"| {title} | n/a | | | | |")
            continue
        if "median" in node:
            ids = node.get("ids_only") or {}
            ids_cells = (f"{_secs(ids['median'])} | {_secs(ids['min'])} – {_secs(ids['max'])}"
                         if "median" in ids else "n/a | -")
            lines.append(f"| {title} | {_secs(node['median'])} | {_secs(node['min'])} – "
                         f"{_secs(node['max'])} | {ids_cells} | {node.get('hits')} |")
        else:
            lines.append(f"| {title} | {node.get('error', 'n/a')} | | | | |")
    return [*lines, ""]


def _ratio(theirs: float | None, ours: float | None) -> str:
    if theirs is None or ours is None or ours <= 0:
        return "-"
    ratio = theirs / ours
    return f"{ratio:.2f}x" if ratio < 1 else f"{ratio:.1f}x"


def _peer_lines(size: dict[str, Any]) -> list[str]:
    peers = size.get("peers") or {}
    lines = ["Peers on the same archive (ratio = peer time / newsidx time; > 1 means newsidx "
             "is faster):", "", "| peer | measurement | peer | newsidx | ratio |",
             "|---|---|---|---|---|"]
    ours_build = _median(size, "ingest", "cold")
    for key, name in (("ripgrep", "ripgrep `rg -l -i`"), ("sqlite_fts5", "SQLite FTS5"),
                      ("recoll", "recoll")):
        peer = peers.get(key) or {}
        if peer.get("status") != "ok":
            lines.append(f"| {name} | - | {peer.get('status', 'not run')} | | |")
            continue
        if "build" in peer:
            theirs = _median(peer, "build")
            lines.append(f"| {name} | build index | {_secs(theirs) if theirs else 'FAILED'} | "
                         f"{_secs(ours_build)} (cold ingest) | {_ratio(theirs, ours_build)} |")
        if "build_incl_parse" in peer:
            theirs = _median(peer, "build_incl_parse")
            lines.append(f"| {name} | build index incl. parse (parse-only limit + build) | "
                         f"{_secs(theirs)} | {_secs(ours_build)} (cold ingest) | "
                         f"{_ratio(theirs, ours_build)} |")
        for kind, node in (peer.get("search") or {}).items():
            theirs = node.get("median") if node.get("ok") else None
            ours = _median(size, "search", kind)
            lines.append(f"| {name} | {_labels(size)[kind]} | "
                         f"{_secs(theirs) if theirs else 'FAILED'} | {_secs(ours)} | "
                         f"{_ratio(theirs, ours)} |")
        lines += _engine_peer_lines(name, size, peer)
    return [*lines, ""]


def _engine_peer_lines(name: str, size: dict[str, Any], peer: dict[str, Any]) -> list[str]:
    """Rows comparing the engines alone, in process, warm (``sqlite_engine.py``)."""
    engine = peer.get("engine")
    if not isinstance(engine, dict):
        return []
    if "error" in engine:
        return [f"| {name} | engine alone (in process) | {engine['error'][:160]} | | |"]
    lines = []
    for kind, title in _labels(size).items():
        node = engine.get(kind)
        if not isinstance(node, dict):
            continue
        theirs = node.get("median")
        ours = _ids_engine_median(size, kind)
        shown = _secs(theirs) if theirs is not None else str(node.get("error", "n/a"))[:160]
        lines.append(f"| {name} | {title}, engine alone (in process) | {shown} | "
                     f"{_secs(ours)} | {_ratio(theirs, ours)} |")
    return lines


def newsapi_section(data: dict[str, Any]) -> list[str]:
    """Issue 13's speed target: the newsapi-2023 datasets as they are against the same
    articles as one front-matter file each, cold ingests alternating in one run."""
    lines = ["## newsapi-2023: datasets against one front-matter file each (issue 13)", ""]
    if "skipped" in data:
        return [*lines, f"Skipped: {data['skipped']}.", ""]
    d, f = data["datasets"], data["front_matter"]
    lines += [
        f"Cold ingest of the four files as they are ({', '.join(data['files'])}) and of the "
        f"same rows written out as {data['front_matter_files']:,} front-matter files "
        "(`bench/newsapi.py`: every key but `content` as YAML front matter, the provider as "
        "`{name, domain}`, `content` without NewsAPI's `… [+N chars]` as the body), "
        f"alternating, {data['runs']} runs each. Target: the datasets at least as fast in "
        "articles per second.", "",
        "| input | articles | wall per run (s) | articles/s per run | peak RSS (MiB) |",
        "|---|---|---|---|---|",
    ]
    for name, side in (("datasets", d), ("front-matter files", f)):
        walls = ", ".join(f"{w:.1f}" for w in side.get("walls", []))
        rates = ", ".join(f"{r:,}" for r in side.get("rates", []))
        rss = side.get("maxrss_mib")
        articles = f"{side['articles']:,}" if side.get("articles") else "-"
        lines.append(f"| {name} | {articles} | {walls or '-'} | "
                     f"{rates or '-'} | {f'{rss:.0f}' if rss else '-'} |")
    verdict = data.get("datasets_at_least_as_fast")
    result = "unmeasured" if verdict is None else "pass" if verdict else "FAIL"
    lines += ["", f"Median: datasets {d.get('median_rate') or '-'} articles/s, front matter "
              f"{f.get('median_rate') or '-'} articles/s: **{result}**.", ""]
    return lines


def render(results: dict[str, Any]) -> str:
    """The Markdown report: machine, targets with pass/fail, one section per size."""
    m = results.get("machine", {})
    peers = m.get("peers", {})
    lines = [
        "# Benchmarks", "",
        f"Measured {results.get('date')} with `{results.get('command')}` "
        f"(see [bench/README.md](../bench/README.md)); raw numbers in `bench/results/`.", "",
        f"Machine: {m.get('nproc')} CPUs ({m.get('cpu')}), {m.get('memory')} RAM, "
        f"Python {m.get('python')}, {m.get('platform')}; newsidx {m.get('newsidx')} at "
        f"commit {m.get('commit')}. Peers: ripgrep {peers.get('rg') or 'not installed'}; "
        f"sqlite-utils {peers.get('sqlite-utils') or 'not installed'}; "
        f"recoll {peers.get('recoll') or 'not installed'}.", "",
        "Every time is a whole process (start-up included) unless marked in process; "
        "memory is the peak over the process tree of private anonymous memory, with the "
        "peak resident size in brackets: the latter also counts the index files tantivy maps "
        "to read them, page cache the kernel drops when it needs the memory; the memory "
        "target is judged on the former. The machine is shared with "
        "other work, so treat small differences as noise.", "",
        "SQLite FTS5 is compared two ways. Search: whole processes (`sqlite-utils search` "
        "against `newsidx search --format ids`) and the engines alone, in process and warm "
        "(the FTS5 query `sqlite-utils search` runs, top 20 ids by bm25, against "
        "`SearchIndex.search` without snippets, as `--format ids` runs it); the 20x target is "
        "judged on the engines alone. Build: "
        "sqlite-utils loads records the generator already parsed, so the build is also shown "
        "with the parse-only limit added (\"incl. parse\"); the 2x target is judged on the "
        "plain build.", "",
    ]
    if results.get("corpora"):
        names = ", ".join(f"`{n}`" for n in results["corpora"])
        lines += [
            f"The real corpora in `../shared/corpora/` ({names}) are measured the same way, "
            "read in place, in the sections after the synthetic sizes. They are "
            "informational: the targets are judged on the synthetic archives (100k, 1M) only.",
            "",
        ]
    lines += ["## Targets (issue #6)", "", "| target | at | measured | result |",
              "|---|---|---|---|"]
    for t in results.get("targets", []):
        lines.append(f"| {t['target']} | {t['at']} | {t['measured']} | **{t['status']}** |")
    lines.append("")
    for label, size in results.get("sizes", {}).items():
        lines += _size_section(label, size)
    for name, corpus in (results.get("corpora") or {}).items():
        lines += _corpus_section(name, corpus)
    if results.get("newsapi"):
        lines += newsapi_section(results["newsapi"])
    return "\n".join(lines).rstrip() + "\n"
