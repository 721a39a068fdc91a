"""Tasks: train / predict / evaluate for each job, built from the shared pieces (data, models, training).

TASKS maps the task key written in config.json to its module; every module offers `predict(model, texts,
**options)` and `evaluate(model, source, **options)`, so commands dispatch on the saved task.
"""

from __future__ import annotations

from importlib import import_module

from textrnn.errors import UnknownNameError

TASKS: dict[str, str] = {"lm": "textrnn.tasks.lm", "classify": "textrnn.tasks.classify",
                         "translate": "textrnn.tasks.translate"}


def task_module(task: str):
    try:
        return import_module(TASKS[task])
    except KeyError:
        raise UnknownNameError("task", task, list(TASKS)) from None
