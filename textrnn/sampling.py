"""Decoding choices over a logits vector: temperature, top-k, nucleus (top-p), greedy. Pure functions."""

from __future__ import annotations

import torch

from textrnn.ranges import check


def check_sampling(temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> None:
    """Refuse values outside their ranges (textrnn.ranges): a NaN temperature, a negative top-k, top-p 0 ..."""
    check("temperature", temperature)
    check("top_k", top_k)
    check("top_p", top_p)


# Top-p looks for a row's nucleus among its 64 likeliest tokens first when its likeliest holds at least 0.3 of
# the mass: measured on the bundled model and a flatter one, those 64 hold top_p 0.95 for 82-97% of such rows
# and for under half of the others, and taking 64 costs about 0.4 of sorting the row.
NUCLEUS_FIRST_LOOK = 64
NUCLEUS_PEAKED = 0.3


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
    """(B, V) -> mask of each row's nucleus: the tokens at least as likely as the one at which the running
    sum of the row's probabilities, likeliest first, reaches top_p of its total (ties with it are kept too).

    Only that crossing probability is needed, not the order of the tokens: it is looked for among the row's
    NUCLEUS_FIRST_LOOK likeliest when the row is peaked (NUCLEUS_PEAKED), and where those hold less than top_p
    or the row is flatter, in all of the row's values sorted (_largest). A full torch sort of every row was
    most of the cost of a batched sampling step. Either way gives the same crossing, as the same values are
    summed in the same order, so a row's nucleus depends on that row alone: a batch keeps what one row alone
    keeps.
    """
    total = probs.sum(dim=-1, keepdim=True)
    goal = top_p * total
    threshold = torch.empty_like(goal)
    found = torch.zeros(probs.size(0), dtype=torch.bool, device=probs.device)
    maybe = (probs.max(dim=-1, keepdim=True).values >= NUCLEUS_PEAKED * total)[:, 0].nonzero().squeeze(-1)
    if len(maybe):
        threshold[maybe], found[maybe] = _crossing(_largest(probs[maybe], NUCLEUS_FIRST_LOOK), goal[maybe])
    rest = (~found).nonzero().squeeze(-1)
    if len(rest):
        threshold[rest] = _crossing(_largest(probs[rest], probs.size(-1)), goal[rest])[0]
    return probs >= threshold


def _largest(values: torch.Tensor, k: int) -> torch.Tensor:
    """(R, V) -> each row's k largest values (R, min(k, V)), falling. By NumPy, values only: a partition that
    puts a row's k largest last, then a sort of those k (for 512 rows of 2,067, k = 64: 5.6 ms against 10.4 for
    torch.topk); for the whole row a sort (3x faster than torch.sort, which also orders indices)."""
    import numpy as np

    rows = values.cpu().numpy()
    width = rows.shape[-1]
    if k < width:
        rows = np.partition(rows, width - k, axis=-1)[:, width - k:]
    return torch.from_numpy(np.ascontiguousarray(np.sort(rows, axis=-1)[:, ::-1])).to(values.device)


def _crossing(values: torch.Tensor, goal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """values (R, K) falling, goal (R, 1) -> the value (R, 1) at which their running sum first reaches the
    goal (the last value where it does not), and whether it does (R,)."""
    cum = values.cumsum(dim=-1)
    short = (cum < goal).sum(dim=-1, keepdim=True)
    return values.gather(-1, short.clamp(max=values.size(-1) - 1)), cum[:, -1] >= goal[:, 0]


def next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
               uniform: torch.Tensor | None = None) -> torch.Tensor:
    """Pick the next id from logits (B, V) -> (B,). Temperature 0 means greedy (argmax).

    uniform: (B,) draws in [0, 1), one per row (default: from torch's global generator); row b takes the
    token where its cumulative probability first exceeds uniform[b]. Each row depends on its own logits and
    draw only, so a row picks the same token whatever else is in the batch: the caller can give each row
    its own generator (textrnn.tasks.lm_generate).

    The logits are shifted so that their maximum is 0 before dividing (no probability changes), so that no
    positive temperature, however small or large, turns them into inf or NaN: the likeliest stays at 0, the
    others at most go to -inf. The work is in the logits' float type: the generator passes float32, where
    float64 doubled the memory each step walks through; float32 rounding moves the boundary between two
    tokens by about 1e-7 of a row's mass.
    """
    if temperature <= 0:
        return logits.argmax(dim=-1)
    kind = torch.finfo(logits.dtype)
    temperature = min(max(temperature, kind.tiny), kind.max)  # a float64 temperature the logits' type can hold
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    # exp, not softmax: the row's total is taken where it is needed (filter_probs, inverse_cdf); the likeliest is 1.
    probs = filter_probs(torch.exp(shifted.div_(temperature)), top_k, top_p)
    if uniform is None:
        uniform = torch.rand(probs.size(0), dtype=torch.float64)
    return inverse_cdf(probs, uniform.to(probs.device, probs.dtype))


def inverse_cdf(probs: torch.Tensor, uniform: torch.Tensor) -> torch.Tensor:
    """probs (B, V) >= 0, uniform (B,) in [0, 1) -> (B,) the first id whose cumulative mass exceeds
    uniform x the row's total. Never an id of probability 0: where rounding puts the target at the very
    total, the row's last id with mass is taken."""
    cdf = probs.cumsum(dim=-1)
    total = cdf[:, -1:]
    picked = torch.searchsorted(cdf, uniform[:, None] * total, right=True).clamp(max=probs.size(-1) - 1)
    empty = (probs.gather(-1, picked) == 0).squeeze(-1)
    if bool(empty.any()):  # the first id that reaches the total has mass
        picked[empty] = (cdf[empty] < total[empty]).sum(dim=-1, keepdim=True)
    return picked.squeeze(-1)
