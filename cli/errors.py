"""The one error boundary: library exceptions -> one line on stderr and an exit code.

Ordered: the first class that matches wins, so subclasses come before their bases. Set TEXTRNN_DEBUG=1 to
see the traceback. Anything not listed here is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys

from textrnn import errors as E
from textrnn.training import Interrupted

# exception class -> (exit code, label)
ERROR_MAP: list[tuple[type[BaseException], int, str]] = [
    (Interrupted, 130, "interrupted"),
    (E.CorpusNotFound, 3, "not found"),
    (E.ModelNotFound, 3, "not found"),
    (E.ColumnError, 4, "data error"),
    (E.CorpusError, 4, "data error"),
    (E.FormatVersionError, 5, "model error"),
    (E.ModelError, 5, "model error"),
    (E.WrongTaskError, 5, "wrong model"),
    (E.OutputLockedError, 6, "output in use"),
    (E.OutputExistsError, 6, "output exists"),
    (E.OutputError, 6, "output error"),
    (E.HubError, 7, "hub error"),
    (E.TrainingError, 8, "training error"),
    (E.MissingDependencyError, 9, "missing dependency"),
    (E.UnknownNameError, 2, "error"),
    (E.ConfigError, 2, "error"),
    (E.InputError, 2, "error"),
    (E.TextrnnError, 1, "error"),
    (FileNotFoundError, 3, "not found"),
    (PermissionError, 3, "permission denied"),
    (IsADirectoryError, 3, "is a directory"),
]


def debug() -> bool:
    return os.environ.get("TEXTRNN_DEBUG", "") not in ("", "0")


def exit_code_for(exc: BaseException) -> tuple[int, str] | None:
    for cls, code, label in ERROR_MAP:
        if isinstance(exc, cls):
            return code, label
    return None


def render_error(exc: BaseException) -> int:
    """Write `textrnn: <label>: <message>` (and a hint) to stderr; return the exit code."""
    code, label = exit_code_for(exc) or (1, "error")
    message = str(exc) if not isinstance(exc, OSError) or not exc.filename else f"{exc.strerror}: {exc.filename}"
    hint = getattr(exc, "hint", "")
    line = f"textrnn: {label}: {message}" + (f" (hint: {hint})" if hint else "")
    from .output import SILENT

    if not SILENT:  # rank 0 of several training processes says it for them all
        print(line, file=sys.stderr)
    _tell_launcher(line)
    return code


def render_usage_error(exc) -> int:
    """A usage error of the command line (Click's UsageError: an unknown option or command, a value of the wrong
    type, a missing argument) as one line, with where its help is; exit code 2, as for any bad option."""
    below_root = exc.ctx.command_path.split(" ")[1:] if exc.ctx is not None else []
    where = " ".join(["textrnn", *below_root])  # the root is textrnn however it was started (tests: "root")
    return render_error(E.ConfigError(exc.format_message(), hint=f"see '{where} --help'"))


def _tell_launcher(line: str) -> None:
    """Under `--nproc` (cli/launch.py), leave this rank's line where the launcher reads it: it says the line of
    a rank that stopped when rank 0 did not say one."""
    folder = os.environ.get("TEXTRNN_LAUNCH_DIR")
    if folder:
        with contextlib.suppress(OSError), \
                open(os.path.join(folder, f"rank-{os.environ.get('RANK', '0')}.txt"), "w", encoding="utf-8") as f:
            f.write(line)
