"""The recurrences of nn.RNN, nn.LSTM and nn.GRU written out step by step, to see their gates.

The fused kernels return only the hidden states; their gates never leave the kernel. These pure functions
recompute one layer, one direction, from the module's own weights (`weight_ih_l{k}`, `weight_hh_l{k}` and the
biases, `_reverse` for the backward direction) in PyTorch's gate order, and return the gates with the states.
`tests/test_inspect_gates.py` holds that their states equal the fused module's to float tolerance.

    LSTM (rows of the weights: i, f, g, o)        GRU (rows: r, z, n)
      i = sigma(W_i x + b_i + U_i h + c_i)          r = sigma(W_r x + b_r + U_r h + c_r)
      f = sigma(...), o = sigma(...)                z = sigma(W_z x + b_z + U_z h + c_z)
      g = tanh(...)                                 n = tanh(W_n x + b_n + r * (U_n h + c_n))
      c' = f * c + i * g,  h' = o * tanh(c')        h' = (1 - z) * n + z * h

So the LSTM's forget gate f is the share of each memory cell kept and its input gate i the share written;
the GRU's update gate z is the share of each unit's old state kept, 1 - z the share rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn

# cell -> the gates it has, in the order they are shown; a plain RNN has none.
GATES: dict[str, tuple[str, ...]] = {"lstm": ("forget", "input", "output"), "gru": ("update", "reset"), "rnn": ()}
# What each gate says, for legends.
GATE_MEANING = {"forget": "share of the memory kept", "input": "share of the new content written",
                "output": "share of the memory shown as the hidden state",
                "update": "share of the old state kept", "reset": "share of the old state read by the new content"}


@dataclass
class LayerWeights:
    """One layer, one direction of a fused module: w_ih (G*H, F), w_hh (G*H, H), biases (G*H,) or None."""

    w_ih: "torch.Tensor"
    w_hh: "torch.Tensor"
    b_ih: "torch.Tensor | None"
    b_hh: "torch.Tensor | None"

    @classmethod
    def of(cls, rnn: "nn.RNNBase", layer: int, backward: bool = False) -> "LayerWeights":
        suffix = f"_l{layer}" + ("_reverse" if backward else "")
        return cls(getattr(rnn, "weight_ih" + suffix), getattr(rnn, "weight_hh" + suffix),
                   getattr(rnn, "bias_ih" + suffix, None), getattr(rnn, "bias_hh" + suffix, None))


def run_cell(cell: str, x: "torch.Tensor", weights: LayerWeights, h0: "torch.Tensor | None" = None,
             c0: "torch.Tensor | None" = None, nonlinearity: str = "tanh") -> dict[str, "torch.Tensor"]:
    """x (T, F) in reading order, h0/c0 (H,) or None (zeros) -> {"h": (T, H), "c": (T, H) for LSTM, and one
    (T, H) tensor per gate of GATES[cell]}: the state and gates after each step."""
    import torch

    w = weights
    hidden = w.w_hh.size(1)
    x = x.to(w.w_ih.dtype)
    h = h0.to(x.dtype) if h0 is not None else x.new_zeros(hidden)
    projected = x @ w.w_ih.T + (w.b_ih if w.b_ih is not None else 0)  # the input's share, all steps at once
    b_hh = w.b_hh if w.b_hh is not None else 0
    steps: dict[str, list] = {}
    if cell == "lstm":
        c = c0.to(x.dtype) if c0 is not None else x.new_zeros(hidden)
        for t in range(x.size(0)):
            i, f, g, o = (projected[t] + w.w_hh @ h + b_hh).chunk(4)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            _keep(steps, h=h, c=c, input=i, forget=f, output=o)
    elif cell == "gru":
        for t in range(x.size(0)):
            xr, xz, xn = projected[t].chunk(3)
            hr, hz, hn = (w.w_hh @ h + b_hh).chunk(3)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            h = (1 - z) * torch.tanh(xn + r * hn) + z * h
            _keep(steps, h=h, reset=r, update=z)
    elif cell == "rnn":
        act = torch.tanh if nonlinearity == "tanh" else torch.relu
        for t in range(x.size(0)):
            h = act(projected[t] + w.w_hh @ h + b_hh)
            _keep(steps, h=h)
    else:
        from textrnn.errors import UnknownNameError

        raise UnknownNameError("cell", cell, list(GATES))
    empty = x.new_zeros(0, hidden)
    return {name: torch.stack(values) if values else empty for name, values in steps.items()} or {"h": empty}


def _keep(steps: dict[str, list], **values: "torch.Tensor") -> None:
    for name, value in values.items():
        steps.setdefault(name, []).append(value)
