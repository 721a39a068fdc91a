"""Untrained language models of each cell on a text, and a brief training for them: the models the gradient
measurement compares when it is given none, or compares a saved model with."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textrnn.errors import CorpusError

if TYPE_CHECKING:
    import torch

    from textrnn.data.sources import Source
    from textrnn.models.language_model import LanguageModel, LanguageModelConfig
    from textrnn.text import Tokenizer, Vocab

MAX_VOCAB = 30_000  # as `train lm`


def text_stream(corpus: "str | Source", tokenizer: "Tokenizer", vocab: "Vocab | None" = None,
                ) -> tuple["torch.Tensor", "Vocab"]:
    """The corpus as one id stream (N,), each line followed by <eos>, as a language model reads it; with no
    vocabulary given, one is built from the text (every token, up to MAX_VOCAB)."""
    from textrnn.data.corpus import load_corpus, token_lists, tokenize_corpus
    from textrnn.data.lm import stream_ids
    from textrnn.text import Vocab

    ds = tokenize_corpus(load_corpus(corpus), "text", tokenizer)
    if vocab is None:
        vocab = Vocab.build(token_lists(ds), max_size=MAX_VOCAB)
    return stream_ids(token_lists(ds), vocab).long(), vocab  # small texts: in memory, as int64 windows need


def check_length(stream: "torch.Tensor", need: int, corpus: object, what: str) -> None:
    if stream.numel() < need:
        raise CorpusError(f"{corpus}: {stream.numel():,} tokens; {what} needs at least {need:,}",
                          hint="give a longer text, or a smaller --distance")


def fresh_config(cell: str, vocab_size: int, hidden_size: int, num_layers: int, nonlinearity: str = "tanh",
                 like: "LanguageModelConfig | None" = None) -> "LanguageModelConfig":
    """What `train lm --cell CELL` builds: `like`'s sizes when given (the cell changed), else these; the
    embedding as large as the hidden state, tied to the output layer."""
    from textrnn.models.language_model import LanguageModelConfig

    if like is not None:
        return replace(like, cell=cell, nonlinearity=nonlinearity if cell == "rnn" else like.nonlinearity)
    return LanguageModelConfig(vocab_size=vocab_size, embedding_size=hidden_size, hidden_size=hidden_size,
                               num_layers=num_layers, cell=cell, nonlinearity=nonlinearity)


def fresh_model(config: "LanguageModelConfig", seed: int) -> "LanguageModel":
    """A model at PyTorch's initialisation, the same for the same seed."""
    import torch

    from textrnn.models.language_model import LanguageModel

    torch.manual_seed(seed)
    return LanguageModel(config).eval()


def train_briefly(model: "LanguageModel", stream: "torch.Tensor", steps: int, seed: int, batch_size: int = 20,
                  bptt: int = 35, lr: float = 2e-3, clip: float = 0.25) -> float:
    """Adam on `steps` batches of `batch_size` random windows of `bptt` tokens (`train lm`'s defaults),
    no state carried between them. Returns the mean training loss of the last tenth of the steps."""
    import torch

    check_length(stream, bptt + 1, "the text", f"training on windows of {bptt} tokens")
    generator = torch.Generator().manual_seed(seed + 1)
    torch.manual_seed(seed + 1)  # dropout
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(steps):
        ids = sample_windows(stream, bptt + 1, batch_size, generator)
        model.reset_state()
        _, loss = model({"input": ids[:, :-1], "target": ids[:, 1:]})
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
    model.reset_state()
    model.eval()
    tail = losses[-max(1, steps // 10):]
    return sum(tail) / len(tail)


def sample_windows(stream: "torch.Tensor", length: int, count: int, generator: "torch.Generator") -> "torch.Tensor":
    """(count, length): windows of the stream starting at random places drawn from `generator`."""
    import torch

    starts = torch.randint(0, stream.numel() - length + 1, (count,), generator=generator)
    return stream[starts[:, None] + torch.arange(length)]
