"""What the vanishing gradient means for learning: a task whose answer is the token k steps back, trained
briefly for each cell and each k, and the accuracy against k.

The task ("remember the first token"): a symbol, then k noise tokens; after the last one, name the symbol.

    k = 4:   S3  n5 n1 n7 n2   ->  S3          symbols S0..S7 (chance: 1 in 8), noise n0..n7
             ^ k steps back from the last token

The model reads left to right and answers from its last state (one layer of the project's cells), so the
symbol must be carried through k recurrent steps; the gradient that teaches it to do so must come back
through the same k steps (Bengio et al. 1994 posed the problem with such a task; Hochreiter & Schmidhuber
1997 solved longer ones with the LSTM).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from textrnn.errors import ConfigError

if TYPE_CHECKING:
    import torch

DISTANCES = (5, 10, 20, 40)
CELLS = ("rnn", "lstm", "gru")
_SPECIALS = 4  # ids 0-3 are kept for the vocabulary's specials, as in every textrnn vocabulary


@dataclass(frozen=True)
class LongRangeConfig:
    """The default runs in about a minute on 2 cores: 12 runs of 400 steps on 64 sequences of <= 41 tokens."""

    distances: tuple[int, ...] = DISTANCES
    cells: tuple[str, ...] = CELLS
    symbols: int = 8
    hidden_size: int = 32
    steps: int = 400
    batch_size: int = 64
    lr: float = 1e-2
    test_size: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        from textrnn.models.cells import check_cell

        object.__setattr__(self, "distances", tuple(dict.fromkeys(int(k) for k in self.distances)))
        object.__setattr__(self, "cells", tuple(dict.fromkeys(self.cells)))
        if not self.distances or min(self.distances) < 1:
            raise ConfigError(f"distances must be at least 1, got {list(self.distances) or 'none'}")
        if not self.cells:
            raise ConfigError("no cell to train", hint="give one or more of rnn, lstm, gru")
        for cell in self.cells:
            check_cell(cell)
        if self.symbols < 2:
            raise ConfigError(f"the task needs at least 2 symbols, got {self.symbols}")
        for name, what in (("hidden_size", "hidden size"), ("steps", "training steps"),
                           ("batch_size", "batch size"), ("test_size", "test size")):
            if getattr(self, name) < 1:
                raise ConfigError(f"{what} must be at least 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")

    @property
    def chance(self) -> float:
        return 1.0 / self.symbols


@dataclass
class LongRangeResult:
    """accuracy[i, j]: cell i's accuracy on held-out sequences at distance j; loss: the same cells' final
    training loss."""

    cells: tuple[str, ...]
    distances: tuple[int, ...]
    accuracy: np.ndarray
    loss: np.ndarray
    chance: float
    config: LongRangeConfig = field(repr=False)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per run: cell, distance, accuracy, chance, final training loss."""
        return [{"cell": cell, "distance": k, "accuracy": float(self.accuracy[i, j]), "chance": self.chance,
                 "train_loss": float(self.loss[i, j])}
                for i, cell in enumerate(self.cells) for j, k in enumerate(self.distances)]


def remember_first(distance: int, n: int, symbols: int, generator: "torch.Generator"):
    """n sequences (n, distance + 1) of token ids and their answers (n,) in 0..symbols-1: a symbol
    (ids 4..4+symbols-1), then `distance` noise tokens (the next `symbols` ids)."""
    import torch

    answers = torch.randint(0, symbols, (n,), generator=generator)
    noise = torch.randint(0, symbols, (n, distance), generator=generator) + symbols
    return torch.cat([answers[:, None], noise], dim=1) + _SPECIALS, answers


def accuracy(logits: "torch.Tensor", answers: "torch.Tensor") -> float:
    """The share of rows of logits (n, C) whose highest score is at the answer (n,)."""
    return float((logits.argmax(dim=-1) == answers).float().mean())


def long_range(config: LongRangeConfig = LongRangeConfig(),
               progress: Callable[[dict[str, Any]], None] | None = None) -> LongRangeResult:
    """Train each cell at each distance (`run_one`) and score it; `progress` gets each run's row as it ends."""
    acc = np.zeros((len(config.cells), len(config.distances)))
    loss = np.zeros_like(acc)
    for i, cell in enumerate(config.cells):
        for j, k in enumerate(config.distances):
            acc[i, j], loss[i, j] = run_one(cell, k, config)
            if progress:
                progress({"cell": cell, "distance": k, "accuracy": acc[i, j], "chance": config.chance,
                          "train_loss": loss[i, j]})
    return LongRangeResult(config.cells, config.distances, acc, loss, config.chance, config)


def run_one(cell: str, distance: int, config: LongRangeConfig) -> tuple[float, float]:
    """(held-out accuracy, mean training loss of the last tenth of the steps) of one cell at one distance.
    Seeded: the model's start by `seed`, its training data by (seed, distance), the test set by
    (seed + 1, distance), the same for every cell."""
    import torch
    import torch.nn.functional as F

    model = _model(cell, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    data = torch.Generator().manual_seed(config.seed * 1000 + distance)
    losses = []
    model.train()
    for _ in range(config.steps):
        ids, answers = remember_first(distance, config.batch_size, config.symbols, data)
        loss = F.cross_entropy(_logits(model, ids), answers)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    test = torch.Generator().manual_seed((config.seed + 1) * 1000 + distance)
    ids, answers = remember_first(distance, config.test_size, config.symbols, test)
    with torch.inference_mode():
        logits = _logits(model, ids)
    tail = losses[-max(1, config.steps // 10):]
    return accuracy(logits, answers), sum(tail) / len(tail)


def _model(cell: str, config: LongRangeConfig):
    """Embedding -> one left-to-right layer of the cell (the project's `make_rnn`) -> a linear layer over
    the symbols, reading the last state. PyTorch's initialisation throughout, seeded."""
    import torch
    from torch import nn

    from textrnn.models.cells import make_rnn

    torch.manual_seed(config.seed)
    return nn.ModuleDict({"embedding": nn.Embedding(_SPECIALS + 2 * config.symbols, config.hidden_size),
                          "rnn": make_rnn(cell, config.hidden_size, config.hidden_size),
                          "output": nn.Linear(config.hidden_size, config.symbols)})


def _logits(model, ids: "torch.Tensor") -> "torch.Tensor":
    """ids (n, k + 1) -> (n, symbols) scores from the state after the last token."""
    return model["output"](model["rnn"](model["embedding"](ids))[0][:, -1])


def parse_distances(text: str | Iterable[int]) -> tuple[int, ...]:
    """"5,10,20" -> (5, 10, 20); refuses anything but whole numbers of at least 1."""
    from textrnn.errors import InputError

    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else [str(p) for p in text]
    if not parts or not all(p.lstrip("-").isdigit() for p in parts):
        raise InputError(f"distances are whole numbers separated by commas, got {text!r}", hint="as 5,10,20,40")
    values = tuple(int(p) for p in parts)
    if min(values) < 1:
        raise InputError(f"a distance must be at least 1, got {min(values)}")
    return values
