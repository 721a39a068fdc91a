"""Optimizers by name, and gradual unfreezing of a model's parameter groups."""

from __future__ import annotations

from collections.abc import Iterable

from textrnn.errors import UnknownNameError

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")


def make_optimizer(name: str, params: Iterable, lr: float, weight_decay: float = 0.0):
    import torch

    factories = {
        "sgd": lambda: torch.optim.SGD(params, lr=lr, weight_decay=weight_decay),
        "adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=weight_decay),
        "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay or 0.01),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay),
    }
    if name not in factories:
        raise UnknownNameError("optimizer", name, list(factories))
    return factories[name]()


def unfreeze(groups: list[dict], epoch: int) -> None:
    """Gradual unfreezing: in `epoch` (from 1) the first `epoch` of the top-down `groups` train, the rest are
    frozen (no gradient, so the optimizer leaves them and their state alone)."""
    for depth, group in enumerate(groups):
        for param in group["params"]:
            param.requires_grad_(depth < epoch)
