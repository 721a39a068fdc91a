"""`textrnn trace`: watch a trained model read a text, token by token."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import options as opt
from ..output import Output


def trace(
    text: Annotated[str, typer.Argument(help="The text to read; '-' reads it from stdin.")],
    model: opt.Model = None,
    gates: Annotated[bool, typer.Option(
        "--gates", help="LSTM: mean forget/input/output gate per step; GRU: update/reset gate.")] = False,
    all_layers: Annotated[bool, typer.Option("--all-layers", help="Show every layer, not only the top one.")] = False,
    k: Annotated[int, typer.Option("-k", "--top", help="Language models, translators: next words per step.")] = 3,
    all_tokens: Annotated[bool, typer.Option(help="Language models: include punctuation among next tokens.")] = False,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="Save a PNG heatmap of units by steps, with the predictions under each step.")] = None,
    html: Annotated[Optional[Path], typer.Option(
        "--html", help="Save a self-contained page that plays the reading step by step.")] = None,
    device: opt.Device = "cpu",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No notes on stderr.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure of every step as JSON.")] = False,
) -> None:
    """Trace a model reading TEXT: for every token, the hidden state after it, how much it changed, and what
    the model would say there (next words, class probabilities, or a translator's attention).

    Example: textrnn trace "I love eating" --gates
    """
    from textrnn.errors import InputError
    from textrnn.inspect import trace as run
    from textrnn.inspect.files import target

    from ..render.trace import show
    from .predict import DEFAULT_MODEL

    if text == "-":
        if sys.stdin.isatty():
            raise InputError("no text on stdin", hint='pipe a text in, or give it: textrnn trace "I love eating"')
        text = sys.stdin.read().rstrip("\r\n")
    if k < 1:
        raise InputError(f"-k must be at least 1, got {k}")
    for path in (plot, html):
        if path is not None:
            target(path)  # checked before the trace is made, not after
    result = run(text, model or DEFAULT_MODEL, gates=gates or html is not None, k=k, all_tokens=all_tokens,
                 device=device)
    show(result, Output(as_json), all_layers=all_layers, gates=gates, plot=plot, html=html, quiet=quiet)
