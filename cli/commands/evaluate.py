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
    data_format: opt.DataFormat = "auto",
    text_column: opt.TextColumn = None,
    label_column: opt.LabelColumn = None,
    label_map: opt.LabelMap = None,
    encoding_errors: opt.EncodingErrors = "strict",
    split: opt.Split = "test",
    device: opt.Device = "cpu",
    as_json: opt.Json = False,
) -> None:
    """Evaluate a model: perplexity for a language model, accuracy and F1 for a classifier, BLEU for a translator.

    A classifier's data is read as `train classify` reads it (--format, --text-column, --label-column);
    --label-map renames the data's labels to the model's.

    Example: textrnn evaluate everyday-english corpora/everyday-english

    Example: textrnn evaluate sentiment ../shared/data/sst2/stsa.binary.dev --label-map 0=neg,1=pos
    """
    from textrnn.api import evaluate as run
    from textrnn.data.classify import split_format
    from textrnn.data.sources import Source

    from ..render import renderer

    fmt, layout = split_format(data_format)
    task, result = run(model, Source(data, format=fmt, errors=encoding_errors, split=split), beam=beam,
                       device=device, text_column=text_column, label_column=label_column, layout=layout,
                       label_map=label_map)
    renderer(task).evaluation(result, Output(as_json))
