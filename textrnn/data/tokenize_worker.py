"""What a tokenizing process runs: a batch of rows into token lists, a shard of rows into its own Arrow file.
Module-level, so that worker processes can import it; see textrnn/data/shards.py for how shards are planned."""

from __future__ import annotations

import json
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

BATCH = 1000  # rows tokenized and written at a time (a record batch of the shard file)


@dataclass(frozen=True)
class Job:
    """What to tokenize: the tokenizer's spec, the text column read and the token column written."""

    spec: dict[str, Any]
    column: str
    out: str


Span = tuple[int, int]  # rows [start, stop) of the corpus


@lru_cache(maxsize=8)
def _tokenizer(spec_json: str):
    from textrnn.text import tokenizer_from_spec

    return tokenizer_from_spec(json.loads(spec_json))


def tokenize_batch(batch: dict, spec: dict, column: str, out: str) -> dict:
    tok = _tokenizer(json.dumps(spec, sort_keys=True))
    return {out: list(tok.pipe(t or "" for t in batch[column]))}


def write_shard(ds: "datasets.Dataset", job: Job, span: Span, path: Path, on_rows: Callable[[int], None]) -> None:
    """Tokenize rows `span` of `ds` into the Arrow file `path` (one column `job.out` of string lists), a batch at
    a time. Written under a temporary name and renamed when whole: `path` exists only complete."""
    import pyarrow as pa

    from textrnn.writing import replaced

    schema = pa.schema([(job.out, pa.list_(pa.string()))])
    with replaced(path) as tmp, pa.ipc.new_stream(str(tmp), schema) as writer:
        for start in range(span[0], span[1], BATCH):
            stop = min(start + BATCH, span[1])
            tokens = tokenize_batch(ds[start:stop], job.spec, job.column, job.out)[job.out]
            writer.write_table(pa.table({job.out: tokens}, schema=schema))
            on_rows(stop - start)


class Orphaned(BaseException):
    """The process that started this worker is gone (killed): stop, leaving the unfinished shard unwritten."""


def work(ds: "datasets.Dataset", job: Job, todo: list[tuple[Span, Path]], taken, rows, errors, parent: int) -> None:
    """A worker process: take the next shard not yet taken (`taken`, a shared counter), write it, count its rows
    in `rows` (shared) as they are done, until none is left. An error goes to the `errors` queue and ends the
    process with exit code 1; Ctrl-C is left to the parent, which stops the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def counted(n: int) -> None:
        with rows.get_lock():
            rows.value += n
        if os.getppid() != parent:
            raise Orphaned

    try:
        while (i := _take(taken)) < len(todo):
            write_shard(ds, job, *todo[i], counted)
    except Orphaned:
        os._exit(1)
    except BaseException as e:  # anything: the parent re-raises it
        errors.put(portable(e))
        os._exit(1)


def _take(taken) -> int:
    with taken.get_lock():
        i = taken.value
        taken.value += 1
    return i


def portable(e: BaseException) -> BaseException:
    """`e` if it survives pickling into the parent, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:
        return RuntimeError(f"{type(e).__name__}: {e}")
