"""Options shared by several commands, defined once so that they mean the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

Json = Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")]
Model = Annotated[Optional[str], typer.Option("--model", "-m", help="A model directory or a bundled model's name.")]
Tokenizer = Annotated[str, typer.Option("--tokenizer", "-t", help="spacy, nltk, char or whitespace.")]
Lang = Annotated[str, typer.Option("--lang", help="Language code for the spacy tokenizer (en, fr, de, es ...).")]
Lowercase = Annotated[bool, typer.Option("--lowercase", help="Lowercase text before tokenizing.")]
EncodingErrors = Annotated[str, typer.Option(
    "--encoding-errors", help="On invalid UTF-8: 'strict' stops and names the line; 'replace' uses U+FFFD and warns.")]
Split = Annotated[str, typer.Option("--split", help="For hf:NAME data: which split to read.")]
Streaming = Annotated[bool, typer.Option(
    "--streaming", help="For hf:NAME data: stream the rows into textrnn's corpus cache as they arrive (flat "
                        "memory; datasets keeps no copy of its own).")]
Device = Annotated[str, typer.Option("--device", help="auto (CUDA when present, else CPU), cpu, cuda, cuda:1 ...")]
Precision = Annotated[str, typer.Option(
    "--precision", help="What training computes in: auto (bfloat16 mixed precision on CUDA, and for a word language "
                        "model of 500,000 tokens or more on a CPU with native bfloat16, AVX512-BF16 or AMX; float32 "
                        "otherwise), fp32, or bf16 (mixed precision wherever the device computes bfloat16 "
                        "natively).")]


def _use_threads(threads: Optional[int]) -> Optional[int]:
    """Applied as the options are read, so before the command's work starts (the one place the CLI sets it)."""
    if threads is not None:
        from textrnn.devices import set_threads

        set_threads(threads)
    return threads


Threads = Annotated[Optional[int], typer.Option(
    "--threads", callback=_use_threads,
    help="CPU threads for PyTorch (and at most this many tokenizing processes). Default: PyTorch's, one per "
         "core, or OMP_NUM_THREADS. Give 1 to each of several jobs sharing a machine.")]

# Labelled data, read the same way by `train classify` and `evaluate`.
DataFormat = Annotated[str, typer.Option(
    "--format", help="auto (from the suffix and content), tsv, csv, jsonl, folder, or label-space "
                     "('label text' lines, as SST-2; fastText's __label__ prefix is understood).")]
TextColumn = Annotated[Optional[str], typer.Option(
    "--text-column", help="Text column, by name or 0-based index (default: found from the header or content).")]
LabelColumn = Annotated[Optional[str], typer.Option(
    "--label-column", help="Label column, by name or 0-based index (default: the short column with few values).")]
LabelMap = Annotated[Optional[str], typer.Option(
    "--label-map", help="Rename the data's labels to the model's: DATA=MODEL pairs, as 0=neg,1=pos.")]
With = Annotated[Optional[list[str]], typer.Option(
    "--with", help="Classifiers: answer with the mean of this classifier's class probabilities and the model's (an "
                   "ensemble; repeat for more). It must use the model's tokenizer options and labels.")]

# Training options, shared by every `train` subcommand where they mean the same.
Output = Annotated[Path, typer.Option("--output", "-o", help="The model directory to write.")]
Cell = Annotated[str, typer.Option("--cell", help="Recurrent cell: rnn, lstm or gru.")]
Nonlinearity = Annotated[str, typer.Option("--nonlinearity", help="For --cell rnn: tanh or relu.")]
Layers = Annotated[int, typer.Option("--layers", help="Stacked recurrent layers.")]
HiddenSize = Annotated[int, typer.Option("--hidden-size", help="Units per recurrent layer.")]
EmbeddingSize = Annotated[Optional[int], typer.Option("--embedding-size", help="Embedding size (default: hidden size).")]
Dropout = Annotated[float, typer.Option("--dropout", help="Dropout between stacked recurrent layers (--layers 2 or more).")]
EmbeddingDropout = Annotated[float, typer.Option("--embedding-dropout", help="Dropout on the embedded input tokens.")]
OutputDropout = Annotated[float, typer.Option("--output-dropout",
                                              help="Dropout on the recurrent output, before the output layer.")]
