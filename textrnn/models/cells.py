"""Recurrent cell registry: the fused PyTorch modules, all batch_first=True, so batches are (B, T)."""

from __future__ import annotations

from torch import nn

from textrnn.errors import ConfigError, UnknownNameError

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


def check_sizes(**sizes: float) -> None:
    for name, value in sizes.items():
        if name == "dropout":
            if not 0.0 <= value < 1.0:
                raise ConfigError(f"dropout must be in [0, 1), got {value}")
        elif value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
