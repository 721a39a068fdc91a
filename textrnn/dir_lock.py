"""A lock on a training's output directory: one writer at a time, a lock left by a dead process taken over.

    parent/.NAME.lock      {"pid": 1234, "host": "box", "since": "2025-01-31 12:00:01"}

The file sits beside the directory, because the directory itself is replaced whole at every save. The lock
is an fcntl.flock on it: the kernel drops it when its process dies, however it dies (SIGKILL included), so
a file left by a killed run is stale by construction and the next run takes it over; the pid and host
written in it name the owner when a live lock refuses a second run.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from textrnn.atomic_dir import pid_alive
from textrnn.errors import OutputLockedError


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def output_lock(target: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock of `target` for the block; refuse with OutputLockedError while another process holds it."""
    target = Path(target)
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, target)
    try:
        _take_over(fd, target)
        yield target
    finally:
        path.unlink(missing_ok=True)  # before closing: a waiter on this inode sees it gone and starts again
        os.close(fd)


def _acquire(path: Path, target: Path) -> int:
    import fcntl

    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(fd)
            os.close(fd)
            raise OutputLockedError(
                f"{target} is being written by another training ({_describe(owner)})",
                hint="wait for it to finish, or choose another -o") from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # the holder removed the file as we opened it: lock the new one


def _take_over(fd: int, target: Path) -> None:
    """Write our pid and host; say so when the file names a process that died without releasing it."""
    previous = _owner(fd)
    if previous.get("pid") and previous.get("host") == socket.gethostname() and not pid_alive(previous["pid"]):
        warnings.warn(f"{target}: the training that held it ({_describe(previous)}) is gone; "
                      f"its lock is taken over", stacklevel=4)
    doc = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                      "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, doc, 0)


def _owner(fd: int) -> dict:
    try:
        doc = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _describe(owner: dict) -> str:
    if not owner.get("pid"):
        return "owner unknown"
    return f"pid {owner['pid']} on {owner.get('host', '?')}, since {owner.get('since', '?')}"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
