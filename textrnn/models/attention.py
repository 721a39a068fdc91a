"""Global attention over encoder outputs: Bahdanau (additive) and Luong (dot, general), masked by length.

Every variant scores a decoder query against each source position, masks the padding, and returns the
softmax-weighted sum of the encoder outputs (the context). Shapes, with B batch, T query steps (1 while
decoding), S source positions and H the model size:

    query   (B, T, H) or (B, H)     decoder states
    memory  (B, S, H)               encoder outputs, right-padded
    mask    (B, S) bool             True at real source tokens
    ->  context (B, T, H) or (B, H),  weights (B, T, S) or (B, S), each row summing to 1 over real tokens

`keys(memory)` holds the part of the score that depends on the source only; it is computed once per
sentence and reused at every decoder step.
"""

from __future__ import annotations

import torch
from torch import nn

from textrnn.errors import UnknownNameError


class Attention(nn.Module):
    """Base class: subclasses define `keys` and `score`; masking and the weighted sum are shared."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        """memory (B, S, H) -> keys (B, S, K): the source-side projection, reused at every step."""
        return memory

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """query (B, T, H), keys (B, S, K) -> unnormalised scores (B, T, S)."""
        raise NotImplementedError

    def forward(self, query: torch.Tensor, keys: torch.Tensor, memory: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        single = query.dim() == 2
        if single:
            query = query.unsqueeze(1)
        scores = self.score(query, keys)  # (B, T, S)
        # Padding gets no weight: -inf before the softmax (every sentence has at least one real token).
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores.float(), dim=-1).to(memory.dtype)
        context = torch.bmm(weights, memory)  # (B, T, H)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights


class DotAttention(Attention):
    """score(h_t, h_s) = h_t . h_s  (Luong, Pham & Manning 2015, "Effective Approaches to Attention-based
    Neural Machine Translation", eq. 8, "dot"). No parameters; query and memory share the size H."""

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.bmm(query, keys.transpose(1, 2))


class GeneralAttention(Attention):
    """score(h_t, h_s) = h_t . (W_a h_s)  (Luong et al. 2015, eq. 8, "general"). W_a h_s is the key."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__(hidden_size)
        self.linear = nn.Linear(hidden_size, hidden_size, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.linear(memory)

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.bmm(query, keys.transpose(1, 2))


class AdditiveAttention(Attention):
    """score(s, h_j) = v . tanh(W s + U h_j)  (Bahdanau, Cho & Bengio 2015, "Neural Machine Translation by
    Jointly Learning to Align and Translate", appendix A.1.2). U h_j is the key; the query s is the
    decoder's previous state s_{i-1}. Costs a (B, T, S, H) tensor, so it is used one step at a time."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__(hidden_size)
        self.query_proj = nn.Linear(hidden_size, hidden_size, bias=False)  # W
        self.key_proj = nn.Linear(hidden_size, hidden_size)  # U (its bias is the b of the paper's tanh)
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def keys(self, memory: torch.Tensor) -> torch.Tensor:
        return self.key_proj(memory)

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        q = self.query_proj(query).unsqueeze(2)  # (B, T, 1, H)
        return self.v(torch.tanh(q + keys.unsqueeze(1))).squeeze(-1)  # (B, T, S)


# Stable keys, saved in model configs.
ATTENTIONS: dict[str, type[Attention]] = {"bahdanau": AdditiveAttention, "dot": DotAttention,
                                          "general": GeneralAttention}
# Bahdanau attends from the previous decoder state before the recurrent step; Luong from the new one after it.
ATTENDS_BEFORE_STEP = {"bahdanau"}


def check_attention(name: str) -> None:
    if name not in ATTENTIONS:
        raise UnknownNameError("attention", name, list(ATTENTIONS))


def make_attention(name: str, hidden_size: int) -> Attention:
    check_attention(name)
    return ATTENTIONS[name](hidden_size)
