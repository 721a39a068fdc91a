"""`textrnn train lm`: a word or character language model."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from textrnn.tasks import defaults

from .. import STARTED
from ..launch import launch
from .. import options as opt

# Said when `--precision auto` trains a word language model in bfloat16 on a CPU that computes it natively
# (textrnn.tasks.lm.AUTO_BF16_MIN_TOKENS; README, "Precision").
LM_AUTO_BF16_NOTE = ("this CPU computes bfloat16 natively, so a word language model of 500,000 tokens or more trains "
                     "in bfloat16 mixed precision: in the README's benchmark 1.3-1.6x float32's speed at the same "
                     "perplexity; --precision fp32 for float32 throughout")


def lm(
    corpus: Annotated[str, typer.Argument(help="Text: a file, a folder of .txt files, '-', hf:NAME, or a bundled corpus.")],
    output: opt.Output,
    init: Annotated[Optional[str], typer.Option(
        "--init", help="Continue training this language model (a directory or bundled name) on CORPUS: its "
                       "tokenizer, vocabulary and sizes are kept; new words seen --min-freq times are added.")] = None,
    tokenizer: opt.FromTokenizer = None,
    lang: opt.FromLang = None,
    lowercase: opt.Lowercase = False,
    cell: opt.FromCell = None,
    nonlinearity: opt.FromNonlinearity = None,
    layers: Annotated[Optional[int], typer.Option("--layers", help="Stacked recurrent layers (default: 2).")] = None,
    hidden_size: Annotated[Optional[int], typer.Option(
        "--hidden-size", help="Units per recurrent layer (default: 256).")] = None,
    embedding_size: opt.EmbeddingSize = None,
    dropout: opt.Dropout = 0.2,
    embedding_dropout: opt.EmbeddingDropout = 0.1,
    output_dropout: opt.OutputDropout = 0.2,
    tie_weights: Annotated[Optional[bool], typer.Option(
        help="Share input and output embeddings (Press & Wolf 2017). Default: tied with the full softmax when "
             "the embedding and hidden sizes match.")] = None,
    softmax: Annotated[Optional[str], typer.Option(
        "--softmax", help="full (default), or adaptive (Grave et al. 2017): several times faster on large "
                          "vocabularies (20k+ words), at about the same perplexity.")] = None,
    backward: Annotated[Optional[bool], typer.Option(
        "--backward/--forward", help="Read the text right to left (a backward language model: it predicts the word "
                                     "before). Pair it with a forward one as a classifier's encoders.")] = None,
    epochs: opt.Epochs = defaults.LM.epochs,
    batch_size: opt.BatchSize = defaults.LM.batch_size,
    bptt: Annotated[int, typer.Option("--bptt", help="Tokens per truncated back-propagation window.")] = 35,
    lr: opt.lr_by_optimizer(defaults.LR["lm"]) = None,
    optimizer: opt.Optimizer = defaults.LM.optimizer,
    clip: opt.Clip = defaults.LM.clip,
    seed: opt.Seed = 1234,
    device: opt.Device = "auto",
    precision: opt.Precision = "auto",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    patience: opt.Patience = defaults.LM.patience,
    valid: opt.Valid = None,
    valid_fraction: opt.ValidFraction = 0.1,
    min_freq: opt.MinFreq = 1,
    max_vocab: opt.MaxVocab = 30_000,
    documents: Annotated[bool, typer.Option(help="Treat each .txt file as one example (default: each line).")] = False,
    encoding_errors: opt.EncodingErrors = "strict",
    split: opt.Split = "train",
    streaming: opt.Streaming = False,
    overwrite: opt.Overwrite = False,
    resume: opt.Resume = False,
    save_every: opt.SaveEvery = 0,
    save_every_minutes: opt.SaveEveryMinutes = 0.0,
    nproc: opt.Nproc = None,
    quiet: opt.Quiet = 0,
    as_json: opt.Json = False,
) -> None:
    """Train a language model for next-word prediction and generation.

    Example: textrnn train lm ../shared/data/tiny-shakespeare/input.txt -o shakespeare --tokenizer char
    """
    launch(nproc)  # with --nproc N: this command again, in N processes (cli/launch.py)
    from textrnn.data.sources import Source
    from textrnn.tasks import lm as task

    from ..progress import RichProgress, tokenizing
    from .train_common import render_summary, train_config

    model = {"cell": cell, "nonlinearity": nonlinearity, "num_layers": layers, "hidden_size": hidden_size,
             "embedding_size": embedding_size, "dropout": dropout, "embedding_dropout": embedding_dropout,
             "output_dropout": output_dropout, "softmax": softmax, "tie_weights": tie_weights, "backward": backward}
    data = task.LMDataConfig(tokenizer=tokenizer, lang=lang, lowercase=lowercase or None, min_freq=min_freq,
                             max_vocab=max_vocab, bptt=bptt, valid_fraction=valid_fraction, documents=documents)
    with tokenizing(quiet):
        result = task.train(Source(corpus, documents=documents, errors=encoding_errors, split=split,
                                   streaming=streaming), output, model, data,
                            train_config("lm", epochs, batch_size, lr, optimizer, clip, seed, device, patience,
                                         save_every, save_every_minutes, precision=precision),
                            valid=Source(valid, errors=encoding_errors) if valid else None,
                            callbacks=RichProgress.for_quiet(quiet, LM_AUTO_BF16_NOTE if precision == "auto" else None),
                            overwrite=overwrite, resume=resume, init=init, started=STARTED)
    render_summary(result, as_json)
