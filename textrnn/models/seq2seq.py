"""Encoder-decoder with attention: a bidirectional GRU/LSTM encoder and an attention GRU/LSTM decoder.

    source ids (B, S) --embedding--> fused (bi)GRU/LSTM, blind to padding --> memory (B, S, H), state
    target ids (B, T) --embedding--> decoder, one step per token:
        Luong:    h_t = RNN([y_{t-1}; h~_{t-1}]),  c_t = attend(h_t),      h~_t = tanh(W_c [c_t; h_t])
        Bahdanau: c_t = attend(h_{t-1}),           h_t = RNN([y_{t-1}; c_t (; h~_{t-1})]), h~_t as above
        logits_t = W_s h~_t                                                  --> (B, T, V)

A bidirectional encoder gives each direction H/2 units, so that memory and decoder state both have size H
and the final forward/backward states, concatenated per layer, start the decoder (OpenNMT's "brnn").

Training with every input gold does all it can for all steps at once: the embedding lookup, the output layer
and the loss over the real (unpadded) target tokens; without input feeding, Luong's decoder RNN and attention
too. Only h~_{t-1} -> step t (input feeding) and s_{t-1} -> attention (Bahdanau) need one step at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textrnn.errors import ConfigError, UnknownNameError
from textrnn.models.attention import ATTENDS_BEFORE_STEP, check_attention, make_attention
from textrnn.models.cells import default_dropouts, make_rnn, run_packed_states, run_padded_states
from textrnn.ranges import check_fields
from textrnn.text.vocab import PAD_ID

SEQ2SEQ_CELLS = ("gru", "lstm")


@dataclass(frozen=True)
class Seq2SeqConfig:
    src_vocab_size: int
    tgt_vocab_size: int
    embedding_size: int = 256
    hidden_size: int = 256  # decoder units and encoder output size (H/2 per direction when bidirectional)
    num_layers: int = 1  # encoder and decoder alike
    cell: str = "gru"
    bidirectional: bool = True  # the encoder
    dropout: float = 0.2  # between recurrent layers
    embedding_dropout: float | None = None  # on source and target embeddings; None: as `dropout`
    output_dropout: float | None = None  # on h~ before the output layer; None: as `dropout`
    attention: str = "general"  # bahdanau, dot or general
    input_feed: bool = True  # feed h~_{t-1} into the next decoder step (Luong et al. 2015, section 3.3)
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.cell not in SEQ2SEQ_CELLS:
            raise UnknownNameError("cell", self.cell, SEQ2SEQ_CELLS)
        check_attention(self.attention)
        check_fields(self, "src_vocab_size", "tgt_vocab_size", "embedding_size", "hidden_size", "num_layers", "dropout",
                     "label_smoothing")
        default_dropouts(self, "embedding_dropout", "output_dropout")
        if self.bidirectional and self.hidden_size % 2:
            raise ConfigError(f"a bidirectional encoder needs an even hidden_size, got {self.hidden_size}")


@dataclass
class DecoderState:
    """What one decoder step needs. Row i of every tensor belongs to sentence (or beam) i.

    rnn (L, B, H) or a (h, c) pair for LSTM; feed (B, H) the last attentional state h~ (zeros at first);
    memory (B, S, H) encoder outputs; keys (B, S, H) their attention projection; mask (B, S) real tokens.
    """

    rnn: torch.Tensor | tuple[torch.Tensor, torch.Tensor]
    feed: torch.Tensor
    memory: torch.Tensor
    keys: torch.Tensor
    mask: torch.Tensor

    def select(self, index: torch.Tensor) -> "DecoderState":
        """Keep or repeat rows: beam search reorders and expands the batch with this."""
        rnn = tuple(s.index_select(1, index) for s in self.rnn) if isinstance(self.rnn, tuple) \
            else self.rnn.index_select(1, index)
        return DecoderState(rnn, self.feed.index_select(0, index), self.memory.index_select(0, index),
                            self.keys.index_select(0, index), self.mask.index_select(0, index))


class Encoder(nn.Module):
    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.bidirectional = config.bidirectional
        self.embedding = nn.Embedding(config.src_vocab_size, config.embedding_size, padding_idx=PAD_ID)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        per_direction = config.hidden_size // 2 if config.bidirectional else config.hidden_size
        self.rnn = make_rnn(config.cell, config.embedding_size, per_direction, config.num_layers, config.dropout,
                            bidirectional=config.bidirectional)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor):
        """src (B, S), lengths (B,) -> memory (B, S, H) zero at padding, final state (L, B, H) (or h, c)."""
        emb = self.embedding_dropout(self.embedding(src))
        # Padding must not reach a real step's state: the backward direction starts at each row's real end,
        # and the final state is each row's own. cuDNN runs a packed batch natively; on CPU packing is slower
        # than a dense run with each row reversed within its length (cells.run_padded_states): same numbers.
        run = run_packed_states if emb.is_cuda else run_padded_states
        memory, state = run(self.rnn, emb, lengths)
        mask = torch.arange(src.size(1), device=src.device)[None, :] < lengths.to(src.device)[:, None]
        memory = memory.masked_fill(~mask.unsqueeze(-1), 0.0)
        if self.bidirectional:
            state = tuple(_join_directions(s) for s in state) if isinstance(state, tuple) else _join_directions(state)
        return memory, state


def _join_directions(state: torch.Tensor) -> torch.Tensor:
    """(L * 2, B, H/2), directions interleaved per layer -> (L, B, H): [forward; backward] per layer."""
    layers2, batch, half = state.shape
    return state.view(layers2 // 2, 2, batch, half).permute(0, 2, 1, 3).reshape(layers2 // 2, batch, 2 * half)


class Decoder(nn.Module):
    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        h = config.hidden_size
        self.attend_before = config.attention in ATTENDS_BEFORE_STEP
        self.input_feed = config.input_feed
        self.embedding = nn.Embedding(config.tgt_vocab_size, config.embedding_size, padding_idx=PAD_ID)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        self.output_dropout = nn.Dropout(config.output_dropout)
        self.attention = make_attention(config.attention, h)
        rnn_input = config.embedding_size + (h if self.attend_before else 0) + (h if self.input_feed else 0)
        self.rnn = make_rnn(config.cell, rnn_input, h, config.num_layers, config.dropout)
        # h~ = tanh(W_c [c; h]) (Luong et al. 2015, eq. 5); used for Bahdanau too in place of its maxout layer.
        self.combine = nn.Linear(2 * h, h, bias=False)
        self.out = nn.Linear(h, config.tgt_vocab_size)

    def step(self, tokens: torch.Tensor, state: DecoderState):
        """tokens (B,) -> attentional state h~ (B, H), attention weights (B, S), new state."""
        return self._step(self.embedding_dropout(self.embedding(tokens)), state)

    def _step(self, emb: torch.Tensor, state: DecoderState):
        """One step from the embedded input token emb (B, E)."""
        parts = [emb]
        if self.attend_before:
            top = (state.rnn[0] if isinstance(state.rnn, tuple) else state.rnn)[-1]  # s_{t-1}, (B, H)
            context, weights = self.attention(top, state.keys, state.memory, state.mask)
            parts.append(context)
        if self.input_feed:
            parts.append(state.feed)
        out, rnn = self.rnn(torch.cat(parts, dim=-1).unsqueeze(1), state.rnn)
        h = out[:, 0]
        if not self.attend_before:
            context, weights = self.attention(h, state.keys, state.memory, state.mask)
        attn_h = torch.tanh(self.combine(torch.cat([context, h], dim=-1)))
        return attn_h, weights, DecoderState(rnn, attn_h, state.memory, state.keys, state.mask)

    def forced(self, tgt_in: torch.Tensor, state: DecoderState) -> torch.Tensor:
        """Every input the gold token: tgt_in (B, T) -> h~ (B, T, H), as many `step` calls would give.

        The target embeddings are looked up once for all steps (a lookup per step costs a dense V x E gradient
        per step). Luong attention without input feeding needs no loop at all (`whole`); with input feeding
        or Bahdanau attention each step needs the one before it, so the recurrence runs step by step, and
        the output layer and loss still run once for all steps (Seq2Seq.forward)."""
        emb = self.embedding_dropout(self.embedding(tgt_in))
        if not self.attend_before and not self.input_feed:
            return self.whole(emb, state)
        steps = []
        for t in range(emb.size(1)):
            attn_h, _, state = self._step(emb[:, t], state)
            steps.append(attn_h)
        return torch.stack(steps, dim=1)

    def whole(self, emb: torch.Tensor, state: DecoderState) -> torch.Tensor:
        """Luong attention without input feeding, embedded gold inputs emb (B, T, E): one fused RNN call over
        all steps, then attention for all steps at once -> h~ (B, T, H)."""
        out, _ = self.rnn(emb, state.rnn)
        context, _ = self.attention(out, state.keys, state.memory, state.mask)
        return torch.tanh(self.combine(torch.cat([context, out], dim=-1)))

    def project(self, attn_h: torch.Tensor) -> torch.Tensor:
        """h~ (..., H) -> logits (..., V)."""
        return self.out(self.output_dropout(attn_h))


class Seq2Seq(nn.Module):
    """Translate source ids into target ids. `forward(batch)` is teacher-forced training with a ratio;
    `encode` and `step` are what greedy and beam decoding call (see textrnn.translate_decode)."""

    Config = Seq2SeqConfig

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> DecoderState:
        """src (B, S) ids right-padded, lengths (B,) -> the decoder's first state."""
        memory, rnn = self.encoder(src, lengths)
        mask = torch.arange(src.size(1), device=src.device).unsqueeze(0) < lengths.to(src.device).unsqueeze(1)
        feed = memory.new_zeros(memory.size(0), self.config.hidden_size)
        return DecoderState(rnn, feed, memory, self.decoder.attention.keys(memory), mask)

    def step(self, tokens: torch.Tensor, state: DecoderState):
        """tokens (B,) -> logits (B, V), attention weights (B, S), new state: one target token."""
        attn_h, weights, state = self.decoder.step(tokens, state)
        return self.decoder.project(attn_h), weights, state

    def forward(self, batch: dict) -> tuple[torch.Tensor | None, torch.Tensor]:
        """batch: {"src" (B, S), "src_len" (B,), "tgt_in" (B, T) = <bos> y, "tgt_out" (B, T) = y <eos>,
        optional "teacher_forcing": the share of steps fed the gold token (else the model's own argmax;
        Williams & Zipser 1989; Bengio et al. 2015 decay it over training)} -> (logits (B, T, V) or None, loss).

        With every input gold (the default, and always in evaluation) only the real target tokens are
        projected onto the vocabulary, in one matmul, and no (B, T, V) tensor is made: the output is None
        (as the language model's with an adaptive softmax). `decoder.project(decoder.forced(...))` gives them."""
        state = self.encode(batch["src"], batch["src_len"])
        tgt_in, tgt_out = batch["tgt_in"], batch["tgt_out"]
        ratio = float(batch.get("teacher_forcing", 1.0)) if self.training else 1.0
        if ratio < 1.0:
            logits = self._stepwise(tgt_in, state, ratio)
            return logits, self._loss(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1))
        real = tgt_out != PAD_ID  # (B, T); the padded steps' h~ are computed, never projected
        attn_h = self.decoder.forced(tgt_in, state)[real]  # (N, H), N real target tokens
        return None, self._loss(self.decoder.project(attn_h), tgt_out[real])

    def _loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """logits (N, V), targets (N,) -> mean cross-entropy over the targets that are not padding."""
        return F.cross_entropy(logits.float(), targets, ignore_index=PAD_ID,
                               label_smoothing=self.config.label_smoothing)

    def _stepwise(self, tgt_in: torch.Tensor, state: DecoderState, ratio: float) -> torch.Tensor:
        """One `step` per target token, each projected at once -> logits (B, T, V). Each step is fed the gold
        token with probability `ratio`, else the model's own argmax (scheduled sampling): what the next
        input is depends on this step's logits. With ratio 1, the reference the fast path must equal."""
        tokens, logits = tgt_in[:, 0], []
        for t in range(tgt_in.size(1)):
            attn_h, _, state = self.decoder.step(tokens, state)
            logits.append(self.decoder.project(attn_h))
            if t + 1 < tgt_in.size(1):
                gold = torch.rand(tokens.size(0), device=tokens.device) < ratio
                tokens = torch.where(gold, tgt_in[:, t + 1], logits[-1].argmax(-1))
        return torch.stack(logits, 1)
