"""Text classifier: embedding -> packed recurrent encoder -> pooling over time -> dropout -> linear over labels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from textrnn.errors import ConfigError, UnknownNameError
from textrnn.models.cells import (check_cell, default_dropouts, final_states, make_rnn, reverse_padded, run_packed,
                                  run_padded)
from textrnn.ranges import check_fields
from textrnn.text.subwords import Subwords
from textrnn.text.vocab import PAD_ID, UNK_ID

POOLINGS = ("last", "mean", "max", "attention", "concat")  # stable keys, saved in model configs


@dataclass(frozen=True)
class ClassifierConfig:
    vocab_size: int
    num_labels: int
    embedding_size: int = 128
    hidden_size: int = 128
    num_layers: int = 1
    cell: str = "lstm"
    nonlinearity: str = "tanh"  # for cell="rnn": "tanh" or "relu"
    bidirectional: bool = True
    dropout: float = 0.3  # between recurrent layers
    pooling: str = "max"
    embedding_dropout: float = 0.15
    output_dropout: float | None = None  # before the output layer; None: as `dropout`
    word_dropout: float = 0.0  # in training, each token becomes <unk> with this probability
    class_weights: tuple[float, ...] | None = None  # cross-entropy weight per label, in label order
    subword_buckets: int = 0  # > 0: add hashed character n-gram embeddings to each word's (fastText-style)
    subword_min_n: int = 3
    subword_max_n: int = 5
    # A second, backward encoder (its own embedding and one-direction recurrent layers) reads each text right to
    # left; its pooled features go beside the forward encoder's. Two language models, one read each way, start
    # the pair (`train classify --encoder FWD --encoder BWD`): ULMFiT's forward and backward models in one net.
    paired: bool = False

    def __post_init__(self) -> None:
        check_cell(self.cell, self.nonlinearity)
        check_fields(self, "vocab_size", "embedding_size", "hidden_size", "num_layers", "dropout", "word_dropout",
                     "subword_buckets")
        default_dropouts(self, "embedding_dropout", "output_dropout")
        _ = self.subwords  # Subwords checks the n-gram sizes
        if self.paired and self.bidirectional:
            raise ConfigError("a paired classifier reads one direction with each encoder: bidirectional must be off")
        if self.num_labels < 2:
            raise ConfigError(f"a classifier needs at least 2 labels, got {self.num_labels}")
        if self.pooling not in POOLINGS:
            raise UnknownNameError("pooling", self.pooling, POOLINGS)
        if self.class_weights is not None:
            # Read back from JSON as a list: keep the frozen config hashable.
            object.__setattr__(self, "class_weights", tuple(float(w) for w in self.class_weights))
            if len(self.class_weights) != self.num_labels or min(self.class_weights) <= 0:
                raise ConfigError(f"class_weights needs {self.num_labels} positive numbers, got {self.class_weights}")

    @property
    def subwords(self) -> Subwords | None:
        """How the data must give each token's n-gram ids, or None when the model reads words only."""
        if not self.subword_buckets:
            return None
        return Subwords(self.subword_buckets, self.subword_min_n, self.subword_max_n)


