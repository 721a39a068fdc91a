"""How a long data step (tokenizing a large corpus) tells its caller how far it has come, without printing.

The caller names a function once around the work (`with reporting(fn): train(...)`), and every tokenization
inside calls `fn(what, done, total)` as rows are done: the CLI draws it on stderr, the library never does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

Report = Callable[[str, int, int], None]  # (what, rows done, rows in all)

_report: ContextVar[Report | None] = ContextVar("textrnn_report", default=None)


@contextlib.contextmanager
def reporting(report: Report | None) -> Iterator[None]:
    """Within this block, long data steps report their progress to `report` (None: to nobody)."""
    token = _report.set(report)
    try:
        yield
    finally:
        _report.reset(token)


def current() -> Report | None:
    """The function set by the innermost `reporting` block, if any."""
    return _report.get()
