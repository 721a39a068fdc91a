"""Where results go: Rich on a terminal, plain lines into a pipe, JSON lines with --json. Diagnostics on stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console

# stderr carries progress, notes and warnings; NO_COLOR is honoured by Rich itself.
err = Console(stderr=True, highlight=False)


class Output:
    def __init__(self, as_json: bool = False) -> None:
        self.as_json = as_json
        self.console = Console(highlight=False)
        self.rich = sys.stdout.isatty() and not as_json

    def json(self, obj: Any) -> None:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def line(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def print(self, renderable: Any) -> None:
        self.console.print(renderable)


def stdout_closed() -> None:
    """The reader of stdout has gone (`textrnn generate | head -1`), which is no error: point stdout at the null
    device, so that what is still buffered goes nowhere at exit instead of raising BrokenPipeError again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's captured output)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


SILENT = False  # a training process other than rank 0: it prints nothing, rank 0 speaks for them all


def silence_other_ranks() -> None:
    """In a training process other than rank 0 (torchrun; textrnn.distributed), send stdout, notes, warnings
    and one-line errors nowhere; a traceback (a bug) still reaches stderr."""
    global SILENT
    from textrnn.distributed import from_env

    if from_env().main:
        return
    SILENT = True
    stdout_closed()
    err.quiet = True


def note(message: str) -> None:
    err.print(f"[dim]note:[/dim] {message}" if err.is_terminal else f"note: {message}", markup=err.is_terminal,
              soft_wrap=True)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {message}" if err.is_terminal else f"warning: {message}",
              markup=err.is_terminal, soft_wrap=True)
