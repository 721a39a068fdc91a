"""Where a trace's picture or page may be written: checked before the (slower) trace is made."""

from __future__ import annotations

from pathlib import Path

from textrnn.errors import InputError


def target(path: str | Path) -> Path:
    """`path` as a Path, if a file can be written there: its folder exists and it is not itself a folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a directory", hint="give a file name inside it")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: the folder {path.parent} does not exist",
                         hint="create it first, or choose another path")
    return path
