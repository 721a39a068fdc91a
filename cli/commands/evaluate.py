"""`textrnn evaluate MODEL DATA`: the model's figures on data it was not trained on."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from textrnn.errors import InputError

from .. import options as opt
from ..output import Output
from .common import check_pair


def evaluate(
    model: Annotated[str, typer.Argument(help="A model directory or a bundled model's name.")],
    data: Annotated[Optional[str], typer.Argument(
        help="Evaluation data: a file, folder, '-', or hf:NAME (translation: or --src-file with --tgt-file).")] = None,
    src_file: opt.SrcFile = None,
    tgt_file: opt.TgtFile = None,
    beam: Annotated[int, typer.Option("--beam", help="Translation: beam size (1: greedy).")] = 5,
    data_format: opt.DataFormat = "auto",
    text_column: opt.TextColumn = None,
    label_column: opt.LabelColumn = None,
    label_map: opt.LabelMap = None,
    with_models: opt.With = None,
    encoding_errors: opt.EncodingErrors = "strict",
    split: opt.Split = "test",
    device: opt.Device = "cpu",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    as_json: opt.Json = False,
) -> None:
    """Evaluate a model: perplexity for a language model, accuracy and F1 for a classifier, BLEU for a translator.

    A classifier's data is read as `train classify` reads it: --format, --text-column, --label-column.

    --label-map renames the data's labels to the model's.

    --with adds classifiers whose class probabilities are averaged with the model's (an ensemble).

    Example: textrnn evaluate everyday-english corpora/everyday-english

    Example: textrnn evaluate sentiment ../shared/data/sst2/stsa.binary.dev --label-map 0=neg,1=pos
    """
    from textrnn.api import evaluate as run
    from textrnn.data.classify import split_format

    from ..progress import tokenizing
    from ..render import renderer

    fmt, layout = split_format(data_format)
    with tokenizing():
        task, result = run(model, _source(data, src_file, tgt_file, fmt, encoding_errors, split), beam=beam,
                           device=device, text_column=text_column, label_column=label_column, layout=layout,
                           label_map=label_map, also=with_models)
    renderer(task).evaluation(result, Output(as_json))


def _source(data, src_file, tgt_file, fmt, errors: str, split: str):
    """What to evaluate on: one file (folder, stdin, hf:NAME), or two aligned translation files."""
    from textrnn.data.sources import Source
    from textrnn.data.translate import ParallelSource

    if not check_pair(data, src_file, tgt_file, ("DATA", "--src-file", "--tgt-file")):
        raise InputError("no evaluation data given", hint="textrnn evaluate MODEL DATA, or --src-file A --tgt-file B")
    if src_file:
        return ParallelSource(src_file=src_file, tgt_file=tgt_file, errors=errors)
    return Source(data, format=fmt, errors=errors, split=split)
