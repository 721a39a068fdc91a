"""`textrnn train classify`: a text classifier for any labels (spam/ham, pos/neg, 1-5 ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from textrnn.tasks import defaults

from .. import STARTED
from ..launch import launch
from .. import options as opt


def classify(
    data: Annotated[str, typer.Argument(help="Labelled text: TSV/CSV/JSONL, 'label text' lines, a folder of "
                                             "label folders, '-', hf:NAME, or a bundled corpus.")],
    output: opt.Output,
    text_column: opt.TextColumn = None,
    label_column: opt.LabelColumn = None,
    data_format: opt.DataFormat = "auto",
    label_map: opt.LabelMap = None,
    tokenizer: opt.FromTokenizer = None,
    lang: opt.FromLang = None,
    lowercase: opt.Lowercase = False,
    max_length: Annotated[int, typer.Option(
        "--max-length", help="Longer texts keep N tokens (see --truncate); a note says how many were cut.")] = 400,
    truncate: Annotated[str, typer.Option(
        "--truncate", help="Which tokens a longer text keeps: head (its first N), tail (its last N) or head+tail "
                           "(the first quarter and the last three quarters: a review's verdict is often at its "
                           "end).")] = "head",
    fold_digits: Annotated[bool, typer.Option(
        "--fold-digits", help="Read every digit as 0, so unseen numbers (phone numbers, prices) share tokens.")] = False,
    encoder: Annotated[Optional[list[str]], typer.Option(
        "--encoder", help="Start the embedding and recurrent layers from this language model (a directory or "
                          "bundled name): its tokenizer, vocabulary and sizes are used. Twice, a forward and a "
                          "backward one (train lm --backward): a paired classifier reads each text both ways.")
    ] = None,
    cell: opt.FromCell = None,
    nonlinearity: opt.FromNonlinearity = None,
    layers: Annotated[Optional[int], typer.Option("--layers", help="Stacked recurrent layers (default: 1).")] = None,
    hidden_size: Annotated[Optional[int], typer.Option(
        "--hidden-size", help="Units per recurrent layer (default: 128).")] = None,
    embedding_size: opt.EmbeddingSize = None,
    bidirectional: Annotated[Optional[bool], typer.Option(
        help="Read the text in both directions (default: yes; no with --encoder).")] = None,
    pooling: Annotated[str, typer.Option(
        "--pooling", help="last, mean, max, attention, or concat (last, max and mean side by side), over the "
                          "states.")] = "max",
    dropout: opt.Dropout = 0.3,
    embedding_dropout: opt.EmbeddingDropout = 0.15,
    output_dropout: opt.OutputDropout = 0.3,
    word_dropout: Annotated[float, typer.Option(
        "--word-dropout", help="In training, hide each word (as <unk>) with this probability.")] = 0.0,
    subwords: Annotated[int, typer.Option(
        "--subwords", help="Add hashed character 3-5-gram vectors to each word's, in this many buckets (e.g. "
                           "20000; 0: off): unseen and misspelt words get a vector from their pieces.")] = 0,
    embeddings: Annotated[Optional[Path], typer.Option(
        "--embeddings", help="Initialise word vectors from a GloVe/word2vec text file (.txt or .gz).")] = None,
    class_weights: Annotated[bool, typer.Option(
        "--class-weights", help="Weigh the loss by inverse label frequency, for imbalanced labels.")] = False,
    epochs: opt.Epochs = defaults.CLASSIFY.epochs,
    batch_size: opt.BatchSize = defaults.CLASSIFY.batch_size,
    lr: opt.Lr = defaults.CLASSIFY.lr,
    optimizer: opt.Optimizer = defaults.CLASSIFY.optimizer,
    weight_decay: Annotated[float, typer.Option("--weight-decay", help="L2 penalty on the weights.")] = 0.0,
    layer_lr_decay: Annotated[float, typer.Option(
        "--layer-lr-decay", help="Each layer below the output learns this many times slower than the one above "
                                 "(ULMFiT uses 2.6 when fine-tuning an --encoder; 1: off).")] = 1.0,
    gradual_unfreeze: Annotated[bool, typer.Option(
        "--gradual-unfreeze", help="Epoch 1 trains only the output layer, each later epoch one layer more, from the "
                                   "top down (ULMFiT's gradual unfreezing, for an --encoder).")] = False,
    clip: opt.Clip = defaults.CLASSIFY.clip,
    seed: opt.Seed = 1234,
    device: opt.Device = "auto",
    precision: opt.Precision = "auto",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    patience: opt.Patience = defaults.CLASSIFY.patience,
    valid: opt.Valid = None,
    valid_fraction: opt.ValidFraction = 0.1,
    min_freq: opt.MinFreq = 1,
    max_vocab: opt.MaxVocab = 30_000,
    encoding_errors: opt.EncodingErrors = "strict",
    streaming: opt.Streaming = False,
    overwrite: opt.Overwrite = False,
    resume: opt.Resume = False,
    save_every: opt.SaveEvery = 0,
    save_every_minutes: opt.SaveEveryMinutes = 0.0,
    nproc: opt.Nproc = None,
    quiet: opt.Quiet = 0,
    as_json: opt.Json = False,
) -> None:
    """Train a classifier: early stopping on validation macro-F1, per-class F1 after every epoch.

    Example: textrnn train classify ../shared/data/sms-spam/train.tsv -o spam-model
    """
    launch(nproc)  # with --nproc N: this command again, in N processes (cli/launch.py)
    from textrnn.data.classify import split_format
    from textrnn.data.sources import Source
    from textrnn.tasks import classify as task

    from ..progress import RichProgress, tokenizing
    from ..render.classify import truncation_note
    from .train_common import render_summary, train_config

    fmt, layout = split_format(data_format)

    def source(path: str) -> Source:
        return Source(path, format=fmt, errors=encoding_errors, streaming=streaming)

    model = {"cell": cell, "nonlinearity": nonlinearity, "num_layers": layers, "hidden_size": hidden_size,
             "embedding_size": embedding_size, "bidirectional": bidirectional, "pooling": pooling,
             "dropout": dropout, "embedding_dropout": embedding_dropout, "output_dropout": output_dropout,
             "word_dropout": word_dropout,
             "subword_buckets": subwords}
    config = task.ClassifyDataConfig(tokenizer=tokenizer, lang=lang, lowercase=lowercase or None, min_freq=min_freq,
                                     max_vocab=max_vocab, max_length=max_length, truncate=truncate,
                                     fold_digits=fold_digits,
                                     valid_fraction=valid_fraction, text_column=text_column,
                                     label_column=label_column, layout=layout, label_map=label_map)
    with tokenizing(quiet):
        result = task.train(source(data), output, model, config,
                            train_config("classify", epochs, batch_size, lr, optimizer, clip, seed, device,
                                         patience, save_every, save_every_minutes, weight_decay, layer_lr_decay,
                                         gradual_unfreeze, precision=precision),
                            valid=source(valid) if valid else None, embeddings=embeddings, class_weights=class_weights,
                            encoder=encoder or None, callbacks=RichProgress.for_quiet(quiet), overwrite=overwrite,
                            resume=resume, started=STARTED)
    render_summary(result, as_json)
    truncation_note(result.summary["truncated_texts"], result.summary["max_length"])
