"""Replace a directory by another so that a crash at any instant leaves a complete one findable, and finish or
roll back a replacement that a crash interrupted.

    parent/
      NAME/                 the live directory
      .NAME.new-PID-XXXX/   the replacement, built by the caller (see `staging_dir`)
      .NAME.old-PID/        where the live directory goes when the two names cannot be exchanged at once
      .NAME.swap            the journal: JSON ["<new>", "<old>"], written before the first rename and removed
                            after the last clean-up

On Linux, renameat2(RENAME_EXCHANGE) swaps the two names in one step, so NAME always holds a complete
directory. Where it is missing (other systems, some file systems), two renames leave a moment without NAME;
the journal says where both directories are, and `recover` renames the newer one back under NAME. SIGINT is
held back until the swap and its clean-up are done, so Ctrl-C never lands between the renames.

A rename is only as durable as what it renames: the new directory's files and the directory itself are flushed
to the disk (fsync) before the swap, and the parent after it, so that a power cut cannot leave NAME pointing at
files the disk never received.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

AT_FDCWD, RENAME_EXCHANGE = -100, 2


def journal_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.swap")


def staging_dir(target: Path) -> Path:
    """A fresh hidden sibling of `target` to build its replacement in (its name carries our pid)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.new-{os.getpid()}-", dir=target.parent))


def sync(path: Path) -> None:
    """Flush a file's or a directory's contents (a directory: its entries) to the disk. A file system that
    cannot sync a directory (some network and FUSE ones) is left as it is."""
    folder = path.is_dir()
    if folder and os.name == "nt":  # Windows opens no directory as a file, and needs no flush of its entries
        return
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if folder else 0))
    try:
        os.fsync(fd)
    except OSError as err:
        if not folder or err.errno not in (22, 95):  # EINVAL, EOPNOTSUPP: cannot sync this directory
            raise
    finally:
        os.close(fd)


def sync_tree(root: Path) -> None:
    """Flush every file and folder under `root`, and `root` itself (deepest first)."""
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in files:
            sync(Path(folder, name))
        sync(Path(folder))


def replace_dir(new: Path, target: Path) -> None:
    """Put the complete directory `new` under the name `target`, replacing what is there."""
    recover(target)
    sync_tree(new)
    with _sigint_held():
        if not target.exists():
            os.replace(new, target)
            sync(target.parent)
            return
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        _write_journal(target, [new.name, old.name])
        if _exchange(new, target):  # `new` now holds the old directory
            leftovers = [new]
        else:
            os.replace(target, old)
            _rename_in(new, target)
            leftovers = [old]
        sync(target.parent)
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
        journal_path(target).unlink(missing_ok=True)


def remove_dir(target: Path) -> None:
    """Remove the directory `target` whole or not at all: it is renamed aside (`.NAME.old-PID`) in one step,
    then deleted, so a kill while deleting leaves no half of it under NAME (`recover` clears what is aside)."""
    recover(target)
    if not target.exists():
        return
    aside = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(aside, ignore_errors=True)
    os.replace(target, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _rename_in(new: Path, target: Path) -> None:
    try:
        os.replace(new, target)
    except FileNotFoundError:  # a reader that found NAME missing has just done this rename for us (`recover`)
        if not target.is_dir():
            raise


def recover(target: Path) -> None:
    """Finish or roll back an interrupted `replace_dir`, then clear what dead processes left beside `target`.

    With NAME present the swap is over (done, or never begun): the siblings in the journal are discarded.
    Without it, the first sibling that exists (the new directory, else the old one) goes back under NAME.
    """
    journal = journal_path(target)
    if journal.is_file():
        with _sigint_held():
            siblings = [target.with_name(n) for n in _read_journal(journal)]
            if not target.exists():
                back = next((s for s in siblings if s.is_dir()), None)
                if back is not None:
                    os.replace(back, target)
        for sibling in siblings:
            shutil.rmtree(sibling, ignore_errors=True)
        journal.unlink(missing_ok=True)
    _clear_dead_staging(target)


def _clear_dead_staging(target: Path) -> None:
    """Remove `.NAME.new-PID-*` and `.NAME.old-PID` folders whose process is gone (a kill while saving)."""
    if not target.parent.is_dir():
        return
    for kind in ("new", "old"):
        for path in target.parent.glob(f".{glob.escape(target.name)}.{kind}-*"):
            pid = path.name[len(f".{target.name}.{kind}-"):].split("-")[0]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def _write_journal(target: Path, names: list[str]) -> None:
    journal = journal_path(target)
    tmp = journal.with_name(journal.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(names, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, journal)


def _read_journal(journal: Path) -> list[str]:
    try:
        names = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # written by replace (never half-written); unreadable means not ours
        return []
    return [n for n in names if isinstance(n, str) and "/" not in n and n.startswith(".")]


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names in one step (Linux renameat2); False where the system cannot."""
    func = _renameat2()
    if func is None:
        return False
    if func(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    import ctypes

    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this file system or kernel cannot exchange
        return False
    raise OSError(errno, os.strerror(errno), str(b))


_RENAMEAT2: list = []


def _renameat2():
    if not _RENAMEAT2:
        func = None
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            func = getattr(libc, "renameat2", None)
            if func is not None:
                func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                func.restype = ctypes.c_int
        except (OSError, AttributeError):
            func = None
        _RENAMEAT2.append(func)
    return _RENAMEAT2[0]


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl-C back until the block is done, then deliver it (main thread only; elsewhere no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending and callable(previous):
            previous(signal.SIGINT, None)
