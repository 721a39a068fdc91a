"""The valid range of every numeric option, in one table.

Configs check their fields against it in `__post_init__` (and decoding functions check their arguments), so
the Python API and the command line refuse the same values with the same message: a ConfigError, which the
CLI prints as one line with exit code 2. NaN and infinities are outside every range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textrnn.errors import ConfigError

SEED_MAX = 2**64 - 1  # torch.manual_seed takes 0 ... 2**64 - 1 (and wraps negatives around onto them)
FLOAT32_MAX = 3.4028234663852886e38  # the optimizer multiplies float32 gradients by the learning rate
MAX_BEAM = 100  # beams beyond a few dozen cost time and memory for nothing
MAX_TOKENS = 100_000  # tokens one `generate` call writes at most
MAX_BEAM_TOKENS = 1_000  # ... with beam search, which writes nothing until it ends and slows with length
MAX_THREADS = 1024  # more than the cores only slows PyTorch down, and thousands of threads can fail to start
MAX_PROCESSES = 1024  # --nproc: training processes on one machine (one per GPU, or a few CPUs each)
MAX_MINUTES = 525_600  # --save-every-minutes: a year; further on, the minutes overflow nothing but help no one
SPECIALS = 4  # <pad> <unk> <bos> <eos>: a vocabulary needs room for one real token besides these


@dataclass(frozen=True)
class Range:
    """low .. high (either may be None: unbounded), each end included unless `*_open`."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    note: str = ""  # what special values mean, as "0: greedy"
    says: str = ""  # the range in words, where the generated wording would read worse

    def __contains__(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def describe(self) -> str:
        if self.says:
            return self.says
        kind = "a whole number " if self.integer else ""
        if self.low is not None and self.high is not None and not (self.low_open or self.high_open):
            text = f"{kind}from {_number(self.low)} to {_number(self.high)}"
        else:
            parts = []
            if self.low is not None:
                parts.append(f"{'above' if self.low_open else 'at least'} {_number(self.low)}")
            if self.high is not None:
                parts.append(f"{'below' if self.high_open else 'at most'} {_number(self.high)}")
            text = kind + " and ".join(parts)
        return f"{text} ({self.note})" if self.note else text


def _number(x: float) -> str:
    if isinstance(x, int) and x >= 10**6:
        return f"{x:,}"
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


COUNT = Range(1, integer=True)
NONNEGATIVE_COUNT = Range(0, integer=True)
SIZE = COUNT
DROPOUT = Range(0, 1, high_open=True)
SHARE = Range(0, 1)
FRACTION = Range(0, 1, low_open=True, high_open=True, says="between 0 and 1")
VOCAB = Range(SPECIALS + 1, integer=True, note=f"{SPECIALS} of them are <pad> <unk> <bos> <eos>")

RANGES: dict[str, Range] = {
    # decoding
    "temperature": Range(0, note="0: greedy"),
    "top_k": Range(0, integer=True, note="0: all tokens"),
    "top_p": Range(0, 1, low_open=True, note="1: all tokens"),
    "beam": Range(0, MAX_BEAM, integer=True),
    "n": Range(1, MAX_TOKENS, integer=True),
    "beam_n": Range(1, MAX_BEAM_TOKENS, integer=True, note="with --beam, which writes nothing until the search ends"),
    "k": COUNT,
    "top": COUNT,
    # training
    "epochs": COUNT,
    "batch_size": COUNT,
    "lr": Range(0, FLOAT32_MAX, low_open=True, high_open=True, says="positive and below 3.4e38"),
    "weight_decay": Range(0),
    "clip": Range(0, note="0: off"),
    "seed": Range(0, SEED_MAX, integer=True),
    "patience": NONNEGATIVE_COUNT,
    "lr_patience": NONNEGATIVE_COUNT,
    "lr_factor": FRACTION,
    "layer_lr_decay": Range(1, 1e6, high_open=True, says="1 (off) or more"),
    "threads": Range(1, MAX_THREADS, integer=True),
    "nproc": Range(1, MAX_PROCESSES, integer=True),
    "save_every": Range(0, integer=True, note="0: at epoch ends only"),
    "save_every_minutes": Range(0, MAX_MINUTES, says=f"from 0 (off) to {MAX_MINUTES:,} (a year)"),
    # data
    "bptt": COUNT,
    "valid_fraction": FRACTION,
    "min_freq": COUNT,
    "max_vocab": VOCAB,
    "max_size": VOCAB,
    "max_length": COUNT,
    "max_pairs": COUNT,
    "teacher_forcing": SHARE,
    "teacher_forcing_decay": Range(0),
    "teacher_forcing_min": SHARE,
    "valid_bleu_sentences": NONNEGATIVE_COUNT,
    # models
    "vocab_size": SIZE,
    "src_vocab_size": SIZE,
    "tgt_vocab_size": SIZE,
    "embedding_size": SIZE,
    "hidden_size": SIZE,
    "num_layers": SIZE,
    "dropout": DROPOUT,
    "embedding_dropout": DROPOUT,
    "output_dropout": DROPOUT,
    "word_dropout": DROPOUT,
    "label_smoothing": DROPOUT,
    "subword_buckets": Range(0, integer=True, note="0: off, else how many subword buckets"),
    "adaptive_div": Range(1),
}

# How the command line spells an option whose flag is not --name-with-dashes.
FLAGS = {"n": "-n/--tokens", "beam_n": "-n/--tokens", "k": "-k/--top", "num_layers": "--layers",
         "subword_buckets": "--subwords", "layout": "--format", "valid_bleu_sentences": "--valid-bleu"}


def flag(name: str) -> str:
    """The option's name as the command line spells it: "batch_size" -> "--batch-size"."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def check(name: str, value: Any, hint: str = "") -> None:
    """Raise ConfigError unless `value` is in the range of option `name` (None: not given, always fine)."""
    allowed = RANGES[name]
    if value is not None and value not in allowed:
        finite = " and finite" if isinstance(value, float) and not math.isfinite(value) else ""
        raise ConfigError(f"{flag(name)} must be {allowed.describe()}{finite}, got {value!r}", hint=hint)


def check_fields(config: object, *names: str) -> None:
    """Check the named fields of a config (in `__post_init__`)."""
    for name in names:
        check(name, getattr(config, name))
