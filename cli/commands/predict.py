"""`textrnn predict`: the model's answer for each text, whatever its task."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import options as opt
from ..output import Output
from .common import texts_from

DEFAULT_MODEL = "everyday-english"


def predict(
    text: Annotated[Optional[list[str]], typer.Argument(help="Texts; none or '-' reads one per stdin line.")] = None,
    model: opt.Model = None,
    k: Annotated[int, typer.Option("-k", "--top", help="Language models: how many next words to show.")] = 5,
    all_tokens: Annotated[bool, typer.Option(help="Language models: include punctuation among next tokens.")] = False,
    beam: Annotated[int, typer.Option("--beam", help="Translation: beam size (1: greedy).")] = 5,
    attention: Annotated[bool, typer.Option("--attention", help="Translation: include attention weights in JSON.")] = False,
    show_attention: Annotated[bool, typer.Option(help="Translation: draw the alignment as a heat table.")] = False,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Translation: save the alignment heatmap PNG.")] = None,
    with_models: opt.With = None,
    device: opt.Device = "cpu",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    encoding_errors: opt.EncodingErrors = "strict",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No notes on stderr (unknown words, cut texts).")] = False,
    as_json: opt.Json = False,
) -> None:
    """Predict for each text: the next words (language model), the label (classifier) or the translation.

    Example: textrnn predict "I love eating"
    """
    from textrnn.api import predict as run

    from ..render import renderer
    from ..render.notes import PredictNotes

    name = model or DEFAULT_MODEL
    task, results = run(name, texts_from(text, errors=encoding_errors), k=k, all_tokens=all_tokens, beam=beam,
                        attention=attention or show_attention or plot is not None, device=device,
                        also=with_models)
    renderer(task).predictions(PredictNotes(task, quiet).watch(results), Output(as_json),
                               show_attention=show_attention, plot=plot, attention=attention)
