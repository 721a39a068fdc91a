"""Optimizers by name, and gradual unfreezing of a model's parameter groups."""

from __future__ import annotations

from collections.abc import Iterable

from textrnn.errors import UnknownNameError

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")


def make_optimizer(name: str, params: Iterable, lr: float, weight_decay: float = 0.0):
    """The optimizer `name` over `params` (tensors or parameter groups). Adam, AdamW and SGD use PyTorch's
    fused kernels where this torch has them for the parameters' device: one pass over all the weights
    instead of a loop of small ops per tensor (Adam's step measured 4-5x faster on CPU; benchmarks/optimizer.py),
    the same update up to float rounding."""
    import torch

    factories = {
        "sgd": lambda **fast: torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, **fast),
        "adam": lambda **fast: torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **fast),
        "adamw": lambda **fast: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay or 0.01, **fast),
        "rmsprop": lambda **fast: torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay),
    }
    if name not in factories:
        raise UnknownNameError("optimizer", name, list(factories))
    params = list(params)  # read twice if the fused kernels are not there
    if name != "rmsprop":
        try:
            return factories[name](fused=True)
        except (RuntimeError, ValueError):  # an older torch, or a device without the fused kernels
            pass
    return factories[name]()


def unfreeze(groups: list[dict], epoch: int) -> None:
    """Gradual unfreezing: in `epoch` (from 1) the first `epoch` of the top-down `groups` train, the rest are
    frozen (no gradient, so the optimizer leaves them and their state alone)."""
    for depth, group in enumerate(groups):
        for param in group["params"]:
            param.requires_grad_(depth < epoch)
