"""Run one command as a whole process and report its wall time and peak memory as JSON.

A separate wrapper process per measurement, because ``RUSAGE_CHILDREN`` only ever
grows within one parent. Two memory figures: ``maxrss_mib``, the largest single
process among the waited-for descendants (``getrusage``), and ``tree_peak_mib``, the
peak sum of resident memory over the whole process tree, sampled from ``/proc``
every 50 ms (Linux only; null elsewhere), which counts parallel workers together; and
``tree_anon_peak_mib``, the same for private anonymous memory only (``RssAnon``),
without the index files tantivy maps to read them.

Usage: ``python bench/measure.py [--cwd DIR] -- CMD ARGS...`` prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SAMPLE_SECONDS = 0.05
HEAD_BYTES = 4096


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                found.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return found


def tree_memory(pid: int) -> tuple[int, int]:
    """Resident bytes and private anonymous resident bytes (``RssAnon``) of ``pid`` and all
    its descendants; (0, 0) when /proc is absent. The second is the memory the processes
    need: the first also counts file pages they map (tantivy maps its index files to read
    them, clean page cache the kernel drops whenever it needs the memory)."""
    rss = anon = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("RssAnon:"):
                        anon += int(line.split()[1]) * 1024
                        break
        except (OSError, IndexError, ValueError):
            continue
        stack.extend(_children(current))
    return rss, anon


def run(cmd: Sequence[str], *, cwd: str | None = None, env: dict[str, str] | None = None,
        stdin_text: str | None = None) -> dict[str, Any]:
    """Run ``cmd`` to completion in this process; time, memory, output size and tails."""
    peak = anon = 0
    proc_linux = Path("/proc/self/statm").exists()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err,
                                    stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL)
        except OSError as exc:
            return {"ok": False, "rc": None, "wall": 0.0, "error": f"{cmd[0]}: {exc.strerror}"}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, anon
            while not done.wait(SAMPLE_SECONDS):
                rss, private = tree_memory(proc.pid)
                peak, anon = max(peak, rss), max(anon, private)

        sampler = threading.Thread(target=sample, daemon=True) if proc_linux else None
        if sampler:
            sampler.start()
        if stdin_text is not None and proc.stdin:
            proc.stdin.write(stdin_text.encode())
            proc.stdin.close()
        rc = proc.wait()
        wall = time.perf_counter() - started
        done.set()
        if sampler:
            sampler.join()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out_size = out.tell()
        out.seek(0)
        head = out.read(HEAD_BYTES).decode("utf-8", "replace")
        out.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
        err.seek(max(0, err.tell() - HEAD_BYTES))
        tail = err.read().decode("utf-8", "replace")
    scale = 1 if sys.platform == "darwin" else 1024
    result: dict[str, Any] = {
        "ok": rc == 0,
        "rc": rc,
        "wall": wall,
        "maxrss_mib": usage.ru_maxrss * scale / 2**20,
        "tree_peak_mib": peak / 2**20 if proc_linux else None,
        "tree_anon_peak_mib": anon / 2**20 if proc_linux else None,
        "cpu": usage.ru_utime + usage.ru_stime,
        "stdout_bytes": out_size,
        "stdout_lines": lines,
        "stdout_head": head,
        "stderr_tail": tail,
    }
    if rc != 0:
        last = [line for line in tail.splitlines() if line.strip()]
        result["error"] = f"exit {rc}: {last[-1] if last else 'no message'}"[:300]
    return result


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    cwd = None
    if args[:1] == ["--cwd"]:
        cwd, args = args[1], args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("measure: usage: measure.py [--cwd DIR] -- CMD ARGS...", file=sys.stderr)
        return 2
    print(json.dumps(run(args, cwd=cwd)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
