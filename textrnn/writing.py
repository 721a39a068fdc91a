"""Writing output: the system's refusals (a full disk, a read-only file system, a file where a folder should be)
become one OutputError that names what was being written.

What is written is never left half done: a model directory is built beside its target and swapped in
(atomic_dir), a file is written under a temporary name, flushed to the disk and renamed (`replace_file`), and a
failed write removes its temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from textrnn.errors import OutputError, TextrnnError

# Errors that only a write can meet: wherever they come from, they are a write that failed.
_NO_ROOM = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "the disk quota is used up",
            errno.EFBIG: "the file is larger than the file system or the file size limit allows",
            errno.EROFS: "the file system is read-only"}
_OS_ERROR = re.compile(r"\(os error (\d+)\)")  # how Rust (safetensors) reports an I/O error


def os_error(exc: BaseException) -> OSError | None:
    """The OSError behind `exc`: itself, or the one a Rust library (safetensors) put into its message."""
    if isinstance(exc, OSError):
        return exc
    match = _OS_ERROR.search(str(exc))
    if match is None:
        return None
    code = int(match.group(1))
    return OSError(code, os.strerror(code))


@contextlib.contextmanager
def writing(target: str | os.PathLike, hint: str = "choose another -o") -> Iterator[None]:
    """Turn a failed write into OutputError naming `target`. An error on `target` itself or a file beside it
    named after it (its lock, its staging folder) is always a write of it; elsewhere (the corpus cache) only
    the errors that a write alone can meet (disk full, read-only) are taken, and the file is named."""
    target = Path(target)
    try:
        yield
    except Exception as exc:
        err = None if isinstance(exc, TextrnnError) else os_error(exc)
        if err is None:
            raise
        ours = _concerns(err.filename, target)
        if not ours and err.errno not in _NO_ROOM:
            raise
        reason = _NO_ROOM.get(err.errno) or _reason(err, target)
        where = target if ours or err.filename is None else err.filename
        raise OutputError(f"cannot write {where}: {reason}", hint=hint) from exc


def _concerns(filename, target: Path) -> bool:
    """Whether `filename` is `target`, inside it, one of its folders, or one of its hidden siblings (.NAME.lock,
    .NAME.new-*)."""
    if filename is None:
        return False
    path = Path(os.fsdecode(filename))
    if path in target.parents:
        return True
    return any(p == target or (p.parent == target.parent and p.name.startswith(f".{target.name}."))
               for p in (path, *path.parents))


def _reason(err: OSError, target: Path) -> str:
    if err.errno in (errno.ENOTDIR, errno.EEXIST):  # a folder of the path is a file
        blocking = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        return f"{blocking} is a file" if blocking else "a part of the path is a file"
    if err.errno == errno.ENOENT:  # the parent exists (or was made) yet the name cannot be created: /proc, /sys
        return "the folder does not take new files"
    return (err.strerror or str(err)).lower()


@contextlib.contextmanager
def replaced(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` (`.NAME.tmp<pid>`) for the block to write: renamed over `path` when the
    block ends well, removed when it does not, so that `path` only ever exists whole."""
    from textrnn.atomic_dir import sync

    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        sync(tmp)  # on the disk before its name is (atomic_dir)
        os.replace(tmp, path)
        sync(path.parent)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def replace_file(path: str | os.PathLike, write: Callable[[Path], None], hint: str = "choose another -o") -> Path:
    """Write `path` whole or not at all: `write(tmp)` fills a sibling, renamed over `path` when it succeeded;
    a failed write leaves no temporary file behind."""
    path = Path(path)
    with writing(path, hint):
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced(path) as tmp:
            write(tmp)
    return path
