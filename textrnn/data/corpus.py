"""Load a corpus into a memory-mapped `datasets.Dataset`, and tokenize it once, with a cache on disk.

    source (file | folder | stdin | hf:NAME) --rows--> <cache>/rows-<key>.arrow   (memory-mapped)
                                              --tokenize--> <cache>/tok-<key>.arrow (reused next run)

The token file holds the token column alone, joined to the rows as a second memory-mapped table; a large
corpus is tokenized in shards on every core (shards.py).

A cache key covers the file's path, size and modification time, the reader options and the tokenizer
spec, so a changed file or another tokenizer is read again and nothing stale is ever used.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import asdict
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from textrnn._version import __version__
from textrnn.data.sources import Source, bundled_or_self, read_rows
from textrnn.errors import CorpusError, HubError, TextrnnError

if TYPE_CHECKING:
    import datasets

    from textrnn.data.progress import Report
    from textrnn.text import Tokenizer

_BATCH = 10_000  # rows per Arrow record batch while writing


def cache_dir() -> Path:
    """Where tokenized corpora live: $TEXTRNN_CACHE, else ~/.cache/textrnn."""
    root = os.environ.get("TEXTRNN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "textrnn")
    path = Path(root) / "corpora"
    with cache_writes(path):
        path.mkdir(parents=True, exist_ok=True)
    return path


def cache_writes(path: Path | None = None):
    """Around a write to the corpus cache: a full disk or a read-only cache folder is one OutputError."""
    from textrnn.writing import writing

    return writing(path or cache_dir(), hint="free some space, or set TEXTRNN_CACHE to a folder with room")


def _key(*parts: object) -> str:
    blob = json.dumps([__version__, *parts], sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def _source_key(source: Source) -> str | None:
    """A key for a local file or folder; None for stdin (never cached)."""
    if source.path == "-":
        return None
    return _key("rows", asdict(source), _stamp(Path(source.path).resolve()))


def _stamp(p: Path) -> list[tuple[str, int, int]]:
    """Path, size and modification time of a file, or of every file under a folder: a change reads it again."""
    files = sorted(p.rglob("*")) if p.is_dir() else [p]
    return [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file()]


def load_corpus(source: Source | str) -> "datasets.Dataset":
    """All rows of a corpus as a Dataset of string columns. Raises CorpusError when it is empty."""
    import datasets

    source = Source(source) if isinstance(source, str) else source
    datasets.disable_progress_bars()
    if source.is_hub:
        ds = _stream_hub(source) if source.streaming else _load_hub(source)
    else:
        source = bundled_or_self(source)  # key a bundled corpus by its files, not its name
        key = _source_key(source)
        path = cache_dir() / f"rows-{key}.arrow"
        if key and path.exists():
            ds = datasets.Dataset.from_file(str(path))
        elif key:
            _write_arrow(read_rows(source), path)
            ds = datasets.Dataset.from_file(str(path))
        else:
            ds = datasets.Dataset.from_list(list(read_rows(source)))
    if len(ds) == 0:
        raise CorpusError(f"{source.path}: the corpus is empty", hint="give a file with at least one example")
    if _all_blank(ds):
        raise CorpusError(f"{source.path}: the corpus is empty: its {len(ds):,} row(s) hold only blanks "
                          "(spaces, byte-order marks, zero-width spaces)", hint="give a file with at least one example")
    return ds


def _all_blank(ds: "datasets.Dataset") -> bool:
    """Whether no value of any row has text left once normalized. Stops at the first that has (row 1, mostly)."""
    from textrnn.text.normalize import is_blank

    for batch in ds.iter(batch_size=1000):
        for values in batch.values():
            if any(not is_blank(v) if isinstance(v, str) else v is not None for v in values):
                return False
    return True


def _write_arrow(rows, path: Path) -> None:
    """Stream rows into an Arrow file (written beside, then renamed, so a crash leaves no half file)."""
    import pyarrow as pa

    tmp = path.with_suffix(f".tmp{os.getpid()}")
    writer = None
    batch: list[dict] = []
    columns: list[str] | None = None
    try:
        with cache_writes():
            for row in rows:
                if columns is None:
                    columns = list(row)
                batch.append(row)
                if len(batch) >= _BATCH:
                    writer = _flush(batch, columns, tmp, writer)
                    batch = []
            writer = _flush(batch, columns or ["text"], tmp, writer, final=True)
            writer.close()
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _flush(batch, columns, tmp, writer, final=False):
    import pyarrow as pa

    schema = pa.schema([(c, pa.string()) for c in columns])
    if writer is None:
        writer = pa.ipc.new_stream(str(tmp), schema)
    if batch or not final:
        table = pa.Table.from_pydict({c: [r.get(c) for r in batch] for c in columns}, schema=schema)
        writer.write_table(table)
    return writer


def tokenize_corpus(ds: "datasets.Dataset", column: str, tokenizer: "Tokenizer", out_column: str = "tokens",
                    workers: int | None = None, report: "Report | None" = None) -> "datasets.Dataset":
    """`ds` with a column of token lists added; cached beside the corpus so a second run does not tokenize again.

    A large corpus is tokenized in shards on every core the process may use (textrnn/data/shards.py), and a
    stopped run starts again from the shards it finished. `workers`: how many processes (default: the cores,
    lowered by --threads). `report(what, done, total)` hears of the rows done (default: the function of the
    enclosing `textrnn.data.progress.reporting` block)."""
    import datasets

    from textrnn.data import progress, shards
    from textrnn.data.tokenize_worker import Job, tokenize_batch

    column = pick_column(ds, column)
    job = Job(tokenizer.spec, column, out_column)
    if out_column in ds.column_names:
        ds = ds.remove_columns([out_column])
    if not ds.cache_files:  # read from stdin: in memory, never cached
        return ds.map(tokenize_batch, fn_kwargs={"spec": job.spec, "column": column, "out": out_column},
                      batched=True, batch_size=1000)
    key = _key("tokens", [f["filename"] for f in ds.cache_files], tokenizer.spec, column, out_column)
    path = cache_dir() / f"tok-{key}.arrow"
    if not path.exists():
        with cache_writes():
            shards.tokenize_to_file(ds.select_columns([column]), job, path, workers, report or progress.current())
    return datasets.concatenate_datasets([ds, datasets.Dataset.from_file(str(path))], axis=1)


def token_lists(ds: "datasets.Dataset", column: str = "tokens") -> Iterator[list[str]]:
    """The token lists of a tokenized corpus, read in batches (the whole column is never one Python list)."""
    for batch in ds.iter(batch_size=10_000):
        yield from batch[column]


def pick_column(ds: "datasets.Dataset", column: str | int) -> str:
    """A column by name, or by 0-based index (for files without a header). Lists the columns when absent."""
    from textrnn.errors import ColumnError

    names = ds.column_names
    if str(column) in names:
        return str(column)
    if str(column).isdigit() and int(column) < len(names):
        return names[int(column)]
    raise ColumnError(f"no column {column!r}; columns found: {some_names(names)}",
                      hint="choose a column by name or by 0-based index")


def some_names(names: list[str], k: int = 20) -> str:
    """The first k column names and how many there are in all: a file of 5,000 columns gets one short line."""
    shown = ", ".join(names[:k])
    return shown if len(names) <= k else f"{shown} ... ({len(names):,} columns)"


def _load_hub(source: Source, **options) -> "datasets.Dataset":
    """`hf:NAME[:CONFIG]` through `datasets.load_dataset`; a local folder path works too.

    When the hub cannot be reached within a few seconds, datasets is switched to offline mode so that a
    cached copy still loads and an uncached one fails at once instead of retrying for minutes.
    """
    import datasets

    name, config = _hub_name(source)
    if not Path(name).exists() and not _hub_reachable():
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"
        datasets.config.HF_HUB_OFFLINE = True
        datasets.config.HF_DATASETS_OFFLINE = True
    try:
        return datasets.load_dataset(name, config or None, split=source.split, **options)
    except Exception as e:  # datasets raises many types: connection, file-not-found, value errors
        raise _hub_error(name, e) from e


def _hub_name(source: Source) -> tuple[str, str]:
    name, _, config = source.path[3:].partition(":")
    if not name:
        raise HubError("hf: needs a dataset name, as in hf:imdb or hf:glue:sst2")
    return name, config


def _hub_error(name: str, e: Exception) -> HubError:
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    reason = "the hub cannot be reached and it is not in the local cache" if offline else str(e).splitlines()[0]
    return HubError(f"cannot load Hugging Face dataset {name!r}: {reason}",
                    hint="check the name and your network, or use a local file")


def _stream_hub(source: Source) -> "datasets.Dataset":
    """`hf:NAME[:CONFIG]` read with datasets' streaming: the rows go into the corpus cache as they arrive
    (memory stays flat, and datasets keeps no copy of its own), written once per name, config and split (for
    a local folder: per its files' sizes and times). Values become text as a file's would (numbers as
    written, nested ones as JSON, a ClassLabel's numbers as its names). Delete the cache (TEXTRNN_CACHE) to
    read a changed remote dataset again."""
    import datasets

    from textrnn.data.sources import as_text

    name, config = _hub_name(source)
    stamp = _stamp(Path(name).resolve()) if Path(name).exists() else []
    path = cache_dir() / f"rows-{_key('hub-stream', name, config, source.split, stamp)}.arrow"
    if not path.exists():
        rows = _load_hub(source, streaming=True)
        features = getattr(rows, "features", None) or {}
        names = {k: f.names for k, f in features.items() if getattr(f, "names", None)}  # ClassLabel columns

        def text(column: str, value):  # a ClassLabel's number as its name (-1, no label: None), as label_strings
            if column in names and isinstance(value, int):
                return names[column][value] if 0 <= value < len(names[column]) else None
            return as_text(value)

        try:
            _write_arrow(({k: text(k, v) for k, v in row.items()} for row in rows), path)
        except TextrnnError:  # a full disk or an unwritable cache: OutputError
            raise
        except Exception as e:  # a stream fails as it is read: connection, format and decoding errors
            raise _hub_error(name, e) from e
    return datasets.Dataset.from_file(str(path))


def _hub_reachable(timeout: float = 3.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False
