"""Renderers per task: how predictions and evaluations look in a terminal, in a pipe and as JSON.

Each module offers `predictions(results, out, **options)` and `evaluation(result, out)`.
"""

from __future__ import annotations

from importlib import import_module

RENDERERS = {"lm": "lm", "classify": "classify", "translate": "translate"}


def renderer(task: str):
    return import_module(f"{__name__}.{RENDERERS[task]}")
