"""The Python API: what the CLI calls, dispatching on the task a model was saved with."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from textrnn import checkpoint
from textrnn.tasks import task_module


def _accepted(fn, options: dict[str, Any]) -> dict[str, Any]:
    """The options a task's function takes (each task uses its own subset of the CLI's options)."""
    params = inspect.signature(fn).parameters
    return {k: v for k, v in options.items() if k in params}


def predict(model: str | Path, texts: Iterable[str], **options) -> tuple[str, Iterator[dict[str, Any]]]:
    """(task, results): next words, labels or translations for each text, in order."""
    task = checkpoint.read_config(model)["task"]
    module = task_module(task)
    return task, module.predict(model, texts, **_accepted(module.predict, options))


def evaluate(model: str | Path, source, **options) -> tuple[str, dict[str, Any]]:
    task = checkpoint.read_config(model)["task"]
    module = task_module(task)
    return task, module.evaluate(model, source, **_accepted(module.evaluate, options))
