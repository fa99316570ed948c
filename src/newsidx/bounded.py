"""Read a file in bounded chunks, refusing it by size or by line length as it streams.

``--max-size 20G`` on an 8 GiB file used to read the whole file before the parser
refused its first line (16.8 GB at the peak, the bytes and their join). A file is now
read one chunk at a time, and a line over the line limit (no article has one; a dump,
minified markup or a sparse file of zeros does) stops the read at once. The rest of
that line is then measured, without keeping it, for up to :data:`MEASURE` bytes, so
the error can say how long the line is.
"""

from __future__ import annotations

import os

from newsidx.errors import ParseError

CHUNK = 1 << 20
MEASURE = 64 << 20
_MIB = 1 << 20


def read_bounded(fd: int, max_size: int, max_line: int, source: str) -> bytes | None:
    """The bytes of ``fd`` from its offset on; None when there are over ``max_size``.

    Raises :class:`ParseError` naming ``source`` and the line for a line of over
    ``max_line`` bytes (its newline aside), having read at most one chunk past it.
    """
    step = max(1, min(CHUNK, max_line))  # a line inside one chunk is then never too long
    chunks: list[bytes] = []
    total = lines = run = 0  # bytes read, newlines before the current line, its bytes
    while True:
        chunk = os.read(fd, min(step, max_size + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        first = chunk.find(b"\n")
        if first < 0:
            run += len(chunk)
        elif run + first > max_line:
            _too_long(fd, source, lines + 1, run + first, max_line, ended=True)
        else:
            lines += chunk.count(b"\n")
            run = len(chunk) - chunk.rfind(b"\n") - 1
        if run > max_line:
            _too_long(fd, source, lines + 1, run, max_line, ended=False)
        chunks.append(chunk)
        if total > max_size:
            return None


def _too_long(fd: int, source: str, line: int, length: int, max_line: int, *,
              ended: bool) -> None:
    budget = MEASURE
    while not ended and budget > 0:
        chunk = os.read(fd, min(CHUNK, budget))
        end = chunk.find(b"\n")
        ended = not chunk or end >= 0
        length += end if end >= 0 else len(chunk)
        budget -= len(chunk)
    size = f"{length / _MIB:.1f} MiB" if ended else f"more than {length // _MIB} MiB"
    raise ParseError(source, f"line {line} is {size} long, over the "
                             f"{max_line // _MIB} MiB line limit", line)
