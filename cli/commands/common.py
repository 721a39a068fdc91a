"""Helpers the commands share: reading texts from arguments or stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from textrnn.errors import InputError


def texts_from(args: list[str] | None, what: str = "text") -> Iterator[str]:
    """The given texts, or stdin lines when none are given (or one is "-"), one text per line."""
    if args and args != ["-"]:
        yield from args
        return
    if sys.stdin.isatty() and not args:
        raise InputError(f"no {what} given", hint=f"pass the {what} as an argument, or pipe lines into stdin")
    for line in sys.stdin:
        yield line.rstrip("\r\n")
