"""`textrnn train translate`: an attention encoder-decoder on sentence pairs."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from textrnn.tasks import defaults

from .. import STARTED
from ..launch import launch
from .. import options as opt

VALID = ("--valid", "--valid-src", "--valid-tgt")


def translate(
    output: opt.Output,
    data: Annotated[Optional[str], typer.Argument(
        help="Pairs: a TSV of source<TAB>target, a folder of them, JSONL, hf:NAME, or a bundled corpus.")] = None,
    src_file: opt.SrcFile = None,
    tgt_file: opt.TgtFile = None,
    reverse: Annotated[bool, typer.Option("--reverse", help="Swap the direction: translate the second column.")] = False,
    src_lang: Annotated[str, typer.Option("--src-lang", help="Language of the first column (spaCy code).")] = "en",
    tgt_lang: Annotated[str, typer.Option("--tgt-lang", help="Language of the second column (spaCy code).")] = "fr",
    src_column: Annotated[Optional[str], typer.Option("--src-column", help="JSONL/hf: source field.")] = None,
    tgt_column: Annotated[Optional[str], typer.Option("--tgt-column", help="JSONL/hf: target field.")] = None,
    tokenizer: opt.Tokenizer = "spacy",
    lowercase: opt.Lowercase = False,
    cell: Annotated[str, typer.Option("--cell", help="Recurrent cell: gru or lstm.")] = "gru",
    layers: opt.Layers = 1,
    hidden_size: opt.HiddenSize = 256,
    embedding_size: opt.EmbeddingSize = None,
    dropout: opt.Dropout = 0.2,
    embedding_dropout: opt.EmbeddingDropout = 0.2,
    output_dropout: opt.OutputDropout = 0.2,
    attention: Annotated[str, typer.Option("--attention", help="bahdanau (additive), dot or general (Luong).")] = "general",
    input_feed: Annotated[bool, typer.Option("--input-feed/--no-input-feed",
                                             help="Feed the last attentional state into the next step.")] = True,
    teacher_forcing: Annotated[float, typer.Option("--teacher-forcing", help="Share of gold inputs in epoch 1.")] = 1.0,
    teacher_forcing_decay: Annotated[float, typer.Option("--teacher-forcing-decay",
                                                         help="Lower the teacher-forcing ratio by this per epoch.")] = 0.0,
    label_smoothing: Annotated[float, typer.Option("--label-smoothing", help="Label smoothing of the loss.")] = 0.0,
    max_length: Annotated[int, typer.Option("--max-length", help="Leave out pairs with a longer side (tokens).")] = 50,
    max_pairs: Annotated[Optional[int], typer.Option("--max-pairs", help="Train on a seeded sample of this many pairs.")] = None,
    monitor: Annotated[str, typer.Option(
        "--monitor", help="Best epoch by validation loss (BLEU then measured once, on the best model) or bleu "
                          "(greedy BLEU decoded every epoch).")] = "loss",
    valid_bleu: Annotated[int, typer.Option(
        "--valid-bleu", help="Validation pairs translated greedily for val_bleu (0: none).")] = 500,
    epochs: opt.Epochs = defaults.TRANSLATE.epochs,
    batch_size: opt.BatchSize = defaults.TRANSLATE.batch_size,
    lr: opt.Lr = defaults.TRANSLATE.lr,
    optimizer: opt.Optimizer = defaults.TRANSLATE.optimizer,
    clip: opt.Clip = defaults.TRANSLATE.clip,
    seed: opt.Seed = 1234,
    device: opt.Device = "auto",
    precision: opt.Precision = "auto",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    patience: opt.Patience = defaults.TRANSLATE.patience,
    valid: opt.Valid = None,
    valid_src: opt.ValidSrc = None,
    valid_tgt: opt.ValidTgt = None,
    valid_fraction: opt.ValidFraction = 0.05,
    min_freq: opt.MinFreq = 1,
    max_vocab: opt.MaxVocab = 30_000,
    encoding_errors: opt.EncodingErrors = "strict",
    overwrite: opt.Overwrite = False,
    resume: opt.Resume = False,
    save_every: opt.SaveEvery = 0,
    save_every_minutes: opt.SaveEveryMinutes = 0.0,
    nproc: opt.Nproc = None,
    quiet: opt.Quiet = 0,
    as_json: opt.Json = False,
) -> None:
    """Train a translation model (attention encoder-decoder) on sentence pairs.

    Example: textrnn train translate ../shared/data/eng-fra/fra.txt -o en-fr --max-length 10 --epochs 5
    """
    launch(nproc)  # with --nproc N: this command again, in N processes (cli/launch.py)
    from textrnn.data.translate import ParallelSource
    from textrnn.tasks import translate as task

    from ..progress import RichProgress, tokenizing
    from .common import check_pair
    from .train_common import render_summary, train_config

    check_pair(data, src_file, tgt_file, ("DATA", "--src-file", "--tgt-file"))
    pairs = ParallelSource(data, src_file, tgt_file, reverse, src_column, tgt_column, encoding_errors)
    held_out = ParallelSource(valid, valid_src, valid_tgt, errors=encoding_errors, src_column=src_column,
                              tgt_column=tgt_column) if check_pair(valid, valid_src, valid_tgt, VALID) else None
    model = {"cell": cell, "num_layers": layers, "hidden_size": hidden_size,
             "embedding_size": embedding_size or hidden_size, "dropout": dropout,
             "embedding_dropout": embedding_dropout, "output_dropout": output_dropout, "attention": attention,
             "input_feed": input_feed, "label_smoothing": label_smoothing}
    config = task.TranslateDataConfig(tokenizer=tokenizer, src_lang=src_lang, tgt_lang=tgt_lang, lowercase=lowercase,
                                      min_freq=min_freq, max_vocab=max_vocab, max_length=max_length,
                                      max_pairs=max_pairs, valid_fraction=valid_fraction,
                                      teacher_forcing=teacher_forcing, teacher_forcing_decay=teacher_forcing_decay,
                                      monitor=monitor, valid_bleu_sentences=valid_bleu)
    with tokenizing(quiet):
        result = task.train(pairs, output, model, config,
                            train_config("translate", epochs, batch_size, lr, optimizer, clip, seed, device, patience,
                                         save_every, save_every_minutes, precision=precision),
                            valid=held_out,
                            callbacks=RichProgress.for_quiet(quiet), overwrite=overwrite, resume=resume,
                            started=STARTED)
    render_summary(result, as_json)
