"""The Typer app: one sub-app per noun, one module per command, one error boundary."""

from __future__ import annotations

import warnings
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from .errors import debug, exit_code_for, render_error
from .output import stdout_closed, warn


class ErrorBoundary(TyperGroup):
    """Turns textrnn's typed errors into one line and an exit code, for every command below the root."""

    def invoke(self, ctx):
        warnings.showwarning = lambda message, *args, **kwargs: warn(str(message))
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`textrnn generate | head -1`): it has all it wanted
            stdout_closed()
            raise typer.Exit(0) from None
        except Exception as exc:
            if debug() or exit_code_for(exc) is None:
                raise
            raise typer.Exit(render_error(exc)) from None


app = typer.Typer(cls=ErrorBoundary, help="Train and run recurrent neural networks on text.",
                  no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode="rich")


def _version(value: bool) -> None:
    if value:
        from textrnn._version import __version__

        typer.echo(f"textrnn {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None) -> None:
    """Train and run recurrent neural networks on text: next-word prediction, generation,
    classification and translation.

    Example: textrnn predict "I love eating"
    """


def _register() -> None:
    from .commands import corpora, evaluate, generate, gradients, info, predict, shrink, tokenize, trace, train, vocab

    app.command()(tokenize.tokenize)
    app.add_typer(vocab.app, name="vocab")
    app.command()(info.info)
    app.add_typer(corpora.app, name="corpora")
    app.add_typer(train.app, name="train")
    app.command()(predict.predict)
    app.command()(generate.generate)
    app.command()(evaluate.evaluate)
    app.command()(shrink.shrink)
    app.command()(trace.trace)
    app.command()(gradients.gradients)


_register()


def main() -> None:
    app(prog_name="textrnn")
