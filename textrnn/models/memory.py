"""Will a model fit? Its parameters are counted from the config alone, before a byte of it is allocated.

The count is exact: the model is built on PyTorch's "meta" device, where tensors have shapes and no storage,
so the embedding, recurrent layers and output layer of every model kind are counted by the same code that
builds them, and no formula here can drift from the models. The initial values are not drawn there: on the
meta device PyTorch draws `normal_` through its Python reference kernels, whose first use imports torch._dynamo
(about 2.4 s, more than `import torch` itself, on every load of a model).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from textrnn.errors import ConfigError

FLOAT32 = 4
# Bytes per parameter in training: the weights, their gradients, and the optimizer's state per parameter.
OPTIMIZER_STATE = {"sgd": 0, "adam": 2 * FLOAT32, "adamw": 2 * FLOAT32, "rmsprop": FLOAT32}


def parameter_count(cls, config) -> int:
    """The number of parameters of `cls(config)`, counted without allocating them."""
    try:
        with meta_device():
            model = cls(config)
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        if "overflow" not in str(exc).lower():
            raise
        raise ConfigError(f"the model's sizes are too large to count: {_sizes(config)}",
                          hint="use a smaller --hidden-size, --embedding-size or --layers") from None
    return sum(p.numel() for p in model.parameters())


# torch.nn.init's in-place initializers, and the Tensor methods of the same names.
_INITIALIZERS = frozenset({"uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                           "sparse_"})


@contextmanager
def skip_init():
    """Build modules without filling their weights with initial values, which leaves them as allocated.

    For the meta device (nothing to fill), and for a model whose every weight is loaded next (model_weights
    checks that the file holds them all), where drawing a million random numbers per layer only to overwrite
    them is wasted time. Values a model computes in its constructor (a buffer from its config) are kept.
    """
    import torch
    from torch.overrides import TorchFunctionMode

    class SkipInit(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if getattr(func, "__name__", "") in _INITIALIZERS:
                tensor = args[0] if args else kwargs.get("tensor")
                if isinstance(tensor, torch.Tensor):
                    return tensor
            return func(*args, **kwargs)

    with SkipInit():
        yield


@contextmanager
def meta_device():
    """Build modules on PyTorch's meta device: shapes, no storage, no initial values."""
    import torch

    with torch.device("meta"), skip_init():
        yield


def device_memory(device: str = "cpu") -> int | None:
    """Bytes of memory on `device`: the GPU's own for CUDA, else the machine's physical memory (None: unknown)."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_properties(torch.device(device)).total_memory
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf (Windows) or no such name
        return None


def check_fits(cls, config, device: str = "cpu", optimizer: str | None = None) -> int:
    """Refuse (ConfigError) a model whose parameters alone would not fit in the device's memory: for training
    with `optimizer`, weights, gradients and optimizer state; for inference (None), the weights. Returns the
    parameter count."""
    count = parameter_count(cls, config)
    per_parameter = FLOAT32 if optimizer is None else 2 * FLOAT32 + OPTIMIZER_STATE.get(optimizer, 2 * FLOAT32)
    need, have = count * per_parameter, device_memory(device)
    if have is not None and need > have:
        what = "to load" if optimizer is None else f"to train with {optimizer} (weights, gradients and optimizer state)"
        where = "the GPU has" if device.startswith("cuda") else "this machine has"
        raise ConfigError(f"the model would have {count:,} parameters ({_sizes(config)}), about {_bytes(need)} {what}; "
                          f"{where} {_bytes(have)} of memory",
                          hint="use a smaller --hidden-size, --embedding-size, --layers or vocabulary")
    return count


def _sizes(config) -> str:
    names = ("vocab_size", "src_vocab_size", "tgt_vocab_size", "embedding_size", "hidden_size", "num_layers")
    return ", ".join(f"{name} {getattr(config, name):,}" for name in names if hasattr(config, name))


def _bytes(n: float) -> str:
    units, i = ("bytes", "KB", "MB", "GB", "TB", "PB"), 0
    while n >= 1000 and i < len(units) - 1:
        n, i = n / 1000, i + 1
    return f"{n:,.0f} bytes" if i == 0 else f"{n:,.1f} {units[i]}"
