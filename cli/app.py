"""The Typer app: one sub-app per noun, one module per command, one error boundary."""

from __future__ import annotations

import sys
import warnings
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from .errors import debug, exit_code_for, render_error, render_usage_error
from .output import stdout_closed, warn

try:  # Typer vendors its own Click since 0.2x; before, it used Click's
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older Typer
    from click.exceptions import UsageError


def _one_line(exc: UsageError) -> typer.Exit:
    """The exit after saying a usage error in one line; Click's way of showing a group's help when no command
    is given (`textrnn`, `textrnn train`) is raised again as it is."""
    if type(exc).__name__ == "NoArgsIsHelpError":
        raise exc
    return typer.Exit(render_usage_error(exc))


class ErrorBoundary(TyperGroup):
    """Turns textrnn's typed errors, and Click's usage errors (an unknown option or command, a value that is not
    a number, a missing argument), into one line and an exit code, for every command below the root."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:  # the root's own options (`textrnn --bogus`)
            raise _one_line(exc) from None

    def invoke(self, ctx):
        warnings.showwarning = lambda message, *args, **kwargs: warn(str(message))
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except UsageError as exc:  # a command's options and arguments, or a command that does not exist
            raise _one_line(exc) from None
        except BrokenPipeError:  # the reader went away (`textrnn generate | head -1`): it has all it wanted
            stdout_closed()
            raise typer.Exit(0) from None
        except Exception as exc:
            if debug() or exit_code_for(exc) is None:
                raise
            raise typer.Exit(render_error(exc)) from None


def _version(value: bool) -> None:
    if value:
        from textrnn._version import __version__

        typer.echo(f"textrnn {__version__}")
        raise typer.Exit()


def root(version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None) -> None:
    """Train and run recurrent neural networks on text: next-word prediction, generation,
    classification and translation.

    Example: textrnn predict "I love eating"
    """


def _commands() -> dict:
    """name -> how to add it to an app: a command, or a sub-app (a noun with commands of its own)."""
    from .commands import corpora, evaluate, generate, gradients, info, predict, shrink, tokenize, trace, train, vocab

    def command(fn):
        return lambda app: app.command()(fn)

    def group(sub, name):
        return lambda app: app.add_typer(sub, name=name)

    return {"tokenize": command(tokenize.tokenize), "vocab": group(vocab.app, "vocab"), "info": command(info.info),
            "corpora": group(corpora.app, "corpora"), "train": group(train.app, "train"),
            "predict": command(predict.predict), "generate": command(generate.generate),
            "evaluate": command(evaluate.evaluate), "shrink": command(shrink.shrink), "trace": command(trace.trace),
            "gradients": command(gradients.gradients)}


COMMANDS = _commands()


def build(only: str | None = None) -> typer.Typer:
    """The app with every command, or with only the command `only`: Typer turns each command's signature into
    Click's options at every start (about 50 ms of CPU for all of them, 5 for one), so a start that names its
    command builds that one alone; it parses and helps as the whole app does."""
    built = typer.Typer(cls=ErrorBoundary, help="Train and run recurrent neural networks on text.",
                        no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode="rich")
    built.callback()(root)
    for name, add in COMMANDS.items():
        if only in (None, name):
            add(built)
    return built


app = build()


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else None
    (build(name) if name in COMMANDS else app)(prog_name="textrnn")
