"""The Python API: what the CLI calls, dispatching on the task a model was saved with."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from textrnn import checkpoint
from textrnn.tasks import task_module


def _accepted(fn, options: dict[str, Any]) -> dict[str, Any]:
    """The options a task's function takes (each task uses its own subset of the CLI's options). Every option
    is checked against its range first, so a value out of range is refused even where the task ignores it."""
    from textrnn.ranges import RANGES, check

    for name, value in options.items():
        if name in RANGES:
            check(name, value)
    params = inspect.signature(fn).parameters
    return {k: v for k, v in options.items() if k in params}


def predict(model: str | Path, texts: Iterable[str], **options) -> tuple[str, Iterator[dict[str, Any]]]:
    """(task, results): next words, labels or translations for each text, in order."""
    task = checkpoint.read_config(model)["task"]
    module = task_module(task)
    _refuse_unaccepted(model, task, module.predict, options)
    return task, module.predict(model, texts, **_accepted(module.predict, options))


# Classifier options (the data's, --with), as the user wrote them: given for a model of another task, they are
# refused rather than dropped.
_CLASSIFIER_OPTIONS = {"text_column": "--text-column", "label_column": "--label-column",
                       "layout": "--format label-space", "label_map": "--label-map", "also": "--with"}


def _refuse_unaccepted(model: str | Path, task: str, fn, options: dict[str, Any]) -> None:
    from textrnn.errors import InputError
    from textrnn.tasks.common import TASK_NAMES

    params = inspect.signature(fn).parameters
    given = [flag for key, flag in _CLASSIFIER_OPTIONS.items() if options.get(key) is not None and key not in params]
    if given:
        raise InputError(f"{model} is a {TASK_NAMES.get(task, task)}: {', '.join(given)} is for classifiers",
                         hint="leave it out")


def evaluate(model: str | Path, source, **options) -> tuple[str, dict[str, Any]]:
    from textrnn.data.translate import ParallelSource
    from textrnn.tasks.common import check_task

    if isinstance(source, ParallelSource):  # aligned files are pairs: only a translator reads them
        check_task(model, "translate")
    task = checkpoint.read_config(model)["task"]
    module = task_module(task)
    _refuse_unaccepted(model, task, module.evaluate, options)
    return task, module.evaluate(model, source, **_accepted(module.evaluate, options))
