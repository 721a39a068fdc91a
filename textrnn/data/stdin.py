"""Stdin as lines that know whether another is ready, and batches that take only what is ready.

A filter (`textrnn generate`, `textrnn predict` over a pipe) answers many lines at once when the pipe holds
them, yet must not sit on a line while it waits for a batch to fill: `tail -f log | textrnn generate` and a
program that writes one prompt and waits for its answer both need each line answered as it comes.
`batches` takes the first line (waiting for it), then only the lines that can be read without waiting.
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from textrnn.data.decode import check_errors, decode_lines

T = TypeVar("T")
_READ = 1 << 16


class StdinLines:
    """Decoded stdin lines (textrnn.data.decode's policy), read straight from the file descriptor so that
    `ready()` can tell whether a whole further line is there: in what was read already, or in the pipe."""

    def __init__(self, errors: str = "strict") -> None:
        check_errors(errors)
        try:
            self._fd: int | None = sys.stdin.buffer.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (a test's stdin): all of it is there
            self._fd = None
        self._buffer, self._pos, self._eof = b"", 0, False
        raw = self._raw_lines() if self._fd is not None else sys.stdin.buffer
        self._lines = decode_lines(raw, "<stdin>", errors)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def ready(self) -> bool:
        """Whether the next line (or the end of the input) can be had without waiting."""
        if self._fd is None or self._eof or self._buffer.find(b"\n", self._pos) >= 0:
            return True
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):  # a descriptor select cannot watch: reading will tell
            return True

    def _raw_lines(self) -> Iterator[bytes]:
        """Lines of bytes with their line ends, as a binary file's iteration gives them."""
        pieces: list[bytes] = []  # a line longer than one read, so far
        while True:
            end = self._buffer.find(b"\n", self._pos)
            if end >= 0:
                line = self._buffer[self._pos:end + 1]
                self._pos = end + 1
                yield b"".join(pieces + [line]) if pieces else line
                pieces = []
                continue
            if self._pos < len(self._buffer):
                pieces.append(self._buffer[self._pos:])
            if self._eof:
                if pieces:
                    yield b"".join(pieces)
                return
            self._buffer, self._pos = os.read(self._fd, _READ), 0
            self._eof = not self._buffer


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of 1 to `size` items, in order. When `items` has a `ready()` method (StdinLines), a list ends
    early once the next item is not ready: what is there is answered now rather than after the wait."""
    it = iter(items)
    ready = getattr(items, "ready", None)
    while chunk := list(islice(it, 1)):
        while len(chunk) < size and (ready is None or ready()):
            item = next(it, _END)
            if item is _END:
                yield chunk
                return
            chunk.append(item)
        yield chunk


_END: object = object()
