"""The fused softmax loss (textrnn.models.softmax_loss) against the textbook F.cross_entropy(F.linear(...)):
the same loss and gradients to float tolerance, and the language model's training steps unchanged by it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textrnn.models import build_model
from textrnn.models.softmax_loss import Workspace, linear_cross_entropy, tied_lookup
from textrnn.text.vocab import PAD_ID


def _both(x, w, b, y, ignore_index=-100, scale=1.0):
    """(loss, grads) of the fused loss and of the textbook one, on copies of the same leaves."""
    results = []
    for fused in (True, False):
        leaves = [t.detach().clone().requires_grad_() for t in (x, w, b)]
        if fused:
            loss = linear_cross_entropy(leaves[0] * scale, leaves[1], leaves[2], y, Workspace(), ignore_index)
        else:
            loss = F.cross_entropy(F.linear(leaves[0] * scale, leaves[1], leaves[2]), y, ignore_index=ignore_index)
        loss.backward()
        results.append((loss.detach(), [t.grad for t in leaves]))
    return results


def _close(a, b, rtol):
    assert torch.allclose(a, b, rtol=rtol, atol=rtol * b.abs().max().item()), (a - b).abs().max().item()


@pytest.mark.parametrize("dtype,rtol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
@pytest.mark.parametrize("scale", [1.0, 40.0])  # 40: some targets' probabilities underflow the softmax
def test_same_loss_and_gradients_as_the_textbook(dtype, rtol, scale):
    torch.manual_seed(0)
    x, w, b = torch.randn(60, 16, dtype=dtype), torch.randn(300, 16, dtype=dtype), torch.randn(300, dtype=dtype)
    y = torch.randint(0, 300, (60,))
    (fused, fused_grads), (plain, plain_grads) = _both(x, w, b, y, scale=scale)
    rows = F.cross_entropy(F.linear(x * scale, w, b), y, reduction="none")
    assert bool((rows > 69.1).any()) == (scale > 1)  # p < 1e-30: those rows take the exact fallback
    _close(fused, plain, rtol)
    for got, want in zip(fused_grads, plain_grads):
        _close(got, want, rtol)


def test_ignored_targets_are_left_out_as_the_textbook_leaves_them_out():
    torch.manual_seed(1)
    x, w, b = torch.randn(40, 8), torch.randn(50, 8), torch.randn(50)
    y = torch.randint(1, 50, (40,))
    y[::3] = PAD_ID
    (fused, fused_grads), (plain, plain_grads) = _both(x, w, b, y, ignore_index=PAD_ID)
    _close(fused, plain, 1e-5)
    for got, want in zip(fused_grads, plain_grads):
        _close(got, want, 1e-5)
    everything = torch.full((40,), PAD_ID)
    (fused, _), (plain, _) = _both(x, w, b, everything, ignore_index=PAD_ID)
    assert fused.isnan() and plain.isnan()


def test_a_second_forward_before_backward_is_refused():
    """The buffer holds the gradient of the last forward only: an older graph's backward must not use it."""
    x, w = torch.randn(6, 4, requires_grad=True), torch.randn(10, 4, requires_grad=True)
    y, ws = torch.randint(0, 10, (6,)), Workspace()
    first = linear_cross_entropy(x, w, None, y, ws)
    linear_cross_entropy(x, w, None, y, ws)
    with pytest.raises(RuntimeError, match="overwritten by a later forward"):
        first.backward()


@pytest.mark.parametrize("onednn", [False, True])
def test_both_backends_of_the_products_give_the_textbook_gradients(onednn, monkeypatch):
    """oneDNN takes the float32 products on AMD processors, torch.mm (MKL) elsewhere: each is checked here,
    whichever this machine picks."""
    from textrnn.models import softmax_loss

    if onednn and softmax_loss._ONEDNN is None:
        pytest.skip("this PyTorch has no oneDNN")
    monkeypatch.setattr(softmax_loss, "_onednn_first", lambda: onednn)
    torch.manual_seed(3)
    x, w, b = torch.randn(70, 16), torch.randn(300, 16), torch.randn(300)
    (fused, fused_grads), (plain, plain_grads) = _both(x, w, b, torch.randint(0, 300, (70,)))
    _close(fused, plain, 1e-5)
    for got, want in zip(fused_grads, plain_grads):
        _close(got, want, 1e-5)


