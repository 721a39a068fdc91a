"""Recurrent cell registry: the fused PyTorch modules, all batch_first=True, so batches are (B, T)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from textrnn.errors import UnknownNameError
from textrnn.ranges import check

# Stable keys, saved in model configs.
CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
NONLINEARITIES = ("tanh", "relu")


def check_cell(cell: str, nonlinearity: str = "tanh") -> None:
    """Validate names early (configs call this in __post_init__)."""
    if cell not in CELLS:
        raise UnknownNameError("cell", cell, list(CELLS))
    if nonlinearity not in NONLINEARITIES:
        raise UnknownNameError("nonlinearity", nonlinearity, list(NONLINEARITIES))


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
             bidirectional: bool = False, nonlinearity: str = "tanh") -> nn.RNNBase:
    """One fused multi-layer RNN. `dropout` applies between layers, as nn.LSTM defines it."""
    check_cell(cell, nonlinearity)
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    return CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                       dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional, **kwargs)


def default_dropouts(config, *names: str) -> None:
    """Set each of a frozen config's dropouts left at None to its `dropout`, then check them all.

    A model saved before these had their own setting used `dropout` in their place, and still loads the same.
    """
    for name in names:
        if getattr(config, name) is None:
            object.__setattr__(config, name, config.dropout)
        check(name, getattr(config, name))


# Right-padded batches without packing ------------------------------------------------------------
#
# Packing keeps padding out of the recurrent state, but on CPU a packed batch runs 1.4-2.9x slower than a
# dense one (a 2-layer bidirectional GRU/LSTM of 128 units, batch 64 x 90 steps, forward and backward).
# A right-padded batch is already right for the forward direction: padding comes after every real token. The backward direction must start at each row's real
# end, so each row is reversed within its length, run forward, and reversed back:
#
#     row     a b c . .         reversed within length 3:  c b a . .
#     forward reads a b c       backward direction reads   c b a   (padding last, its outputs ignored)
#
# The directions run as one-layer, one-direction calls of the same module type with the module's own
# parameters (torch.func.functional_call), so the saved weights keep nn.LSTM/GRU/RNN's names and layout.

def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """x (B, T, F), lengths (B,) -> each row's first lengths[b] steps in reverse order, padding in place.
    Its own inverse."""
    return _gather_steps(x, _reversal(lengths, x))


def _reversal(lengths: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(B, T) source step of each step of x once every row is reversed within its length."""
    steps = torch.arange(x.size(1), device=x.device).expand(x.size(0), -1)
    back = lengths.to(x.device)[:, None] - 1 - steps
    return torch.where(back >= 0, back, steps)


def _gather_steps(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.size(-1)))


