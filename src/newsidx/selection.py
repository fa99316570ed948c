"""Which walked paths are articles to read: names, ignore files, --include/--exclude.

A site's repository holds more than its posts. This module decides, from a path alone,
what the walk leaves out and why:

- files that are never articles by their name (licence, readme, changelog, contributing,
  provenance... in any case and with any extension; Hugo's ``_index.*`` section pages;
  the ignore files themselves): reason ``not an article: ...``; a stored record of
  such a file is removed, as for any file that is skipped when read;
- paths matched by a ``.gitignore`` or ``.ignore`` file in their folder or a folder
  above it, up to the ingest root (gitignore rules: the deepest file that has a
  matching pattern decides, ``!`` re-includes, a folder's ``.ignore`` overrides its
  ``.gitignore``; off with ``no_ignore``), by ``--exclude GLOB``, or not matched by
  any ``--include GLOB`` (gitignore syntax, relative to the root). Their stored
  records stay, listed as stale, until ``--prune``.

Matching is pathspec's ``GitIgnoreSpec``, a maintained implementation of git's rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pathspec

NOT_ARTICLE = "not an article"
IGNORE_FILES = (".gitignore", ".ignore")  # later files take precedence, as in ripgrep
EXCLUDED = "excluded by --exclude"
NOT_INCLUDED = "not matched by --include"

_NAMED = re.compile(
    r"(?P<kind>licen[cs]e|unlicense|copying|readme|change[-_]?log|changes|contributing"
    r"|contributors|provenance|code[-_]of[-_]conduct|notice|security)(?:[-_.].*)?",
    re.IGNORECASE,
)
_KIND_TEXT = {
    "licence": "licence file", "license": "licence file", "unlicense": "licence file",
    "copying": "licence file", "readme": "readme file", "changelog": "changelog",
    "change-log": "changelog", "change_log": "changelog", "changes": "changelog",
    "contributing": "contributing guide", "contributors": "contributors list",
    "provenance": "provenance file", "code-of-conduct": "code of conduct",
    "code_of_conduct": "code of conduct", "notice": "licence notice",
    "security": "security policy",
}

Select = Callable[[str, bool], "str | None"]
"""``(absolute path, is a folder) -> reason to leave it out, or None to keep it``."""


def name_reason(name: str) -> str | None:
    """Why a file called ``name`` is not an article, whatever it holds; None if it may be."""
    if name in IGNORE_FILES:
        return f"{NOT_ARTICLE}: ignore file"
    if name.startswith("_index."):
        return f"{NOT_ARTICLE}: section page (_index)"
    match = _NAMED.fullmatch(name)
    if match is None:
        return None
    return f"{NOT_ARTICLE}: {_KIND_TEXT.get(match['kind'].lower(), 'project file')}"


def _spec(patterns: Sequence[str], what: str) -> pathspec.GitIgnoreSpec | None:
    if not patterns:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns)
    except (ValueError, TypeError) as exc:
        from newsidx.errors import UsageError

        raise UsageError(f"{what}: bad pattern: {exc}") from None


@dataclass
class Selection:
    """The ingest's selection rules; :meth:`for_root` gives the walk its ``Select``."""

    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    no_ignore: bool = False
    _include: pathspec.GitIgnoreSpec | None = field(init=False, default=None)
    _exclude: pathspec.GitIgnoreSpec | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._include = _spec(self.include, "--include")
        self._exclude = _spec(self.exclude, "--exclude")

    def for_root(self, top: str) -> Select:
        return _RootSelector(self, top).reason

    def left_out(self, path: str, tops: Sequence[str]) -> str | None:
        """Why an existing file under one of ``tops`` is no longer read (it or a folder
        above it is ignored, excluded, not included, or not an article); None if it is."""
        for top in tops:
            prefix = top.rstrip(os.sep) + os.sep
            if path.startswith(prefix):
                select = self.for_root(top)
                parts = path[len(prefix):].split(os.sep)
                here = top
                for i, part in enumerate(parts):
                    here = os.path.join(here, part)
                    reason = select(here, i < len(parts) - 1)
                    if reason is not None:
                        return reason
                return None
        return None


def _below(path: str, folder: str) -> str:
    """``path`` relative to ``folder``, which holds it, with ``/`` separators: the walk
    builds paths by joining names onto the root, so a slice gives what ``relpath``
    would at a fraction of its cost (it runs for every file of the walk)."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    rel = path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, folder)
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


class _RootSelector:
    """The rules for one root, with each folder's ignore files read once."""

    def __init__(self, selection: Selection, top: str) -> None:
        self.selection = selection
        self.top = top.rstrip(os.sep) or os.sep
        self.specs: dict[str, pathspec.GitIgnoreSpec | None] = {}
        #: per folder, the folders from it up to the root that have ignore rules
        self.chains: dict[str, list[tuple[str, pathspec.GitIgnoreSpec]]] = {}

    def _folder_spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self.specs:
            lines: list[str] = []
            for name in IGNORE_FILES:
                try:
                    with open(os.path.join(folder, name), encoding="utf-8",
                              errors="replace") as f:
                        lines.extend(f.read(1 << 20).splitlines())
                except OSError:
                    continue
            try:
                self.specs[folder] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
            except (ValueError, TypeError):
                self.specs[folder] = None  # a malformed ignore file ignores nothing
        return self.specs[folder]

    def _chain(self, folder: str) -> list[tuple[str, pathspec.GitIgnoreSpec]]:
        """The folders from ``folder`` up to the root that hold ignore rules, nearest
        first, with their rules; worked out once per folder (most archives have none)."""
        todo: list[str] = []  # the folders not worked out yet, from ``folder`` upwards
        here = folder
        while here not in self.chains:
            todo.append(here)
            if here == self.top or len(here) <= len(self.top):
                above: list[tuple[str, pathspec.GitIgnoreSpec]] = []
                break
            here = os.path.dirname(here)
        else:
            above = self.chains[here]
        for here in reversed(todo):
            spec = self._folder_spec(here)
            if spec is not None:
                above = [(here, spec), *above]
            self.chains[here] = above
        return above

    def _ignored(self, path: str, parent: str, is_dir: bool) -> str | None:
        for folder, spec in self._chain(parent):
            rel = _below(path, folder)
            result = spec.check_file(rel + "/" if is_dir else rel)
            if result.include is not None:
                if not result.include:
                    return None
                shown = os.path.relpath(folder, self.top)
                where = "" if shown == "." else shown.replace(os.sep, "/") + "/"
                return f"ignored by {where}.gitignore or .ignore (--no-ignore reads it)"
        return None

    def reason(self, path: str, is_dir: bool) -> str | None:
        sel = self.selection
        cut = path.rfind(os.sep)
        if not is_dir:
            named = name_reason(path[cut + 1:])
            if named is not None:
                return named
        needs_rel = sel._exclude is not None or sel._include is not None
        rel = _below(path, self.top) if needs_rel else ""
        if sel._exclude is not None and sel._exclude.match_file(rel + "/" if is_dir else rel):
            return EXCLUDED
        if not sel.no_ignore:
            ignored = self._ignored(path, path[:cut] or os.sep, is_dir)
            if ignored is not None:
                return ignored
        if not is_dir and sel._include is not None and not sel._include.match_file(rel):
            return NOT_INCLUDED
        return None
