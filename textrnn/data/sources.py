"""Readers for the user's own data. Each yields rows as dicts of column name -> string.

Decoding policy (see textrnn.data.decode): files are read as UTF-8 (a leading BOM is dropped, CRLF and CR
line ends are accepted). An invalid byte is an error that names the file and line, unless `errors="replace"`
is asked for, in which case it becomes U+FFFD and a warning names the file and the number of lines affected.
"""

from __future__ import annotations

import csv
import json
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from textrnn.data.decode import bounded_lines, read_lines
from textrnn.errors import CorpusError, CorpusNotFound

FORMATS = ("txt", "csv", "tsv", "jsonl", "folder", "hf")
_BY_SUFFIX = {".txt": "txt", ".text": "txt", ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
              ".ndjson": "jsonl", ".json": "jsonl"}
# First-row cells that mark a header in a CSV/TSV file.
HEADER_NAMES = {"text", "label", "labels", "sentence", "sentences", "review", "content", "message", "sms", "class",
                "category", "sentiment", "source", "target", "src", "tgt", "english", "french", "en", "fr", "de",
                "es", "id", "title", "body", "document", "tweet", "comment", "polarity", "score", "rating",
                "v1", "v2", "translation", "input", "output"}


@dataclass(frozen=True)
class Source:
    """Where a corpus comes from and how to read it. `path` is a file, a folder, "-" (stdin) or "hf:NAME[:CONFIG]"."""

    path: str
    format: str | None = None  # None: from the suffix
    header: bool | None = None  # CSV/TSV: None means detect
    documents: bool = False  # txt: one example per file instead of per line
    errors: str = "strict"  # or "replace"
    split: str = "train"  # hf: which split
    streaming: bool = False  # hf: read the rows as they arrive (datasets' streaming) into the corpus cache
    extra: dict = field(default_factory=dict)

    @property
    def is_hub(self) -> bool:
        return self.path.startswith("hf:")

    def resolved_format(self) -> str:
        if self.format:
            return self.format
        if self.is_hub:
            return "hf"
        if self.path == "-":
            return "txt"
        p = Path(self.path)
        if p.is_dir():
            return "folder"
        return _BY_SUFFIX.get(p.suffix.lower(), "txt")


def read_rows(source: Source) -> Iterator[dict[str, str | None]]:
    """Rows of a local source (not `hf:`). Raises CorpusError for anything unreadable."""
    source = bundled_or_self(source)
    fmt = source.resolved_format()
    if source.path != "-" and not Path(source.path).exists():
        raise CorpusNotFound(f"no such file or folder: {source.path}", hint="check the path")
    if fmt == "folder":
        yield from _read_folder(Path(source.path), source.errors, source.documents)
    elif fmt == "txt":
        if source.documents and source.path != "-":
            yield {"text": "\n".join(_lines(source.path, source.errors))}
        else:
            for line in strip_gutenberg(bounded_lines(_lines(source.path, source.errors), _name(source.path))):
                yield {"text": line}
    elif fmt in ("csv", "tsv"):
        yield from _read_delimited(source, "\t" if fmt == "tsv" else ",")
    elif fmt == "jsonl":
        yield from _read_jsonl(source)
    else:
        raise CorpusError(f"unknown format {fmt!r}; valid formats: {', '.join(FORMATS)}")


def bundled_or_self(source: Source) -> Source:
    """A path that does not exist but names a bundled corpus (everyday-english ...) reads that corpus."""
    if source.is_hub or source.path == "-" or Path(source.path).exists():
        return source
    from textrnn.corpora import list_corpora

    for corpus in list_corpora():
        if corpus.name == source.path:
            path = corpus.files[0] if len(corpus.files) == 1 else corpus.files[0].parent
            return replace(source, path=str(path))
    return source


_lines = read_lines  # the name the readers below (and data/translate.py) use


def _name(path: str) -> str:
    return "<stdin>" if path == "-" else path


_GUTENBERG_START = ("*** START OF THE PROJECT GUTENBERG", "*** START OF THIS PROJECT GUTENBERG")
_GUTENBERG_END = ("*** END OF THE PROJECT GUTENBERG", "*** END OF THIS PROJECT GUTENBERG")
_HEADER_LOOKAHEAD = 400  # the Project Gutenberg header is a few dozen lines


def strip_gutenberg(lines: Iterator[str]) -> Iterator[str]:
    """Drop a Project Gutenberg header (up to its START line) and footer (from its END line) when present."""
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.upper().startswith(_GUTENBERG_START):
            head = []
            break
        if len(head) >= _HEADER_LOOKAHEAD:
            break
    for line in head:
        yield line
    for line in lines:
        if line.upper().startswith(_GUTENBERG_END):
            return
        yield line


