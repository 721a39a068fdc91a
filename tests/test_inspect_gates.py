"""The step-by-step recurrences (textrnn.inspect.gates) against PyTorch's fused modules, and a track's figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from textrnn.errors import UnknownNameError
from textrnn.inspect.gates import GATES, LayerWeights, run_cell
from textrnn.inspect.layers import Track, stepped_tracks, tracks_of

CELLS = [("lstm", "tanh"), ("gru", "tanh"), ("rnn", "tanh"), ("rnn", "relu")]
ATOL = 1e-5


def _module(cell: str, nonlinearity: str, layers: int = 2, bidirectional: bool = False, size: int = 6):
    torch.manual_seed(0)
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
    extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    return kind(5, size, num_layers=layers, batch_first=True, bidirectional=bidirectional, **extra).eval()


@pytest.mark.parametrize("cell,nonlinearity", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_tracks_match_the_fused_module(cell, nonlinearity, bidirectional):
    """Every layer and direction: the recomputed states equal the fused kernel's, the top layer equals the
    module's output, the last states its h_n (and c_n for an LSTM); gates lie in [0, 1]."""
    rnn = _module(cell, nonlinearity, bidirectional=bidirectional)
    x = torch.randn(7, 5)
    with torch.no_grad():
        out, final = rnn(x.unsqueeze(0))
        tracks, top = tracks_of(rnn, x, gates=True)
    h_n, c_n = final if cell == "lstm" else (final, None)
    dirs = 2 if bidirectional else 1
    assert len(tracks) == 2 * dirs
    assert torch.allclose(top, out[0], atol=ATOL)
    inp = x
    for layer in range(2):
        for d in range(dirs):
            track = tracks[layer * dirs + d]
            assert track.backward == bool(d) and track.name.endswith("backward") == bool(d)
            last = 0 if d else -1  # a backward direction ends at the first token
            assert np.allclose(track.states[last], h_n[layer * dirs + d, 0].numpy(), atol=ATOL)
            with torch.no_grad():
                steps = run_cell(cell, inp.flip(0) if d else inp, LayerWeights.of(rnn, layer, bool(d)),
                                 nonlinearity=nonlinearity)
            recomputed = steps["h"].flip(0) if d else steps["h"]
            assert np.allclose(recomputed.numpy(), track.states, atol=ATOL), (layer, d)
            assert set(track.gates) == set(GATES[cell])
            for values in track.gates.values():
                assert values.shape == track.states.shape and values.min() >= 0 and values.max() <= 1
            if cell == "lstm":
                assert np.allclose(track.memory[last], c_n[layer * dirs + d, 0].numpy(), atol=ATOL)
        inp = torch.from_numpy(np.concatenate([t.states for t in tracks[layer * dirs:(layer + 1) * dirs]], 1))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_run_cell_from_a_given_state(cell):
    """A decoder starts from the encoder's state, not from zeros."""
    rnn = _module(cell, "tanh", layers=1)
    x, h0, c0 = torch.randn(4, 5), torch.randn(6), torch.randn(6)
    with torch.no_grad():
        out, _ = rnn(x.unsqueeze(0), (h0.view(1, 1, -1), c0.view(1, 1, -1)) if cell == "lstm" else h0.view(1, 1, -1))
        steps = run_cell(cell, x, LayerWeights.of(rnn, 0), h0, c0)
    assert torch.allclose(steps["h"], out[0], atol=ATOL)


def test_gates_are_what_the_cell_says():
    """An LSTM whose forget-gate bias is huge keeps its memory (f = 1) and one whose input gate is shut
    writes nothing (i = 0): the gates are read from the right rows of the weights (PyTorch's i, f, g, o)."""
    rnn = _module("lstm", "tanh", layers=1)
    with torch.no_grad():
        rnn.bias_ih_l0[6:12] = 50.0   # forget gate rows
        rnn.bias_ih_l0[0:6] = -50.0   # input gate rows
        steps = run_cell("lstm", torch.randn(3, 5), LayerWeights.of(rnn, 0), c0=torch.ones(6))
    assert torch.allclose(steps["forget"], torch.ones(3, 6)) and torch.allclose(steps["input"], torch.zeros(3, 6))
    assert torch.allclose(steps["c"], torch.ones(3, 6), atol=1e-6)  # kept whole, nothing written


def test_stepped_tracks_of_a_decoder():
    """A 2-layer LSTM stepped one token at a time from a given state, as an attention decoder runs."""
    rnn = _module("lstm", "tanh")
    start = (torch.randn(2, 1, 6), torch.randn(2, 1, 6))
    inputs, states, state = torch.randn(5, 5), [], start
    with torch.no_grad():
        for t in range(5):
            _, state = rnn(inputs[t].view(1, 1, -1), state)
            states.append(state)
        tracks = stepped_tracks(rnn, inputs, states, start, gates=True, prefix="decoder ")
    assert [t.name for t in tracks] == ["decoder layer 1", "decoder layer 2"]
    for layer, track in enumerate(tracks):
        assert np.allclose(track.states, torch.stack([s[0][layer, 0] for s in states]).numpy(), atol=ATOL)
        assert np.allclose(track.memory, torch.stack([s[1][layer, 0] for s in states]).numpy(), atol=ATOL)
        assert np.allclose(track.start, start[0][layer, 0].numpy())
        assert all(0 <= v.min() and v.max() <= 1 for v in track.gates.values())


def test_change_and_kept():
    """change: the distance from the state before; kept: the cosine with it, 0 from nothing or turned away."""
    states = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, -1.0]])
    forward = Track("f", states, np.array([1.0, 0.0]))
    assert np.allclose(forward.change, [0.0, math.sqrt(2), 1.0, 3.0])
    assert np.allclose(forward.kept, [1.0, 0.0, 1.0, 0.0])
    backward = Track("b", states, np.zeros(2), backward=True)  # read from the end: each step follows the next
    assert np.allclose(backward.change, [math.sqrt(2), 1.0, 3.0, 1.0])
    assert np.allclose(backward.kept, [0.0, 1.0, 0.0, 0.0])


def test_unknown_cell_lists_the_valid_ones():
    rnn = _module("gru", "tanh", layers=1)
    with pytest.raises(UnknownNameError, match="lstm"):
        run_cell("mgu", torch.randn(2, 5), LayerWeights.of(rnn, 0))
