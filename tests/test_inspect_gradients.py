"""The gradient measurement: the step-by-step run equals the fused one, the norms equal an independent
autograd computation and known closed forms, and a trained gated cell keeps more of its gradient than a
plain RNN on the same text."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from textrnn.errors import ConfigError, CorpusError, UnknownNameError, WrongTaskError
from textrnn.inspect.gradients import GradientConfig, gradient_norms, run_steps, vanishing_gradients, window_norms
from textrnn.models.language_model import LanguageModel, LanguageModelConfig

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def _lm(cell: str, nonlinearity: str = "tanh", layers: int = 2, size: int = 8, vocab: int = 30) -> LanguageModel:
    torch.manual_seed(0)
    return LanguageModel(LanguageModelConfig(vocab, size, size, layers, cell, nonlinearity, dropout=0.5)).eval()


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
def test_the_step_by_step_run_is_the_fused_run(cell, nonlinearity):
    model = _lm(cell, nonlinearity)
    x = torch.randn(3, 9, 8)
    fused = model.rnn(x)[0]
    warm = model.rnn(x[:, :4])[1]
    steps = torch.stack(list(run_steps(model.rnn, x[:, 4:], warm)), dim=1)
    assert torch.allclose(steps, fused[:, 4:], atol=1e-5)
    from_zeros = torch.stack(list(run_steps(model.rnn, x)), dim=1)
    assert torch.allclose(from_zeros, fused, atol=1e-5)


@pytest.mark.parametrize("cell, nonlinearity", CELLS)
def test_the_norms_are_the_gradient_of_the_last_loss_with_respect_to_each_earlier_state(cell, nonlinearity):
    """Independently: start the fused module at step T-k with the top layer's h as a leaf (an LSTM's c held
    as it was), run it to T, and ask autograd for the gradient of the loss at T."""
    model, warmup, n = _lm(cell, nonlinearity), 3, 6
    ids = torch.randint(4, 30, (5, warmup + n + 2), generator=torch.Generator().manual_seed(1))
    norms = window_norms(model, ids, warmup)
    assert norms.shape == (n + 1, 5)
    x = model.embedding(ids[:, :-1]).detach()
    for k in range(n + 1):
        split = warmup + n + 1 - k  # steps up to and including T-k
        with torch.no_grad():
            out, state = model.rnn(x[:, :split])
        h = state[0] if cell == "lstm" else state
        top = h[-1].clone().requires_grad_(True)
        h_start = torch.cat([h[:-1], top[None]])
        if k == 0:
            last = top
        else:
            start = (h_start, state[1]) if cell == "lstm" else h_start
            last = model.rnn(x[:, split:], start)[0][:, -1]
        loss = torch.nn.functional.cross_entropy(model.scores(last), ids[:, -1], reduction="sum")
        (grad,) = torch.autograd.grad(loss, top)
        assert torch.allclose(norms[k], grad.norm(dim=1), rtol=1e-4, atol=1e-9), k


def test_a_linear_recurrence_scales_the_gradient_by_its_weight_at_every_step():
    """h_t = tanh(0.9 h_{t-1}) from h = 0 with no input: tanh' is 1 all along, so k steps back the gradient is
    0.9^k of the last step's, exactly. An off-by-one in k would show as 0.9^(k +- 1)."""
    model = _lm("rnn", layers=1)
    with torch.no_grad():
        model.rnn.weight_ih_l0.zero_()
        model.rnn.bias_ih_l0.zero_()
        model.rnn.bias_hh_l0.zero_()
        model.rnn.weight_hh_l0.copy_(0.9 * torch.eye(8))
    stream = torch.randint(4, 30, (200,), generator=torch.Generator().manual_seed(0))
    ratios = gradient_norms(model, stream, GradientConfig(distance=12, windows=10, warmup=3))
    ratios = ratios / ratios[0]
    assert np.allclose(ratios, 0.9 ** np.arange(13), rtol=1e-5)


def test_a_gru_whose_update_gate_is_shut_keeps_all_of_its_gradient():
    """z = 1: h_t = h_{t-1}, so the gradient reaches every earlier state whole."""
    model = _lm("gru", layers=1)
    with torch.no_grad():
        model.rnn.bias_hh_l0[8:16].fill_(50.0)  # rows r, z, n: the update gate's bias
    stream = torch.randint(4, 30, (200,), generator=torch.Generator().manual_seed(0))
    norms = gradient_norms(model, stream, GradientConfig(distance=30, windows=10))
    assert np.allclose(norms / norms[0], 1.0, rtol=1e-5)


def test_gradient_norms_leave_the_model_as_they_found_it():
    model = _lm("lstm").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gradient_norms(model, torch.randint(4, 30, (300,)), GradientConfig(distance=5, windows=4))
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_a_trained_lstm_keeps_more_of_its_gradient_than_a_plain_rnn_on_the_same_text():
    """The bundled language model (an LSTM trained on everyday-english) beside a fresh RNN of its size, on
    the same windows of the same text and seed: the RNN's gradient 20 steps back has fallen by orders of
    magnitude, the LSTM's has not."""
    lstm, rnn = vanishing_gradients("everyday-english", cells=["rnn"],
                                    config=GradientConfig(distance=20, windows=32, seed=0))
    assert (lstm.cell, lstm.trained_steps, rnn.cell, rnn.trained_steps) == ("lstm", None, "rnn", 0)
    assert (rnn.hidden_size, rnn.num_layers) == (lstm.hidden_size, lstm.num_layers)
    assert rnn.ratios[20] < lstm.ratios[20] / 100
    assert rnn.ratios[20] < 1e-3 * rnn.ratios[1]
    assert lstm.ratios[20] > 1e-3


def test_training_is_measured_before_and_after(lm_corpus):
    curves = vanishing_gradients(corpus=str(lm_corpus), cells=["gru"], hidden_size=16, tokenizer="whitespace",
                                 train_steps=150, config=GradientConfig(distance=4, windows=8))
    before, after = curves
    assert (before.label, before.trained_steps, before.train_loss) == ("gru", 0, None)
    assert (after.label, after.trained_steps) == ("gru, trained 150 steps", 150)
    vocab_size = len({w for line in lm_corpus.read_text().splitlines() for w in line.split()}) + 4
    assert after.train_loss < math.log(vocab_size) - 0.5  # it learned something: better than a uniform guess
    assert not np.allclose(before.norms, after.norms)
    assert after.to_dict()["distance"] == [0, 1, 2, 3, 4] and len(after.to_dict()["ratio"]) == 5


def test_the_same_seed_gives_the_same_numbers(lm_corpus):
    def run():
        return vanishing_gradients(corpus=str(lm_corpus), cells=["rnn"], hidden_size=8, tokenizer="whitespace",
                                   config=GradientConfig(distance=6, windows=8, seed=3))[0].norms

    assert np.array_equal(run(), run())


def test_refusals(lm_corpus):
    with pytest.raises(ConfigError, match="distance must be at least 1"):
        GradientConfig(distance=0)
    with pytest.raises(UnknownNameError, match="unknown cell 'transformer'"):
        vanishing_gradients(corpus=str(lm_corpus), cells=["transformer"])
    with pytest.raises(WrongTaskError, match="sentiment is a classifier; this needs a language model"):
        vanishing_gradients("sentiment")
    with pytest.raises(CorpusError, match="needs at least 5,022"):
        vanishing_gradients(corpus=str(lm_corpus), cells=["rnn"], tokenizer="whitespace",
                            config=GradientConfig(distance=5000))
