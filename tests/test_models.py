"""Shape matrix over cell x model kind on tiny tensors."""

from __future__ import annotations

import pytest
import torch

from textrnn.errors import ConfigError, UnknownNameError
from textrnn.models import build_model
from textrnn.models.cells import CELLS

B, T, V = 3, 7, 20


@pytest.mark.parametrize("cell,nonlinearity", [(c, "tanh") for c in CELLS] + [("rnn", "relu")])
@pytest.mark.parametrize("layers,tie", [(1, True), (2, False)])
def test_language_model_shapes(cell, nonlinearity, layers, tie):
    model = build_model("language_model", {"vocab_size": V, "embedding_size": 16, "hidden_size": 16 if tie else 12,
                                            "num_layers": layers, "cell": cell, "nonlinearity": nonlinearity,
                                            "tie_weights": tie})
    ids = torch.randint(0, V, (B, T))
    logits, loss = model({"input": ids, "target": ids})
    assert logits.shape == (B, T, V) and loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    assert model.embedding.weight.grad is not None
    if tie:
        assert model.decoder.weight is model.embedding.weight


def test_language_model_carries_state_between_batches():
    model = build_model("language_model", {"vocab_size": V, "embedding_size": 8, "hidden_size": 8, "dropout": 0.0,
                                           "embedding_dropout": 0.0, "output_dropout": 0.0}).eval()
    a, b = torch.randint(4, V, (2, 5)), torch.randint(4, V, (2, 5))
    model.reset_state()
    model({"input": a, "target": a})
    carried, _ = model({"input": b, "target": b})
    whole, _ = model.step(torch.cat([a, b], dim=1))
    assert torch.allclose(carried, whole[:, 5:], atol=1e-5)  # state after `a` is where `b` starts


def test_bad_configs_are_named():
    with pytest.raises(UnknownNameError, match="valid names: gru, lstm, rnn"):
        build_model("language_model", {"vocab_size": V, "cell": "transformer"})
    with pytest.raises(ConfigError, match="tie_weights needs embedding_size == hidden_size"):
        build_model("language_model", {"vocab_size": V, "embedding_size": 8, "hidden_size": 16})
    with pytest.raises(UnknownNameError, match="model kind"):
        build_model("mystery", {})


@pytest.mark.parametrize("cell,nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (3, True)])
def test_dense_padded_run_equals_packing(cell, nonlinearity, layers, bidirectional):
    """run_padded (CPU) and run_packed (CUDA) give the same outputs, final states and gradients at real steps."""
    from textrnn.models.cells import final_states, make_rnn, run_packed, run_padded

    torch.manual_seed(0)
    rnn = make_rnn(cell, 5, 7, layers, 0.0, bidirectional, nonlinearity)
    x = torch.randn(4, 9, 5)
    lengths = torch.tensor([9, 3, 1, 6])
    real = (torch.arange(9)[None, :] < lengths[:, None]).unsqueeze(-1)
    outs, grads = [], []
    for run in (run_padded, run_packed):
        rnn.zero_grad()
        out = run(rnn, x, lengths) * real
        (out.sum() + final_states(out, lengths, bidirectional).pow(2).sum()).backward()
        outs.append((out, final_states(out, lengths, bidirectional)))
        grads.append(rnn.weight_hh_l0.grad.clone())
    assert torch.allclose(outs[0][0], outs[1][0], atol=1e-5) and torch.allclose(outs[0][1], outs[1][1], atol=1e-5)
    assert torch.allclose(grads[0], grads[1], atol=1e-4) and grads[0].abs().sum() > 0
    assert outs[0][1].shape == (4, 7 * (2 if bidirectional else 1))
    if bidirectional:  # the backward direction of a short row saw none of the padding
        alone = run_padded(rnn, x[1:2, :3], lengths[1:2])
        assert torch.allclose(alone[0], outs[0][0][1, :3], atol=1e-5)


def test_reverse_padded_reverses_within_each_length_and_is_its_own_inverse():
    from textrnn.models.cells import reverse_padded

    x = torch.arange(8.0).view(2, 4, 1)
    lengths = torch.tensor([4, 2])
    flipped = reverse_padded(x, lengths)
    assert flipped.squeeze(-1).tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]
    assert torch.equal(reverse_padded(flipped, lengths), x)


def _adaptive(vocab: int = 60, **extra):
    return build_model("language_model", {"vocab_size": vocab, "embedding_size": 8, "hidden_size": 16,
                                          "tie_weights": False, "softmax": "adaptive", "cutoffs": [10, 30], **extra})


def test_adaptive_softmax_loss_equals_the_cross_entropy_of_its_own_distribution():
    model = _adaptive(dropout=0.0, embedding_dropout=0.0, output_dropout=0.0).eval()
    ids = torch.randint(4, 60, (B, T))
    out, loss = model({"input": ids[:, :-1], "target": ids[:, 1:]})
    assert out is None and torch.isfinite(loss)
    model.reset_state()
    scores, _ = model.step(ids[:, :-1])
    assert scores.shape == (B, T - 1, 60)
    assert torch.allclose(scores.exp().sum(-1), torch.ones(B, T - 1), atol=1e-5)  # a distribution over the vocab
    expected = torch.nn.functional.cross_entropy(scores.reshape(-1, 60), ids[:, 1:].reshape(-1))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_adaptive_softmax_ignores_padding_targets():
    model = _adaptive(dropout=0.0, embedding_dropout=0.0, output_dropout=0.0).eval()
    ids = torch.randint(4, 60, (1, 6))
    padded = ids.clone()
    padded[0, 4:] = 0  # PAD_ID
    _, full = model({"input": ids, "target": padded})
    model.reset_state()
    scores, _ = model.step(ids)
    expected = torch.nn.functional.cross_entropy(scores[0, :4], ids[0, :4])
    assert full.item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize("extra,message", [
    ({"tie_weights": True, "hidden_size": 8}, "no-tie-weights"),
    ({"cutoffs": [30, 10]}, "cutoffs must rise"),
    ({"cutoffs": [10, 60]}, "cutoffs must rise"),
    ({"softmax": "sampled"}, "adaptive, full"),
])
def test_bad_softmax_settings_are_refused(extra, message):
    with pytest.raises((ConfigError, UnknownNameError)) as e:
        _adaptive(**extra)
    assert message in f"{e.value} {getattr(e.value, 'hint', '')}"


def test_adaptive_softmax_too_small_for_its_clusters_is_refused():
    with pytest.raises(ConfigError, match="leaves no units"):
        _adaptive(hidden_size=12, cutoffs=[10, 30])
