"""Recurrent language model: embedding -> fused RNN/LSTM/GRU layers -> linear over the vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textrnn.errors import ConfigError
from textrnn.models.cells import check_cell, check_sizes, make_rnn
from textrnn.text.vocab import PAD_ID


@dataclass(frozen=True)
class LanguageModelConfig:
    vocab_size: int
    embedding_size: int = 256
    hidden_size: int = 256
    num_layers: int = 2
    cell: str = "lstm"
    nonlinearity: str = "tanh"  # for cell="rnn": "tanh" or "relu"
    dropout: float = 0.2  # between recurrent layers
    embedding_dropout: float = 0.1
    output_dropout: float = 0.2
    tie_weights: bool = True

    def __post_init__(self) -> None:
        check_cell(self.cell, self.nonlinearity)
        check_sizes(vocab_size=self.vocab_size, embedding_size=self.embedding_size, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, dropout=self.dropout)
        check_sizes(dropout=self.embedding_dropout)
        check_sizes(dropout=self.output_dropout)
        if self.tie_weights and self.embedding_size != self.hidden_size:
            raise ConfigError(f"tie_weights needs embedding_size == hidden_size "
                              f"(got {self.embedding_size} and {self.hidden_size})")


class LanguageModel(nn.Module):
    """Predicts token t+1 from tokens <= t. Inputs are (B, T) ids; logits are (B, T, V).

    In training the hidden state is carried from one batch to the next (truncated BPTT over a continuous
    stream, see `textrnn.data.lm`), detached so gradients stop at the batch boundary. `reset_state()`
    forgets it; the training loop calls it at the start of every pass over the data.
    """

    Config = LanguageModelConfig

    def __init__(self, config: LanguageModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=PAD_ID)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        self.rnn = make_rnn(config.cell, config.embedding_size, config.hidden_size, config.num_layers,
                            config.dropout, nonlinearity=config.nonlinearity)
        self.output_dropout = nn.Dropout(config.output_dropout)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        if config.tie_weights:
            # Weight tying: share the input embedding with the output layer
            # (Press & Wolf 2017, "Using the Output Embedding"; Inan et al. 2017).
            self.decoder.weight = self.embedding.weight
        self._state = None
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def reset_state(self) -> None:
        self._state = None

    def step(self, ids: torch.Tensor, state=None):
        """ids (B, T) -> logits (B, T, V) and the new state; for inference and generation."""
        emb = self.embedding_dropout(self.embedding(ids))
        out, state = self.rnn(emb, state)
        return self.decoder(self.output_dropout(out)), state

    def forward(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """batch: {"input": (B, T), "target": (B, T)} -> (logits (B, T, V), mean cross-entropy)."""
        ids = batch["input"]
        state = _detach(self._state) if self._state is not None and _batch_of(self._state) == ids.size(0) else None
        logits, state = self.step(ids, state)
        self._state = _detach(state)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), batch["target"].reshape(-1),
                               ignore_index=PAD_ID)
        return logits, loss


def _detach(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _batch_of(state) -> int:
    return (state[0] if isinstance(state, tuple) else state).size(1)