def run_padded(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Outputs (B, T, H x directions) of a batch_first `rnn` over right-padded x (B, T, F): at real positions
    equal to running it on the packed batch; at padded positions meaningless (mask them)."""
    if not rnn.bidirectional:
        return rnn(x)[0]  # dense is exact here: padding only follows the real steps
    return _by_layer(rnn, x, lengths, lambda one, params, y: (functional_call(one, params, (y,))[0], None))[0]


def _by_layer(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor, run):
    """Run `rnn` layer by layer and direction by direction over right-padded x, the backward direction reading
    each row reversed within its length. run(one, params, y) -> (outputs, final state or None) runs one
    direction of one layer (`one`, a one-layer module, with that direction's `params`) over y.
    -> the last layer's outputs, and the final states of every layer and direction in the module's order."""
    reversal = _reversal(lengths, x) if rnn.bidirectional else None  # the same for every layer
    out, finals = x, []
    for layer in range(rnn.num_layers):
        if layer:
            out = F.dropout(out, rnn.dropout, rnn.training)  # as nn.RNNBase applies it between layers
        one = _one_layer(type(rnn), out.size(-1), rnn.hidden_size, rnn.bias, getattr(rnn, "nonlinearity", None))
        halves = []
        for backward in (False, True) if rnn.bidirectional else (False,):
            suffix = f"_l{layer}_reverse" if backward else f"_l{layer}"
            params = {name + "_l0": getattr(rnn, name + suffix) for name in _WEIGHTS[: 4 if rnn.bias else 2]}
            y, final = run(one, params, _gather_steps(out, reversal) if backward else out)
            halves.append(_gather_steps(y, reversal) if backward else y)
            finals.append(final)
        out = torch.cat(halves, dim=-1) if len(halves) > 1 else halves[0]
    return out, finals


def run_packed(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The same outputs as `run_padded` (zeros at padded positions) through pack_padded_sequence: the fast
    way on CUDA, where cuDNN runs packed batches natively."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    return pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=x.size(1))[0]


def run_padded_states(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor):
    """`run_padded` that also gives the final state, in the module's own layout: (L x directions, B, H), or an
    (h, c) pair for an LSTM, each row's state at its own last real step (the backward direction's at its
    first), as a packed run gives it. What an encoder-decoder hands its decoder. Runs layer by layer."""
    out, finals = _by_layer(rnn, x, lengths, lambda one, params, y: _run_to_ends(one, params, y, lengths))
    if isinstance(rnn, nn.LSTM):
        return out, (torch.stack([h for h, _ in finals]), torch.stack([c for _, c in finals]))
    return out, torch.stack(finals)


def _run_to_ends(one: nn.RNNBase, params: dict, y: torch.Tensor, lengths: torch.Tensor):
    """One layer, one direction over right-padded y (B, T, F) -> outputs (B, T, H) and each row's state after
    its last real step: h (B, H), or (h, c) for an LSTM.

    A GRU's or plain RNN's state is its output, read at step length - 1 of one dense run. An LSTM's cell state
    is not among its outputs, so the run stops at each distinct length in turn and goes on from its state:

        lengths 5 3 3 5   ->   steps 0-2 (rows 1, 2 end: keep their h, c), then steps 3-4 (rows 0, 3 end)

    Batches of similar length (bucket_batches) have few distinct lengths, so few calls."""
    lengths = lengths.to(y.device)
    if not isinstance(one, nn.LSTM):
        out = functional_call(one, params, (y,))[0]
        return out, out[torch.arange(y.size(0), device=y.device), lengths - 1]
    outs, state, start, final = [], None, 0, None
    for end in sorted(set(lengths.tolist())):
        o, state = functional_call(one, params, (y[:, start:end],) if state is None else (y[:, start:end], state))
        outs.append(o)
        here = (lengths == end)[:, None]
        final = (state[0][0], state[1][0]) if final is None else \
            tuple(torch.where(here, s[0], f) for s, f in zip(state, final))
        start = end
    if start < y.size(1):  # steps past the longest row: padding only
        outs.append(outs[-1].new_zeros(y.size(0), y.size(1) - start, outs[-1].size(-1)))
    return torch.cat(outs, dim=1), final


def run_packed_states(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor):
    """`run_packed` with the final state as the module returns it: the same as `run_padded_states`, the fast way
    on CUDA."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = rnn(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=x.size(1))[0], state


def final_states(out: torch.Tensor, lengths: torch.Tensor, bidirectional: bool) -> torch.Tensor:
    """The last layer's final state per row (B, H x directions) from `run_padded` outputs: the forward
    direction at the row's last real step, the backward direction at its first."""
    rows = torch.arange(out.size(0), device=out.device)
    end = out[rows, lengths.to(out.device) - 1]
    if not bidirectional:
        return end
    hidden = out.size(-1) // 2
    return torch.cat([end[:, :hidden], out[:, 0, hidden:]], dim=-1)


_WEIGHTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _one_layer(kind: type[nn.RNNBase], input_size: int, hidden_size: int, bias: bool,
               nonlinearity: str | None) -> nn.RNNBase:
    """A parameterless (meta-device) one-layer, one-direction module that functional_call fills in. Made anew
    for each call (0.3 ms): functional_call swaps parameters in place, so a shared one would not be thread-safe."""
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    return kind(input_size, hidden_size, batch_first=True, bias=bias, device="meta", **kwargs)


def map_state(fn, *states):
    """fn over each tensor of an RNN state: one tensor (RNN, GRU) or an (h, c) pair (LSTM). Given several
    states, fn takes their matching tensors: map_state(lambda a, b: torch.cat([a, b], 1), s1, s2)."""
    if isinstance(states[0], tuple):
        return tuple(fn(*parts) for parts in zip(*states))
    return fn(*states)


def state_rows(state) -> int:
    """The batch size (B) of an RNN state: a (layers, B, H) tensor or an (h, c) pair of them."""
    return (state[0] if isinstance(state, tuple) else state).size(1)
