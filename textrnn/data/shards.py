"""Tokenize a cached corpus in shards of rows on every core the process may use; a stopped run starts again
from the shards it finished.

    rows [0, N) --plan--> [0, s) [s, 2s) ... [ks, N)            s fixed by N alone (not by the core count)
                --workers--> tok-<key>.shards/000000000000-000000010000.arrow ...
                             (each written under a temporary name and renamed when whole)
                --merge--> tok-<key>.arrow                        (in row order; the shard folder is removed)

So the run is restartable, not resumable: Ctrl-C, SIGKILL or a full disk loses the shards being written
(at most one per process), never a finished one, and a run on another number of cores reuses them too.
A corpus that fits in one shard is written straight to the cache file, in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from textrnn.data.progress import Report
from textrnn.data.tokenize_worker import Job, Span, write_shard
from textrnn.errors import CorpusError

if TYPE_CHECKING:
    import datasets

SHARD_ROWS = 10_000  # fewest rows in a shard: what a killed process loses at most, on a small corpus
MAX_SHARDS = 1024  # a larger corpus gets larger shards, not more files
PARALLEL_ROWS = 50_000  # below this, one process: starting others costs more than it saves
MAX_WORKERS = 16  # each process holds a tokenizer of its own (a spaCy pipeline: tens of MB)


def plan(rows: int) -> list[Span]:
    """The shards of a corpus of `rows` rows: contiguous, in order, at least SHARD_ROWS each but the last."""
    size = max(SHARD_ROWS, -(-rows // MAX_SHARDS))
    return [(start, min(start + size, rows)) for start in range(0, rows, size)] or [(0, 0)]


def workers(rows: int, shards: int, asked: int | None = None) -> int:
    """Processes to tokenize `rows` rows in `shards` shards: one below PARALLEL_ROWS rows; else `asked`, or the
    cores this process may run on (its CPU affinity), lowered by --threads or OMP_NUM_THREADS, at most
    MAX_WORKERS; never more than the shards."""
    from textrnn.devices import available_cores, cpu_workers

    if rows < PARALLEL_ROWS:
        return 1
    n = asked or min(cpu_workers(), available_cores(), MAX_WORKERS)
    return max(1, min(n, shards))


def tokenize_to_file(ds: "datasets.Dataset", job: Job, final: Path, asked: int | None = None,
                     report: Report | None = None) -> None:
    """Write the token lists of every row of `ds` to the Arrow file `final`, in row order."""
    spans = plan(len(ds))
    what = f"tokenizing {job.column}"
    if len(spans) == 1:
        _in_process(ds, job, [(spans[0], final)], _Counter(what, 0, len(ds), report))
        return
    folder = final.with_suffix(".shards")
    with _locked(final.with_suffix(".lock")):
        if final.exists():  # another run finished it while this one waited for the lock
            return
        folder.mkdir(exist_ok=True)
        _clear_stale(folder)
        shards = [(span, folder / f"{span[0]:012d}-{span[1]:012d}.arrow") for span in spans]
        todo = [(span, path) for span, path in shards if not path.exists()]
        counter = _Counter(what, len(ds) - sum(b - a for (a, b), _ in todo), len(ds), report)
        n = workers(len(ds), len(todo), asked)
        if n > 1:
            _in_processes(ds, job, todo, n, counter)
        else:
            _in_process(ds, job, todo, counter)
        merge([path for _, path in shards], final)
        shutil.rmtree(folder, ignore_errors=True)


class _Counter:
    """Rows done so far (those of shards finished by an earlier run included), told to `report`."""

    def __init__(self, what: str, done: int, total: int, report: Report | None) -> None:
        self.what, self.done, self.total, self.report = what, done, total, report
        self.tell(0)

    def tell(self, new: int) -> None:
        if self.report is not None:
            self.report(self.what, self.done + new, self.total)


def _in_process(ds, job: Job, todo: list[tuple[Span, Path]], counter: _Counter) -> None:
    rows = 0

    def counted(n: int) -> None:
        nonlocal rows
        rows += n
        counter.tell(rows)

    for span, path in todo:
        write_shard(ds, job, span, path, counted)


def _in_processes(ds, job: Job, todo: list[tuple[Span, Path]], n: int, counter: _Counter) -> None:
    """`n` processes take the shards in turn; the parent watches them and reports their rows every 0.2 s. One
    failing or Ctrl-C here stops them all."""
    from multiprocessing.connection import wait

    ctx = _context()
    taken, rows, errors = ctx.Value("q", 0), ctx.Value("q", 0), ctx.SimpleQueue()
    args = (ds, job, todo, taken, rows, errors, os.getpid())
    from textrnn.data.tokenize_worker import work

    procs = [ctx.Process(target=work, args=args, daemon=True) for _ in range(n)]
    try:
        for p in procs:
            p.start()
        while any(p.exitcode is None for p in procs) and not any(p.exitcode for p in procs):
            wait([p.sentinel for p in procs if p.exitcode is None], timeout=0.2)
            counter.tell(rows.value)
    finally:
        for p in procs:
            if p.exitcode is None:
                p.terminate()
            p.join()
    _raise_failure(procs, errors)


def _raise_failure(procs, errors) -> None:
    codes = [p.exitcode for p in procs if p.exitcode]
    if not codes:
        return
    if not errors.empty():
        raise errors.get()
    how = f"was killed by signal {-codes[0]}" if codes[0] < 0 else f"ended with exit code {codes[0]}"
    raise CorpusError(f"a tokenizing process {how}",
                      hint="run again: the shards already tokenized are kept; --threads 1 tokenizes in one process")


def _context():
    """fork where it is safe and cheap (Linux): workers start at once with the corpus and tokenizer as they are;
    spawn elsewhere."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def merge(paths: list[Path], final: Path) -> None:
    """Concatenate the shard files into `final`, record batch by record batch (never a whole shard in memory)."""
    import pyarrow as pa

    from textrnn.writing import replaced

    with replaced(final) as tmp:
        writer = None
        for path in paths:
            with pa.memory_map(str(path)) as source:
                reader = pa.ipc.open_stream(source)
                writer = writer or pa.ipc.new_stream(str(tmp), reader.schema)
                for batch in reader:
                    writer.write_batch(batch)
        writer.close()


def _clear_stale(folder: Path) -> None:
    """Remove the half-written shards of processes that are gone (killed): `.NAME.arrow.tmp<pid>`."""
    from textrnn.atomic_dir import pid_alive

    for tmp in folder.glob("*.tmp*"):
        pid = tmp.name.rpartition(".tmp")[2]
        if not pid.isdigit() or not pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One run at a time tokenizes a corpus: a second waits, then reads what the first wrote. The kernel drops
    the lock when its holder dies, however it dies."""
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
