"""Device names: "auto", "cpu", "cuda", "cuda:N" or "mps", checked against what this machine has."""

from __future__ import annotations

import re

from textrnn.errors import ConfigError

_NAME = re.compile(r"auto|cpu|mps|cuda(?::(\d+))?")
VALID = "auto, cpu, cuda, cuda:N (N from 0) or mps"


def check_name(name: str) -> None:
    """Refuse a string that names no device, without importing torch."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"--device {name!r} is not a device; valid: {VALID}", hint="use --device cpu")


def pick_device(name: str = "auto") -> str:
    """The device to run on. "auto": CUDA when present, else the CPU. A device this machine lacks is refused."""
    check_name(name)
    if name == "cpu":
        return name
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "mps":
        if not (torch.backends.mps.is_built() and torch.backends.mps.is_available()):
            raise ConfigError("--device mps: Apple's MPS is not available on this machine", hint="use --device cpu")
        return name
    if not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: CUDA is not available on this machine", hint="use --device cpu")
    index = _NAME.fullmatch(name).group(1)
    count = torch.cuda.device_count()
    if index is not None and int(index) >= count:
        have = "1 CUDA device (cuda:0)" if count == 1 else f"{count} CUDA devices (cuda:0 to cuda:{count - 1})"
        raise ConfigError(f"--device {name}: this machine has {have}", hint="use --device cuda, or cpu")
    return name
