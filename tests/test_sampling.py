"""Sampling over logits (textrnn.sampling): the nucleus as its definition says, picks by each row's own draw."""

from __future__ import annotations

import pytest
import torch

from textrnn.sampling import filter_logits, inverse_cdf, next_token


def _nucleus_by_sorting(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """The definition, one row at a time: sort, keep the likeliest up to the token that reaches top_p."""
    keep = torch.zeros_like(logits, dtype=torch.bool)
    for row, scores in enumerate(logits):
        probs, order = torch.sort(torch.softmax(scores.double(), dim=-1), descending=True)
        before = probs.cumsum(dim=-1) - probs
        keep[row, order[before < top_p]] = True
    return keep


@pytest.mark.parametrize("vocab", [7, 63, 3000])
@pytest.mark.parametrize("top_p", [0.3, 0.9, 0.95])
def test_nucleus_is_the_smallest_set_of_likeliest_tokens_reaching_top_p(vocab, top_p):
    torch.manual_seed(vocab)
    # Peaked rows (the nucleus in the first look) and flat ones (it needs the whole row) in one batch.
    logits = torch.randn(40, vocab, dtype=torch.float64) * torch.tensor([0.3, 8.0]).repeat(20)[:, None]
    kept = torch.isfinite(filter_logits(logits, top_p=top_p))
    assert torch.equal(kept, _nucleus_by_sorting(logits, top_p))
    if vocab == 3000:
        sizes = kept.sum(dim=-1)
        assert sizes.min() < 64 < sizes.max()  # both ways were taken


def test_the_first_look_changes_the_speed_only(monkeypatch):
    from textrnn import sampling

    torch.manual_seed(1)
    probs = torch.softmax(torch.randn(60, 2000, dtype=torch.float64) * torch.linspace(0.5, 9, 60)[:, None], dim=-1)
    masks = []
    for peaked in (0.0, 0.3, 2.0):  # every row looks at its 64 likeliest first; the peaked ones; none
        monkeypatch.setattr(sampling, "NUCLEUS_PEAKED", peaked)
        masks.append(sampling._nucleus(probs, 0.9))
    assert torch.equal(masks[0], masks[1]) and torch.equal(masks[0], masks[2])
    assert masks[0].sum(dim=-1).min() < 64 < masks[0].sum(dim=-1).max()


def test_top_k_then_top_p_takes_top_p_of_what_top_k_left():
    logits = torch.log(torch.tensor([[0.4, 0.3, 0.2, 0.1]], dtype=torch.float64))
    # top-2 leaves 0.4 and 0.3, 4/7 and 3/7 of what is left: 4/7 alone is 0.55 of that; of the whole, 0.4 is not.
    assert torch.isfinite(filter_logits(logits, top_k=2, top_p=0.55)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.55)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(filter_logits(logits, top_p=0.35)).tolist() == [[True, False, False, False]]


def test_inverse_cdf_never_picks_a_token_without_mass():
    probs = torch.tensor([[0.0, 0.5, 0.0, 0.5, 0.0]] * 4, dtype=torch.float64)
    uniform = torch.tensor([0.0, 0.4999, 0.5, 1 - 2 ** -53], dtype=torch.float64)
    assert inverse_cdf(probs, uniform).tolist() == [1, 1, 3, 3]


def test_inverse_cdf_picks_in_proportion():
    probs = torch.tensor([[0.1, 0.0, 0.6, 0.3]], dtype=torch.float64).expand(10_000, -1)
    uniform = (torch.arange(10_000, dtype=torch.float64) + 0.5) / 10_000
    counts = torch.bincount(inverse_cdf(probs, uniform), minlength=4)
    assert counts.tolist() == [1000, 0, 6000, 3000]


def test_a_rows_pick_depends_on_its_own_logits_and_draw_only():
    torch.manual_seed(0)
    logits = torch.randn(32, 500) * 3
    uniform = torch.rand(32, dtype=torch.float64)
    together = next_token(logits, 0.8, 40, 0.9, uniform)
    alone = [int(next_token(logits[b:b + 1], 0.8, 40, 0.9, uniform[b:b + 1])[0]) for b in range(32)]
    assert together.tolist() == alone
    assert len(set(alone)) > 10


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("temperature", [1e-320, 1e-30, 1e-3, 1.0, 1e30, 1e308])
def test_any_finite_temperature_picks_a_token_with_mass(dtype, temperature):
    """Temperatures beyond what float32 holds (tiny or huge) act as the nearest it holds: never NaN, never a
    token whose logit is -inf (generation masks <pad> and <unk> that way)."""
    torch.manual_seed(2)
    logits = (torch.randn(64, 50) * 4).to(dtype)
    logits[:, :3] = float("-inf")
    for top_p in (1.0, 0.9):
        picked = next_token(logits, temperature, 0, top_p, torch.rand(64, dtype=torch.float64))
        assert bool((picked >= 3).all()), picked
    if temperature <= 1e-30:  # as greedy
        assert next_token(logits, temperature, 0, 0.9, torch.rand(64, dtype=torch.float64)).tolist() \
            == logits.argmax(dim=-1).tolist()
