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
