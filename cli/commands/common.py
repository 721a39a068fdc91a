"""Helpers the commands share: reading texts from arguments or stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from textrnn.errors import InputError


def texts_from(args: list[str] | None, what: str = "text", errors: str = "strict") -> Iterator[str]:
    """The given texts, or stdin lines when none are given (or one is "-"), one text per line. Bytes that are
    not UTF-8 are handled by `errors` as in a file (textrnn.data.decode): "strict" refuses them, naming the
    argument or the stdin line; "replace" puts U+FFFD in their place and warns. Stdin lines come as
    textrnn.data.stdin.StdinLines, which batch readers ask whether another line is ready."""
    from textrnn.data.decode import decode_arguments
    from textrnn.data.stdin import StdinLines

    if args and args != ["-"]:
        return decode_arguments(args, errors)
    if sys.stdin.isatty() and not args:
        raise InputError(f"no {what} given", hint=f"pass the {what} as an argument, or pipe lines into stdin")
    return StdinLines(errors)


def check_pair(path: str | None, src: str | None, tgt: str | None, names: tuple[str, str, str]) -> bool:
    """Whether data was given, as one file (`path`) or as two aligned files (`src`, `tgt`) but not both ways.

    `names` are the options (or argument) that gave them, for the error: ("--valid", "--valid-src", "--valid-tgt").
    """
    data, src_name, tgt_name = names
    if (src is None) != (tgt is None):
        raise InputError(f"{src_name} and {tgt_name} go together: {tgt_name if src else src_name} is missing",
                         hint=f"give {src_name} A {tgt_name} B, line n of B translating line n of A")
    if path is not None and src is not None:
        raise InputError(f"give {data} or {src_name} with {tgt_name}, not both")
    return path is not None or src is not None
