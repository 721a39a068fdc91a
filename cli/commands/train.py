"""`textrnn train lm|classify|translate`: one module per task (train_lm, train_classify, train_translate), sharing
train_common."""

from __future__ import annotations

import typer

app = typer.Typer(help="Train a model: a language model, a classifier or a translator.", no_args_is_help=True)


@app.callback()
def _each_run() -> None:
    """Train a model: a language model, a classifier or a translator."""
    from ..output import silence_other_ranks

    silence_other_ranks()  # under torchrun, rank 0 alone prints


def _register() -> None:
    from .train_classify import classify
    from .train_lm import lm
    from .train_translate import translate

    app.command("lm")(lm)
    app.command("classify")(classify)
    app.command("translate")(translate)


_register()