def _read_folder(root: Path, errors: str, documents: bool) -> Iterator[dict[str, str | None]]:
    """A folder of folders, one per label (aclImdb layout), each .txt file one example; or a folder of
    .txt files read line by line (or one document per file, with `documents`) in name order."""
    subdirs = sorted(d for d in root.iterdir() if d.is_dir() and any(d.glob("*.txt")))
    if subdirs:
        for d in subdirs:
            for f in sorted(d.glob("*.txt")):
                yield {"text": "\n".join(_lines(str(f), errors)), "label": d.name}
        return
    files = sorted(root.glob("*.txt"))
    if not files:
        raise CorpusError(f"{root}: no .txt files in the folder or its label subfolders")
    for f in files:
        if documents:
            yield {"text": "\n".join(_lines(str(f), errors))}
        else:
            yield from ({"text": line} for line in strip_gutenberg(bounded_lines(_lines(str(f), errors), str(f))))


def _looks_like_header(cells: list[str]) -> bool:
    return any(c.strip().lower() in HEADER_NAMES for c in cells) and all(
        0 < len(c.strip()) <= 40 and c.strip().replace("_", " ").replace("-", " ").replace(" ", "").isalnum()
        for c in cells)


def _read_delimited(source: Source, delimiter: str) -> Iterator[dict[str, str | None]]:
    name = _name(source.path)
    lines = _lines(source.path, source.errors)
    if delimiter == "\t":
        # Tab-separated files are split on tabs, never unquoted: a stray quote must not swallow rows.
        records = ((n, line.split("\t")) for n, line in enumerate(lines, 1))
    else:
        records = _csv_records(lines, name)
    columns: list[str] | None = None
    for lineno, cells in records:
        if not any(c.strip() for c in cells):
            continue  # blank line
        if columns is None:
            header = source.header if source.header is not None else _looks_like_header(cells)
            columns = [c.strip() for c in cells] if header else [str(i) for i in range(len(cells))]
            if header:
                continue
        if len(cells) != len(columns):
            raise CorpusError(f"{name}, line {lineno}: expected {len(columns)} "
                              f"{'tab' if delimiter == chr(9) else 'comma'}-separated columns, found {len(cells)}")
        yield dict(zip(columns, cells))


# Python's csv refuses fields over 128 KiB by default; a field is part of a line already held in memory, and a
# long review or article is data, so the limit is the largest the platform takes.
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


def _csv_records(lines: Iterator[str], name: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) per CSV record. Strict quoting: a quote opened and never closed would
    otherwise swallow every line after it into one field, and text after a closing quote would be glued on."""
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader((line + "\n" for line in lines), strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "end of data" in str(e):
                raise CorpusError(f"{name}, line {start}: a quoted field opened on this line is never closed "
                                  f"(it runs to the end of the file, line {reader.line_num})",
                                  hint='close the quote; a quote inside a quoted field is written twice ("")') from None
            raise CorpusError(f"{name}, line {reader.line_num}: malformed CSV ({e})",
                              hint='a field with a quote in it is quoted whole, its quotes doubled: "say ""hi"""') \
                from None
        yield start, row
        start = reader.line_num + 1


def _read_jsonl(source: Source) -> Iterator[dict[str, str | None]]:
    """Rows with the union of the keys of all objects (a key missing from a row is None there)."""
    if source.path == "-":  # stdin is read once: keep its objects for the second pass
        objects = list(_json_objects(source))
        columns = dict.fromkeys(k for obj in objects for k in obj)
    else:
        with warnings.catch_warnings():  # the second pass warns about replaced bytes, once
            warnings.simplefilter("ignore")
            columns = dict.fromkeys(k for obj in _json_objects(source) for k in obj)
        objects = _json_objects(source)
    for obj in objects:
        yield {k: as_text(obj.get(k)) for k in columns}


def _json_objects(source: Source) -> Iterator[dict]:
    name = _name(source.path)
    for lineno, line in enumerate(_lines(source.path, source.errors), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusError(f"{name}, line {lineno}: not valid JSON ({e.msg})") from None
        except RecursionError:
            raise CorpusError(f"{name}, line {lineno}: JSON nested too deeply to read",
                              hint="a row is one object of text fields, as {\"text\": \"...\", \"label\": \"...\"}") \
                from None
        if not isinstance(obj, dict):
            raise CorpusError(f"{name}, line {lineno}: expected a JSON object, found {type(obj).__name__}")
        yield obj


def as_text(value) -> str | None:
    """A cell as text: None and strings as they are, numbers as written, lists and objects as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