class AttentionPooling(nn.Module):
    """Additive attention over time steps: a_t = softmax_t(v . tanh(W h_t)), pooled = sum_t a_t h_t.

    The word-level attention of Yang et al. 2016, "Hierarchical Attention Networks for Document
    Classification", with a learned context vector `v`. Padding positions get zero weight.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.proj = nn.Linear(size, size)
        self.context = nn.Linear(size, 1, bias=False)

    def forward(self, out: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """out (B, T, D), mask (B, T) True on real tokens -> (B, D)."""
        scores = self.context(torch.tanh(self.proj(out))).squeeze(-1)  # (B, T)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), out).squeeze(1)


class Classifier(nn.Module):
    """Labels a text. Inputs are right-padded ids (B, T) with their lengths (B,); logits are (B, C).

    Padding never reaches a real step's recurrent state: on CUDA the batch is packed; on CPU, where packing
    is slower, `cells.run_padded` runs it dense and the backward direction reads each row reversed:

        ids      a b c d        lengths 4      run by the fused nn.LSTM/GRU/RNN kernels;
                 e f . .                2  ->  "last" takes each row's own final state (forward
                 g h i .                3      direction at its real end, backward at its start)

    "mean" and "max" pool the padded outputs with the padding masked out; "attention" learns the weights;
    "concat" puts last, max and mean side by side (3 x D features). A paired classifier (config.paired) has a
    second embedding and recurrent stack that reads each row reversed within its length, and puts its pooled
    features after the first's (2 x as many).
    """

    Config = ClassifierConfig

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=PAD_ID)
        # A word's vector plus the mean of its n-grams' (Bojanowski et al. 2017): unseen words get a vector.
        self.subword_embedding = (nn.EmbeddingBag(config.subword_buckets + 1, config.embedding_size, mode="mean",
                                                  padding_idx=0) if config.subword_buckets else None)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        self.rnn = make_rnn(config.cell, config.embedding_size, config.hidden_size, config.num_layers,
                            config.dropout, config.bidirectional, config.nonlinearity)
        size = config.hidden_size * (2 if config.bidirectional else 1)
        self.attention = AttentionPooling(size) if config.pooling == "attention" else None
        if config.paired:
            self.backward_embedding = nn.Embedding(config.vocab_size, config.embedding_size, padding_idx=PAD_ID)
            self.backward_rnn = make_rnn(config.cell, config.embedding_size, config.hidden_size, config.num_layers,
                                         config.dropout, False, config.nonlinearity)
            self.backward_attention = AttentionPooling(size) if config.pooling == "attention" else None
        else:
            self.backward_embedding = self.backward_rnn = self.backward_attention = None
        self.output_dropout = nn.Dropout(config.output_dropout)
        features = size * (3 if config.pooling == "concat" else 1) * (2 if config.paired else 1)
        self.output = nn.Linear(features, config.num_labels)
        weights = torch.tensor(config.class_weights) if config.class_weights else None
        # Not persistent: the weights live in config.json, the safetensors file holds parameters only.
        self.register_buffer("class_weights", weights, persistent=False)
        with torch.no_grad():
            for embedding in (self.embedding, self.backward_embedding):
                if embedding is not None:
                    nn.init.uniform_(embedding.weight, -0.1, 0.1)
                    embedding.weight[PAD_ID].zero_()
            if self.subword_embedding is not None:
                nn.init.uniform_(self.subword_embedding.weight, -0.1, 0.1)
                self.subword_embedding.weight[0].zero_()

    def parameter_groups(self, lr: float, decay: float) -> list[dict]:
        """Optimizer groups from the top down: the pooling and output layers at `lr`, each recurrent layer
        `decay` times slower than the one above it, the embeddings slowest (ULMFiT's discriminative
        fine-tuning: the lower layers hold what a pretrained encoder knows of the language)."""
        layers = self.config.num_layers
        groups: list[list[nn.Parameter]] = [[] for _ in range(layers + 2)]  # 0: head, 1..L: rnn top-down, L+1: emb
        for name, param in self.named_parameters():
            if name.startswith(("rnn.", "backward_rnn.")):
                layer = int(name.split("_l")[-1].split("_")[0])
                groups[layers - layer].append(param)
            elif name.startswith(("embedding.", "subword_embedding.", "backward_embedding.")):
                groups[-1].append(param)
            else:
                groups[0].append(param)
        return [{"params": g, "lr": lr / decay ** depth} for depth, g in enumerate(groups) if g]

    def embed(self, ids: torch.Tensor, subwords: torch.Tensor | None = None,
              embedding: nn.Embedding | None = None) -> torch.Tensor:
        """ids (B, T), subwords (B, T, K) n-gram bucket ids or None -> (B, T, E), by `embedding` (default: the
        forward encoder's); the n-gram vectors are shared by both encoders of a pair."""
        emb = (embedding or self.embedding)(ids)
        if self.subword_embedding is not None:
            if subwords is None:
                raise ConfigError("this classifier reads subwords: the batch needs a 'subwords' tensor")
            grams = self.subword_embedding(subwords.reshape(-1, subwords.size(-1)))  # (B x T, E)
            emb = emb + grams.view(emb.shape)
        return emb

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor, subwords: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T), lengths (B,) all >= 1, subwords (B, T, K) when the model has them
        -> pooled features (B, D), D = hidden_size x directions (3 x that for "concat"; 2 x for a pair)."""
        if self.training and self.config.word_dropout > 0:
            # Word dropout (Iyyer et al. 2015, "Deep Unordered Composition"): hide whole words so the
            # model cannot lean on a few; <unk> stands in, as it does for unseen words at test time.
            drop = (torch.rand(ids.shape, device=ids.device) < self.config.word_dropout) & (ids != PAD_ID)
            ids = ids.masked_fill(drop, UNK_ID)
        features = self._pool(self.embedding, self.rnn, self.attention, ids, lengths, subwords)
        if self.backward_rnn is None:
            return features
        back_ids = reverse_padded(ids.unsqueeze(-1), lengths).squeeze(-1)
        back_subwords = None if subwords is None else reverse_padded(subwords, lengths)
        back = self._pool(self.backward_embedding, self.backward_rnn, self.backward_attention, back_ids, lengths,
                          back_subwords)
        return torch.cat([features, back], dim=-1)

    def _pool(self, embedding: nn.Embedding, rnn: nn.RNNBase, attention: AttentionPooling | None,
              ids: torch.Tensor, lengths: torch.Tensor, subwords: torch.Tensor | None) -> torch.Tensor:
        """One encoder's pooled features: embedding -> recurrent layers -> the configured pooling."""
        emb = self.embedding_dropout(self.embed(ids, subwords, embedding))
        run = run_packed if emb.is_cuda else run_padded  # the same outputs; each the faster on its device
        out = run(rnn, emb, lengths)  # (B, T, D)
        mask = torch.arange(out.size(1), device=out.device)[None, :] < lengths.to(out.device)[:, None]
        pooling = self.config.pooling
        last = final_states(out, lengths, self.config.bidirectional) if pooling in ("last", "concat") else None
        if pooling == "last":
            return last
        if pooling == "attention":
            return attention(out, mask)
        mean = (out * mask.unsqueeze(-1)).sum(1) / lengths.to(out.device).unsqueeze(-1).to(out.dtype)
        if pooling == "mean":
            return mean
        top = out.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values
        if pooling == "max":
            return top
        # Concat pooling (Howard & Ruder 2018, ULMFiT): the last state, the max and the mean side by side.
        return torch.cat([last, top, mean], dim=-1)

    def forward(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor | None]:
        """batch: {"input": (B, T), "lengths": (B,), "subwords": (B, T, K) if used, "label": (B,) optional}
        -> (logits (B, C), loss or None)."""
        features = self.encode(batch["input"], batch["lengths"], batch.get("subwords"))
        logits = self.output(self.output_dropout(features))
        if "label" not in batch:
            return logits, None
        loss = F.cross_entropy(logits.float(), batch["label"], weight=self.class_weights)
        return logits, loss
