"""`textrnn evaluate MODEL DATA`: the model's figures on data it was not trained on."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import options as opt
from ..output import Output


def evaluate(
    model: Annotated[str, typer.Argument(help="A model directory or a bundled model's name.")],
    data: Annotated[str, typer.Argument(help="Evaluation data: a file, folder, '-', or hf:NAME.")],
    beam: Annotated[int, typer.Option("--beam", help="Translation: beam size (1: greedy).")] = 5,
    encoding_errors: opt.EncodingErrors = "strict",
    split: opt.Split = "test",
    device: opt.Device = "cpu",
    as_json: opt.Json = False,
) -> None:
    """Evaluate a model: perplexity for a language model, accuracy and F1 for a classifier, BLEU for a translator.

    Example: textrnn evaluate everyday-english corpora/everyday-english
    """
    from textrnn.api import evaluate as run
    from textrnn.data.sources import Source

    from ..render import renderer

    task, result = run(model, Source(data, errors=encoding_errors, split=split), beam=beam, device=device)
    renderer(task).evaluation(result, Output(as_json))
