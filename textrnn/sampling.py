"""Decoding choices over a logits vector: temperature, top-k, nucleus (top-p), greedy. Pure functions."""

from __future__ import annotations

import torch

from textrnn.ranges import check


def check_sampling(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> None:
    """Refuse values outside their ranges (textrnn.ranges): a NaN temperature, a negative top-k, top-p 0 ..."""
    check("temperature", temperature)
    check("top_k", top_k)
    check("top_p", top_p)


def filter_logits(logits: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Set to -inf every logit outside the top k and outside the smallest set with mass >= top_p.

    logits: (..., V). Nucleus sampling: Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration".
    """
    logits = logits.clone()
    if top_k and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits[logits < kth] = float("-inf")
    if 0.0 < top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cum = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cum - torch.softmax(sorted_logits, dim=-1) >= top_p  # keep the token that crosses top_p
        sorted_logits[drop] = float("-inf")
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


def next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Pick the next id from logits (B, V) -> (B,). Temperature 0 means greedy (argmax).

    The logits are shifted so that their maximum is 0 before dividing (no probability changes), in float64,
    so that no positive temperature, however small or large, turns them into inf or NaN.
    """
    if temperature <= 0:
        return logits.argmax(dim=-1)
    shifted = logits.double() - logits.double().max(dim=-1, keepdim=True).values
    scaled = torch.where(shifted == 0, 0.0, shifted / temperature)
    probs = torch.softmax(filter_logits(scaled, top_k, top_p), dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
