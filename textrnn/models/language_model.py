"""Recurrent language model: embedding -> fused RNN/LSTM/GRU layers -> softmax over the vocabulary (full or
adaptive)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textrnn.errors import ConfigError, UnknownNameError
from textrnn.models.cells import check_cell, make_rnn
from textrnn.models.softmax_loss import Workspace, linear_cross_entropy, tied_lookup
from textrnn.ranges import check_fields
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
    softmax: str = "full"  # "full", or "adaptive" (clusters by frequency; for large vocabularies)
    cutoffs: tuple[int, ...] | None = None  # adaptive: cluster boundaries in frequency rank; None: default_cutoffs
    adaptive_div: float = 4.0  # adaptive: each tail cluster's vectors are this many times smaller
    # Reads text right to left: trained on the token stream reversed, it predicts the word before. It is the
    # backward half of a paired classifier encoder (`train classify --encoder FWD --encoder BWD`).
    backward: bool = False

    def __post_init__(self) -> None:
        check_cell(self.cell, self.nonlinearity)
        check_fields(self, "vocab_size", "embedding_size", "hidden_size", "num_layers", "dropout", "embedding_dropout",
                     "output_dropout", "adaptive_div")
        if self.tie_weights and self.embedding_size != self.hidden_size:
            raise ConfigError(f"tie_weights needs embedding_size == hidden_size "
                              f"(got {self.embedding_size} and {self.hidden_size})")
        if self.softmax not in SOFTMAXES:
            raise UnknownNameError("softmax", self.softmax, SOFTMAXES)
        if self.softmax == "adaptive":
            if self.tie_weights:
                raise ConfigError("an adaptive softmax has no single output matrix to tie to the embedding",
                                  hint="add --no-tie-weights")
            cutoffs = tuple(int(c) for c in self.cutoffs) if self.cutoffs else default_cutoffs(self.vocab_size)
            if not cutoffs or list(cutoffs) != sorted(set(cutoffs)) or cutoffs[0] < 1 or \
                    cutoffs[-1] >= self.vocab_size:
                raise ConfigError(f"adaptive softmax cutoffs must rise strictly between 1 and the vocabulary size "
                                  f"({self.vocab_size}), got {list(cutoffs)}",
                                  hint="a vocabulary this small wants --softmax full")
            object.__setattr__(self, "cutoffs", cutoffs)  # JSON gives a list back: keep the config hashable
            if self.adaptive_div < 1 or self.hidden_size // self.adaptive_div ** len(cutoffs) < 1:
                raise ConfigError(f"adaptive softmax: hidden size {self.hidden_size} divided by {self.adaptive_div} "
                                  f"once per cluster ({len(cutoffs)}) leaves no units for the rarest cluster",
                                  hint="use a larger --hidden-size or fewer clusters")


SOFTMAXES = ("full", "adaptive")  # stable keys, saved in model configs


def default_cutoffs(vocab_size: int) -> tuple[int, ...]:
    """Cluster boundaries for the adaptive softmax: a head of the 2,000 commonest tokens (about 85% of running
    text in English), then clusters up to 10,000 and 30,000 words, as far as the vocabulary goes."""
    return tuple(c for c in (2_000, 10_000, 30_000) if c < vocab_size - 100) or (max(1, vocab_size // 2),)


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
        if config.softmax == "adaptive":
            # Adaptive softmax (Grave et al. 2017, "Efficient softmax approximation for GPUs"): the commonest
            # tokens and one entry per rarer cluster share a small head; a rare token costs its cluster too.
            # Its ids must be ranked by frequency, as Vocab.build ranks them.
            self.decoder = None
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(config.hidden_size, config.vocab_size,
                                                          list(config.cutoffs), div_value=config.adaptive_div)
        else:
            self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
            nn.init.zeros_(self.decoder.bias)
        if config.tie_weights:
            # Weight tying: share the input embedding with the output layer
            # (Press & Wolf 2017, "Using the Output Embedding"; Inan et al. 2017).
            self.decoder.weight = self.embedding.weight
        self._state = None
        self._workspace = Workspace()  # the fused training loss's reused buffer (softmax_loss)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)

    def reset_state(self) -> None:
        """Forget the carried state; also let the fused loss's buffer go until the next training step."""
        self._state = None
        self._workspace = Workspace()

    @property
    def skips_parameters(self) -> bool:
        """Whether a training step may leave parameters without a gradient: an adaptive softmax's tail cluster
        that no target of the batch falls in (DistributedDataParallel must then look for them)."""
        return self.decoder is None

    def hidden(self, ids: torch.Tensor, state=None):
        """ids (B, T) -> the last layer's outputs (B, T, H) and the new state."""
        return self._run(self.embedding(ids), state)

    def _run(self, embedded: torch.Tensor, state=None):
        out, state = self.rnn(self.embedding_dropout(embedded), state)
        return self.output_dropout(out), state

    def scores(self, out: torch.Tensor) -> torch.Tensor:
        """Outputs (B, T, H) -> next-token scores (B, T, V): logits, or log-probabilities (adaptive); softmax
        gives the probabilities either way."""
        if self.decoder is not None:
            return self.decoder(out)
        with _float32(out):
            return self.adaptive.log_prob(out.reshape(-1, out.size(-1)).float()).view(*out.shape[:-1], -1)

    def step(self, ids: torch.Tensor, state=None):
        """ids (B, T) -> scores (B, T, V) and the new state; for inference and generation."""
        out, state = self.hidden(ids, state)
        return self.scores(out), state

    def forward(self, batch: dict) -> tuple[torch.Tensor | None, torch.Tensor]:
        """batch: {"input": (B, T), "target": (B, T)} -> (logits (B, T, V), mean cross-entropy).
        With the adaptive softmax no full distribution is computed: the output is None. So too when the batch
        says `"loss_only": True` and gradients are on (a training step, on CPU): the full softmax's loss is then
        fused with the output layer (textrnn.models.softmax_loss), which keeps no logits."""
        ids = batch["input"]
        state = _detach(self._state) if self._state is not None and _batch_of(self._state) == ids.size(0) else None
        fused = (self.decoder is not None and batch.get("loss_only") and torch.is_grad_enabled()
                 and ids.device.type == "cpu")
        # tied: the lookup's gradient goes straight into the output layer's (softmax_loss.tied_lookup)
        tied = fused and self.decoder.weight is self.embedding.weight and self.embedding.weight.requires_grad
        embedded = (tied_lookup(self.embedding.weight, ids, self._workspace, self.embedding.padding_idx) if tied
                    else self.embedding(ids))
        out, state = self._run(embedded, state)
        self._state = _detach(state)
        target = batch["target"].reshape(-1)
        if self.decoder is None:
            keep = target != PAD_ID
            with _float32(out):
                return None, self.adaptive(out.reshape(-1, out.size(-1))[keep].float(), target[keep]).loss
        if fused:
            low = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else None
            return None, linear_cross_entropy(out.reshape(-1, out.size(-1)).float(), self.decoder.weight,
                                              self.decoder.bias, target, self._workspace, PAD_ID, low, tied)
        logits = self.decoder(out)
        return logits, F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), target, ignore_index=PAD_ID)


def _float32(out: torch.Tensor):
    """Autocast off for the adaptive softmax: under it (--precision bf16, or CUDA's default) its clusters'
    products come out in bfloat16, which AdaptiveLogSoftmaxWithLoss copies into float32 buffers and refuses."""
    return torch.autocast(out.device.type, enabled=False)


def _detach(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _batch_of(state) -> int:
    return (state[0] if isinstance(state, tuple) else state).size(1)
