"""`textrnn info MODEL`: what a model is, read from its config.json without importing torch."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import options as opt
from ..output import Output


def info(
    model: Annotated[str, typer.Argument(help="A model directory or a bundled model's name.")],
    as_json: opt.Json = False,
) -> None:
    """Describe a model: task, architecture, size, vocabularies, training data and metrics.

    Example: textrnn info everyday-english
    """
    from textrnn.info import describe

    facts = describe(model)
    out = Output(as_json)
    if out.as_json:
        out.json(facts)
        return
    card = facts.pop("model_card", None)
    if not out.rich:
        for key, value in _flat(facts):
            out.line(f"{key}\t{value}")
        if card:
            out.line("\n" + card.rstrip())
        return
    from rich.markdown import Markdown
    from rich.table import Table

    table = Table(title=f"[bold]{facts['path']}[/bold]", show_header=False, show_edge=False)
    table.add_column(style="cyan")
    table.add_column()
    for key, value in _flat(facts):
        if key != "path":
            table.add_row(key, value)
    out.print(table)
    if card:
        out.print(Markdown(card))


def _flat(facts: dict, prefix: str = ""):
    for key, value in facts.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        elif isinstance(value, float):
            yield f"{prefix}{key}", f"{value:.4g}"
        elif isinstance(value, list):
            yield f"{prefix}{key}", ", ".join(map(str, value))
        else:
            yield f"{prefix}{key}", f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