Epochs = Annotated[int, typer.Option("--epochs", help="Passes over the training data (at most).")]
BatchSize = Annotated[int, typer.Option("--batch-size", help="Examples (or parallel streams) per batch.")]
Lr = Annotated[float, typer.Option("--lr", help="Learning rate.")]


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def lr_by_optimizer(rates: dict[str, float]) -> object:
    """An --lr option whose default (None) is the chosen optimizer's rate from `rates`, named in the help."""
    groups: dict[float, list[str]] = {}
    for name, rate in rates.items():
        groups.setdefault(rate, []).append(name)
    shown = ", ".join(f"{rate:g} with {_either(names)}" for rate, names in groups.items())
    return Annotated[Optional[float], typer.Option("--lr", help=f"Learning rate (default: {shown}).")]


Optimizer = Annotated[str, typer.Option("--optimizer", help="sgd, adam, adamw or rmsprop.")]
Clip = Annotated[float, typer.Option("--clip", help="Clip the gradient norm to this (0: off).")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same model on CPU.")]
Patience = Annotated[int, typer.Option("--patience", help="Stop after this many epochs without improvement.")]
Valid = Annotated[Optional[str], typer.Option("--valid", help="Validation data (default: a split of the corpus).")]
ValidSrc = Annotated[Optional[str], typer.Option(
    "--valid-src", help="Translation: aligned validation source file, one sentence a line (with --valid-tgt).")]
ValidTgt = Annotated[Optional[str], typer.Option(
    "--valid-tgt", help="Translation: aligned validation target file, line n translating line n of --valid-src.")]
SrcFile = Annotated[Optional[str], typer.Option("--src-file", help="Aligned source file, one sentence a line.")]
TgtFile = Annotated[Optional[str], typer.Option("--tgt-file", help="Aligned target file, line n translating line n.")]
ValidFraction = Annotated[float, typer.Option("--valid-fraction", help="Share of the corpus held out for validation.")]
MinFreq = Annotated[int, typer.Option("--min-freq", help="Keep tokens seen at least this often.")]
MaxVocab = Annotated[int, typer.Option("--max-vocab", help="Largest vocabulary, specials included.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output directory.")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue an interrupted training in --output.")]
SaveEvery = Annotated[int, typer.Option(
    "--save-every", help="Also save the state for --resume every N training steps inside an epoch (0: at epoch "
                         "ends only). --resume then goes on from the step saved.")]
SaveEveryMinutes = Annotated[float, typer.Option(
    "--save-every-minutes", help="Also save the state for --resume every M minutes inside an epoch (0: off).")]
Nproc = Annotated[Optional[int], typer.Option(
    "--nproc", help="Train in N processes on this machine (one per GPU; on CPUs, gloo), started by PyTorch's "
                    "torchrun: as torchrun --nproc-per-node N -m textrnn train ... --batch-size is per process.")]
Quiet = Annotated[int, typer.Option(
    "--quiet", "-q", count=True,
    help="-q: only a line per epoch, no progress bar or lines; -qq: nothing but errors and the result.")]

# Options that a starting model (--init, --encoder) fills in when they are not given.
FromTokenizer = Annotated[Optional[str], typer.Option(
    "--tokenizer", "-t", help="spacy, nltk, char or whitespace (default: spacy, or the model it starts from's).")]
FromLang = Annotated[Optional[str], typer.Option(
    "--lang", help="Language code for the spacy tokenizer (default: en, or the model it starts from's).")]
FromCell = Annotated[Optional[str], typer.Option("--cell", help="rnn, lstm or gru (default: lstm).")]
FromNonlinearity = Annotated[Optional[str], typer.Option(
    "--nonlinearity", help="For --cell rnn: tanh or relu (default: tanh).")]
