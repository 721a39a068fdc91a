"""Bytes -> text, one policy for everything textrnn reads: files, stdin and command-line arguments.

UTF-8; a leading BOM is dropped; CRLF and CR line ends are accepted. An invalid byte is an error that says
where it is (file and line, or which argument), unless `errors="replace"`: then it becomes U+FFFD and one
warning counts the lines affected.

Command-line arguments reach Python already decoded, with each undecodable byte kept as a lone surrogate
(PEP 383); such a string crashes C libraries (spaCy) further down, so it is decoded again here, by the policy.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable, Iterator

from textrnn.errors import CorpusError, InputError, UnknownNameError

ERRORS = ("strict", "replace")  # what --encoding-errors accepts
_HINT = "convert the file to UTF-8 (iconv -f latin1 -t utf-8), or pass --encoding-errors replace"
_SURROGATE = re.compile("[\ud800-\udfff]")

# A plain-text line longer than this is read in pieces (split at a space where there is one): a corpus
# with no line breaks (text8, a scraped dump) is then tokenized and split for validation in bounded parts.
MAX_LINE_CHARS = 100_000


def check_errors(errors: str) -> str:
    if errors not in ERRORS:
        raise UnknownNameError("--encoding-errors value", errors, ERRORS)
    return errors


def read_lines(path: str, errors: str = "strict") -> Iterator[str]:
    """Decoded lines of a file ("-": stdin) without their line ends. Line numbers in errors count from 1."""
    check_errors(errors)
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        yield from decode_lines(stream, "<stdin>" if path == "-" else path, errors)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def decode_lines(raw_lines: Iterable[bytes], name: str, errors: str = "strict") -> Iterator[str]:
    """Lines of bytes (each with its line end, as a binary file gives them) -> decoded lines without line ends,
    by the policy above. `name` names the input in errors and warnings."""
    check_errors(errors)
    replaced = 0
    for lineno, raw in enumerate(raw_lines, 1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            if errors != "replace":
                raise CorpusError(f"{name}, line {lineno}: {_invalid(raw, e)}", hint=_HINT) from None
            line = raw.decode("utf-8", errors="replace")
            replaced += 1
        # Universal newlines: \r\n and a lone \r (old Mac files) both end a line.
        line = line.rstrip("\r\n")
        yield from line.split("\r") if "\r" in line else (line,)
    if replaced:
        warnings.warn(f"{name}: {replaced} line(s) had invalid UTF-8, replaced with U+FFFD", stacklevel=2)


def decode_arguments(texts: Iterable[str], errors: str = "strict") -> Iterator[str]:
    """Command-line texts, with the bytes that were not UTF-8 refused (InputError naming the argument) or,
    with errors="replace", turned into U+FFFD with a warning."""
    check_errors(errors)
    for position, text in enumerate(texts, 1):
        if not _SURROGATE.search(text):
            yield text
            continue
        try:
            raw = text.encode("utf-8", "surrogateescape")  # the bytes as they were given
            decoded = raw.decode("utf-8")
        except UnicodeEncodeError:  # a surrogate that no byte became (from the Python API, not from argv)
            raw, reason = None, "not valid Unicode (a lone surrogate)"
        except UnicodeDecodeError as e:
            reason = _invalid(raw, e)
        else:  # escapes that together form valid UTF-8: the text they meant
            yield decoded
            continue
        if errors != "replace":
            raise InputError(f"argument {position}: {reason}", hint="pass UTF-8 text, or --encoding-errors replace")
        warnings.warn(f"argument {position} had invalid UTF-8, replaced with U+FFFD", stacklevel=2)
        yield raw.decode("utf-8", "replace") if raw is not None else _SURROGATE.sub("\ufffd", text)


def _invalid(raw: bytes, e: UnicodeDecodeError) -> str:
    return f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1})"


def bounded_lines(lines: Iterable[str], name: str, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The lines, each one longer than `limit` characters cut into pieces of at most `limit`, at the last
    space before the limit where there is one. One warning names the longest such line."""
    long_lines, longest = 0, (0, 0)
    for lineno, line in enumerate(lines, 1):
        if len(line) <= limit:
            yield line
            continue
        long_lines += 1
        longest = max(longest, (len(line), -lineno))
        yield from _pieces(line, limit)
    if long_lines:
        warnings.warn(f"{name}: {long_lines:,} line(s) longer than {limit:,} characters were read in pieces of "
                      f"at most {limit:,}, each as a line of its own (the longest, line {-longest[1]:,}, has "
                      f"{longest[0]:,})", stacklevel=2)


def _pieces(line: str, limit: int) -> Iterator[str]:
    start = 0
    while len(line) - start > limit:
        cut = line.rfind(" ", start + limit // 2, start + limit + 1)
        cut = cut if cut > start else start + limit
        yield line[start:cut]
        start = cut + (line[cut:cut + 1] == " ")
    yield line[start:]
