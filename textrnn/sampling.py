"""Decoding choices over a logits vector: temperature, top-k, nucleus (top-p), greedy. Pure functions."""

from __future__ import annotations

import torch

from textrnn.ranges import check


def check_sampling(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> None:
    """Refuse values outside their ranges (textrnn.ranges): a NaN temperature, a negative top-k, top-p 0 ..."""
    check("temperature", temperature)
    check("top_k", top_k)
    check("top_p", top_p)


NUCLEUS_LOOKS = (64, 512)  # top-p looks for each row's nucleus among its likeliest this many tokens, then all


def filter_logits(logits: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Set to -inf every logit outside the top k and outside the smallest set with mass >= top_p.

    logits: (..., V). Nucleus sampling: Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration".
    """
    flat = logits.reshape(-1, logits.size(-1))
    kept = filter_probs(torch.softmax(flat.double(), dim=-1), top_k, top_p) > 0
    return flat.masked_fill(~kept, float("-inf")).view_as(logits)


def filter_probs(probs: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """filter_logits over probabilities (B, V): 0 outside the top k, then outside the smallest set holding
    top_p of what is left. Not renormalized (inverse_cdf needs no normalizing)."""
    if top_k and top_k < probs.size(-1):
        kth = torch.topk(probs, top_k, dim=-1).values[:, -1:]
        probs = probs.masked_fill(probs < kth, 0.0)
    if 0.0 < top_p < 1.0:
        probs = probs.masked_fill(~_nucleus(probs, top_p), 0.0)
    return probs


def _nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """(B, V) -> mask of each row's nucleus: its likeliest tokens up to and including the one whose
    cumulative probability reaches top_p of the row's total. Looked for among the row's 64 likeliest tokens,
    then its 512 likeliest where those hold less, and only then over the whole row: a full sort of every row
    would be most of the cost of a batched sampling step (80 of 110 ms for 256 rows of 2,067 tokens).
    Which way a row goes depends on that row alone, so a batch keeps what one row alone keeps.
    """
    goal = top_p * probs.sum(dim=-1)
    keep = torch.zeros_like(probs, dtype=torch.bool)
    rows = torch.arange(probs.size(0))
    for k in sorted({min(k, probs.size(-1)) for k in (*NUCLEUS_LOOKS, probs.size(-1))}):
        values, order = torch.topk(probs[rows], k, dim=-1)  # sorted, likeliest first
        cum = values.cumsum(dim=-1)
        covered = (cum[:, -1] >= goal[rows]) | (k == probs.size(-1))
        inside = (cum - values < goal[rows, None]) & covered[:, None]  # the mass before the token is short
        keep[rows] = keep[rows].scatter(-1, order, inside)
        rows = rows[~covered]
        if not len(rows):
            break
    return keep


def next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
               uniform: torch.Tensor | None = None) -> torch.Tensor:
    """Pick the next id from logits (B, V) -> (B,). Temperature 0 means greedy (argmax).

    uniform: (B,) draws in [0, 1), one per row (default: from torch's global generator); row b takes the
    token where its cumulative probability first exceeds uniform[b]. Each row depends on its own logits and
    draw only, so a row picks the same token whatever else is in the batch: the caller can give each row
    its own generator (textrnn.tasks.lm_generate).

    The logits are shifted so that their maximum is 0 before dividing (no probability changes), in float64,
    so that no positive temperature, however small or large, turns them into inf or NaN.
    """
    if temperature <= 0:
        return logits.argmax(dim=-1)
    shifted = logits.double() - logits.double().max(dim=-1, keepdim=True).values
    scaled = torch.where(shifted == 0, 0.0, shifted / temperature)
    probs = filter_probs(torch.softmax(scaled, dim=-1), top_k, top_p)
    if uniform is None:
        uniform = torch.rand(probs.size(0), dtype=torch.float64)
    return inverse_cdf(probs, uniform.to(probs.device, torch.float64))


def inverse_cdf(probs: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
    """probs (B, V) >= 0, uniform (B,) in [0, 1) -> (B,) the first id whose cumulative mass exceeds
    uniform x the row's total. Never an id of probability 0: where rounding puts the target at the very
    total, the row's last id with mass is taken."""
    cdf = probs.cumsum(dim=-1)
    total = cdf[:, -1:]
    picked = torch.searchsorted(cdf, uniform[:, None] * total, right=True)
    last = (cdf < total).sum(dim=-1, keepdim=True)  # the first id that reaches the total has mass
    return torch.minimum(picked, last).squeeze(-1)
