"""Every layer's states along one sequence, as `Track`s: the fused kernel for the states, the step-by-step
recurrence of `gates.run_cell` only when the gates are asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from textrnn.inspect.gates import GATES, LayerWeights, run_cell

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass
class Track:
    """One recurrent layer, one direction, along a sequence of T tokens. Arrays are in token order.

    states (T, H): the hidden state after reading each token (a backward direction reads from the end, so
    its state at token t has read tokens t..T). start (H,): the state before its first step.
    gates: name -> (T, H) activations in [0, 1], when asked for (a plain RNN has none); memory (T, H): an
    LSTM's cell state, with its gates.
    """

    name: str
    states: np.ndarray
    start: np.ndarray
    backward: bool = False
    gates: dict[str, np.ndarray] = field(default_factory=dict)
    memory: np.ndarray | None = None

    @property
    def previous(self) -> np.ndarray:
        """(T, H): the state each step started from, in reading order."""
        if self.backward:
            return np.concatenate([self.states[1:], self.start[None]], axis=0)
        return np.concatenate([self.start[None], self.states[:-1]], axis=0)

    @property
    def change(self) -> np.ndarray:
        """(T,): how far each step moved the state, the Euclidean norm of h_t - h_{t-1}."""
        return np.linalg.norm(self.states - self.previous, axis=1)

    @property
    def kept(self) -> np.ndarray:
        """(T,): how much of the state each step kept: the cosine similarity of h_t and h_{t-1}, clipped at 0
        (1: the state kept its direction; 0: it turned to an unrelated one, or started from nothing)."""
        prev, now = self.previous, self.states
        norms = np.linalg.norm(prev, axis=1) * np.linalg.norm(now, axis=1)
        cos = np.divide((prev * now).sum(1), norms, out=np.zeros(len(now), dtype=np.float64), where=norms > 0)
        return np.clip(cos, 0.0, 1.0)

    def gate_means(self) -> dict[str, np.ndarray]:
        """name -> (T,) each gate's mean over the units, per step."""
        return {name: values.mean(axis=1) for name, values in self.gates.items()}


def cell_of(rnn: "nn.RNNBase") -> str:
    """The registry key of a fused module: lstm, gru or rnn."""
    return {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}[type(rnn).__name__]


def layer_outputs(rnn: "nn.RNNBase", x: "torch.Tensor") -> list["torch.Tensor"]:
    """x (T, F) -> each layer's outputs (T, H x directions), from the fused kernel one layer at a time (the
    module itself returns the top layer's only). Eval mode: no dropout between layers."""
    from torch.func import functional_call

    outputs, inp = [], x.unsqueeze(0)
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if rnn.bias else ())
    for layer in range(rnn.num_layers):
        kwargs = {"nonlinearity": rnn.nonlinearity} if cell_of(rnn) == "rnn" else {}
        one = type(rnn)(inp.size(-1), rnn.hidden_size, batch_first=True, bias=rnn.bias,
                        bidirectional=rnn.bidirectional, device="meta", **kwargs)
        params = {f"{n}_l0{rev}": getattr(rnn, f"{n}_l{layer}{rev}") for n in names
                  for rev in ("", "_reverse")[: 1 + rnn.bidirectional]}
        inp = functional_call(one, params, (inp,))[0]
        outputs.append(inp[0])
    return outputs


def tracks_of(rnn: "nn.RNNBase", x: "torch.Tensor", gates: bool, context: int = 0,
              prefix: str = "") -> tuple[list[Track], "torch.Tensor"]:
    """Run `rnn` over one sequence x (T, F) from a zero state -> a Track per layer and direction (forward
    first), and the top layer's outputs (T - context, H x directions).

    The first `context` steps are read but not shown (a language model's start-of-line token): the forward
    tracks start from the state they leave. A plain RNN shows no gates, having none."""
    cell = cell_of(rnn)
    size = rnn.hidden_size
    tracks, inp = [], x
    for layer, out in enumerate(layer_outputs(rnn, x)):
        for d in range(1 + rnn.bidirectional):
            states = out[:, d * size:(d + 1) * size]
            start = states[context - 1] if context and not d else states.new_zeros(size)
            name = f"{prefix}layer {layer + 1}" + (" backward" if d else "")
            track = Track(name, _np(states[context:]), _np(start), backward=bool(d))
            if gates and GATES[cell]:
                steps = _recompute(rnn, cell, layer, bool(d), inp)
                track.gates = {g: _np(steps[g][context:]) for g in GATES[cell]}
                track.memory = _np(steps["c"][context:]) if "c" in steps else None
            tracks.append(track)
        inp = out
    return tracks, inp[context:]


def _recompute(rnn, cell: str, layer: int, backward: bool, x) -> dict:
    """Gates and states of one layer and direction over x (T, F), in token order."""
    weights = LayerWeights.of(rnn, layer, backward)
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    if not backward:
        return run_cell(cell, x, weights, nonlinearity=nonlinearity)
    return {k: v.flip(0) for k, v in run_cell(cell, x.flip(0), weights, nonlinearity=nonlinearity).items()}


def stepped_tracks(rnn: "nn.RNNBase", inputs: "torch.Tensor", states: list, start, gates: bool,
                   prefix: str = "") -> list[Track]:
    """Tracks of a unidirectional `rnn` that was stepped one token at a time (an attention decoder).

    inputs (T, F): what its first layer read at each step; states: the module's state after each step,
    (L, 1, H) or an LSTM's (h, c) pair; start: the state before the first step, the same shape."""
    import torch

    cell = cell_of(rnn)
    hs = torch.stack([(s[0] if isinstance(s, tuple) else s)[:, 0] for s in states], 1)  # (L, T, H)
    h0 = (start[0] if isinstance(start, tuple) else start)[:, 0]  # (L, H)
    c0 = start[1][:, 0] if isinstance(start, tuple) else None
    tracks, inp = [], inputs
    for layer in range(rnn.num_layers):
        track = Track(f"{prefix}layer {layer + 1}", _np(hs[layer]), _np(h0[layer]))
        if gates and GATES[cell]:
            steps = run_cell(cell, inp, LayerWeights.of(rnn, layer), h0[layer], None if c0 is None else c0[layer],
                             getattr(rnn, "nonlinearity", "tanh"))
            track.gates = {g: _np(steps[g]) for g in GATES[cell]}
            track.memory = _np(steps["c"]) if "c" in steps else None
        tracks.append(track)
        inp = hs[layer]
    return tracks


def _np(t: "torch.Tensor") -> np.ndarray:
    return t.detach().float().cpu().numpy()
