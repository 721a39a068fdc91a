"""Build the model a checked directory's config.json describes and load its weights into it, strictly.

    config.json --types--> model on torch's meta device (no memory) --shapes vs header--> real model
                --load (safetensors, no pickle)--> every tensor finite

Each step's problem is a DamagedModelError naming the file: a mistyped or impossible config value, a tensor
missing, unexpected or of another shape (weights of another task), NaN or infinite weights.
"""

from __future__ import annotations

import math
import types
import typing
from typing import TYPE_CHECKING, Any

from textrnn.errors import ConfigError, DamagedModelError, ModelError, UnknownNameError
from textrnn.model_dir import CONFIG, FLOAT_DTYPES, Checked

if TYPE_CHECKING:
    import torch


def build(checked: Checked) -> "torch.nn.Module":
    """The model config.json describes, its tensors' names and shapes compared with the weights file first.
    Its weights are left as allocated, not initialized: load_weights fills every one of them."""
    from textrnn.models import build_model, model_class
    from textrnn.models.memory import meta_device, skip_init

    file = checked.path / CONFIG
    config = dict(checked.config["model"])
    kind = config.pop("kind")
    _check_types(model_class(kind).Config, config, file)
    try:
        with meta_device():  # shapes only: nothing is allocated
            meta = build_model(kind, config)
    except (ConfigError, UnknownNameError, TypeError, ValueError) as e:
        raise DamagedModelError(f"{file}: {e}") from None
    _compare(meta, checked, kind)
    with skip_init():  # every weight was just found in the file, and load_weights reads them next
        return build_model(kind, config)


def load_weights(model: "torch.nn.Module", checked: Checked, device: str = "cpu") -> None:
    """Load the weights file into `model` (every tensor present, none left over) and refuse NaN or inf."""
    from safetensors.torch import load_model

    try:
        load_model(model, str(checked.weights), strict=True, device=str(device))
    except Exception as e:  # the header was checked; this is the file's data, or the device
        raise ModelError(f"{checked.weights} does not load: {str(e).splitlines()[0]}") from None
    state = model.state_dict()
    for name in sorted(state, key=lambda n: n not in checked.tensors):  # name the stored copy of a tied weight
        tensor = state[name]
        if tensor.is_floating_point() and not _finite(tensor):
            raise DamagedModelError(f"{checked.weights}: tensor {name!r} holds NaN or infinite values; "
                                    "the model cannot be used (retrain it, or restore an earlier copy)")


def _finite(tensor: "torch.Tensor") -> bool:
    """Whether every value is finite. A NaN or an infinity makes the sum NaN or infinite, so one sum (30 times
    faster than isfinite over every value) clears nearly every tensor; only a sum that is not finite, which
    large finite values can give too, is checked value by value."""
    import torch

    return bool(torch.isfinite(tensor.sum())) or bool(torch.isfinite(tensor).all())


def _compare(meta: "torch.nn.Module", checked: Checked, kind: str) -> None:
    """The weights file must hold each of the model's tensors (a tied pair once), with its shape, and nothing
    else: weights of another task or size are named here rather than failing inside torch."""
    stored, state = checked.tensors, meta.state_dict()
    groups: dict[int, list[str]] = {}  # tied weights are one tensor object under two names
    for name, tensor in [*meta.named_parameters(remove_duplicate=False), *meta.named_buffers(remove_duplicate=False)]:
        if name in state:
            groups.setdefault(id(tensor), []).append(name)
    missing = [names[0] for names in groups.values() if not any(n in stored for n in names)]
    unexpected = sorted(set(stored) - set(state))
    if missing or unexpected:
        parts = [f"{label} {', '.join(names[:4])}" + (" ..." if len(names) > 4 else "")
                 for label, names in (("missing", missing), ("unexpected", unexpected)) if names]
        raise DamagedModelError(f"{checked.weights} does not hold the weights of the {kind} that {CONFIG} "
                                f"describes: {'; '.join(parts)}")
    for name in sorted(set(stored) & set(state)):
        want, have = list(state[name].shape), list(stored[name].shape)
        if want != have:
            raise DamagedModelError(f"{checked.weights}: tensor {name!r} has shape {have}; the {kind} that "
                                    f"{CONFIG} describes needs {want}")
        if state[name].is_floating_point() and stored[name].dtype not in FLOAT_DTYPES:
            raise DamagedModelError(f"{checked.weights}: tensor {name!r} is {stored[name].dtype}, "
                                    "not floating point")


def _check_types(cls: type, config: dict[str, Any], file) -> None:
    """Each value of config.json's model against the type its config dataclass declares."""
    hints = typing.get_type_hints(cls)
    for key, value in config.items():
        if key in hints and not _fits(value, hints[key]):
            raise DamagedModelError(f"{file}: model.{key} must be {_describe(hints[key])}, got {value!r}"[:300])


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value has the type `hint` (int, float, bool, str, None, tuple[X, ...] and unions of them)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return isinstance(value, (list, tuple)) and all(_fits(v, typing.get_args(hint)[0]) for v in value)
    if hint is type(None):
        return value is None
    if hint is bool or isinstance(value, bool):
        return hint is bool and isinstance(value, bool)
    if hint is int:
        return isinstance(value, int)
    if hint is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    return True


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return f"a list of {_describe(typing.get_args(hint)[0]).split(' ', 1)[-1]}s"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string",
            type(None): "null"}.get(hint, str(hint))