@pytest.mark.parametrize("padding_idx", [PAD_ID, None])
def test_a_tied_lookup_gives_the_weight_the_textbook_gradient(padding_idx):
    """The lookup's rows are added into the output layer's gradient, as autograd sums nn.Embedding's dense
    gradient with it; an input at the padding id gets no gradient from the lookup, as nn.Embedding gives none."""
    torch.manual_seed(2)
    w0, b0 = torch.randn(50, 8), torch.randn(50)
    ids = torch.randint(0, 50, (4, 9))
    ids[:, ::4] = PAD_ID
    y = torch.randint(1, 50, (36,))
    grads = []
    for fused in (True, False):
        w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
        if fused:
            ws = Workspace()
            x = torch.tanh(tied_lookup(w, ids, ws, padding_idx)).reshape(-1, 8)
            loss = linear_cross_entropy(x, w, b, y, ws, tied=True)
        else:
            x = torch.tanh(F.embedding(ids, w, padding_idx)).reshape(-1, 8)
            loss = F.cross_entropy(F.linear(x, w, b), y)
        loss.backward()
        grads.append((w.grad, b.grad))
    for got, want in zip(*grads):
        _close(got, want, 1e-5)


def test_a_tied_lookup_refuses_an_output_gradient_from_another_forward():
    w, ids, y, ws = torch.randn(20, 4, requires_grad=True), torch.randint(0, 20, (3, 2)), torch.randint(0, 20, (6,)), Workspace()
    looked_up = tied_lookup(w, ids, ws)
    linear_cross_entropy(torch.randn(6, 4), w, None, y, ws)  # another forward takes the workspace in between
    loss = linear_cross_entropy(looked_up.reshape(-1, 4), w, None, y, ws, tied=True)
    with pytest.raises(RuntimeError, match="from another forward pass"):
        loss.backward()


def _train(loss_only: bool, steps: int = 6):
    """A tied 2-layer language model after `steps` clipped SGD steps, and its losses; dropout on."""
    torch.manual_seed(7)
    model = build_model("language_model", {"vocab_size": 120, "embedding_size": 24, "hidden_size": 24,
                                           "num_layers": 2, "dropout": 0.3, "embedding_dropout": 0.2})
    opt = torch.optim.SGD(model.parameters(), lr=5.0)
    data = torch.randint(4, 120, (5, steps * 9 + 1), generator=torch.Generator().manual_seed(3))
    data[:, ::11] = PAD_ID  # padding in the inputs (no gradient through its embedding) and targets (no loss)
    losses = []
    for i in range(0, steps * 9, 9):
        batch = {"input": data[:, i: i + 9], "target": data[:, i + 1: i + 10], "loss_only": loss_only}
        output, loss = model(batch)
        assert (output is None) == loss_only
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        losses.append(loss.item())
    return losses, model.state_dict()


def test_language_model_training_steps_are_unchanged_by_the_fused_loss():
    """The fused loss (with the tied lookup: the model ties its weights) draws no random numbers, so with
    dropout on the two runs see the same masks."""
    fused_losses, fused_weights = _train(loss_only=True)
    plain_losses, plain_weights = _train(loss_only=False)
    assert fused_losses == pytest.approx(plain_losses, rel=1e-5)
    for key, value in plain_weights.items():
        _close(fused_weights[key], value, 1e-4)


def test_evaluation_and_scores_do_not_use_the_fused_loss():
    """Without gradients (validation, evaluate) the batch's loss_only changes nothing: logits come back."""
    model = build_model("language_model", {"vocab_size": 30, "embedding_size": 8, "hidden_size": 8}).eval()
    ids = torch.randint(4, 30, (2, 5))
    with torch.inference_mode():
        logits, loss = model({"input": ids, "target": ids, "loss_only": True})
    assert logits.shape == (2, 5, 30)
    assert loss.item() == pytest.approx(F.cross_entropy(logits.reshape(-1, 30), ids.reshape(-1)).item(), rel=1e-6)
