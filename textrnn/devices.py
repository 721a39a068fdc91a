"""Where to compute: device names ("auto", "cpu", "cuda", "cuda:N", "mps") checked against what this machine
has, and how many CPU threads this process uses."""

from __future__ import annotations

import os
import re

from textrnn.errors import ConfigError
from textrnn.ranges import check

_NAME = re.compile(r"auto|cpu|mps|cuda(?::(\d+))?")
VALID = "auto, cpu, cuda, cuda:N (N from 0) or mps"


def check_name(name: str) -> None:
    """Refuse a string that names no device, without importing torch."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"--device {name!r} is not a device; valid: {VALID}", hint="use --device cpu")


def pick_device(name: str = "auto") -> str:
    """The device to run on. "auto": CUDA when present, else the CPU. A device this machine lacks is refused.
    Among several training processes (torchrun), "cuda" is the GPU of this process's local rank."""
    check_name(name)
    if name == "cpu":
        return name
    import torch

    from textrnn.distributed import local_cuda

    if name == "auto":
        return local_cuda("cuda") if torch.cuda.is_available() else "cpu"
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
    return local_cuda(name)


_threads: int | None = None  # what set_threads was given; None: PyTorch's default


def set_threads(threads: int | None) -> None:
    """Use `threads` CPU threads in this process: PyTorch's intra-op and inter-op pools, and at most that many
    processes to tokenize a large corpus. None leaves PyTorch's default: one thread per core, or
    OMP_NUM_THREADS. Call it before the work starts; `--threads N` on the command line calls it.

    Raises ConfigError for a value outside 1 .. 1024 (textrnn.ranges)."""
    global _threads
    check("threads", threads)
    if threads is None:
        return
    import torch

    _threads = threads
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # settable once, before any inter-op work; the intra-op pool is what RNNs use
        pass


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity (taskset, a container's cpuset), not the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def cpu_workers() -> int:
    """How many processes a parallel step (tokenizing a large corpus) may use: the threads set by set_threads
    or OMP_NUM_THREADS, else the cores this process may run on."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    return _threads or (int(env) if env.isdigit() and int(env) > 0 else None) or available_cores()


PRECISIONS = ("auto", "fp32", "bf16")


def autocast_dtype(precision: str, device: str, cpu_auto_bf16: bool = False):
    """The dtype that training's matrix products run in under autocast, or None for float32 throughout.
    "auto": bfloat16 on CUDA; on a CPU with native bfloat16 (AVX512-BF16 or AMX, where oneDNN's bfloat16
    products run at about twice float32's rate) when `cpu_auto_bf16`, for a model measured to learn there as
    it does in float32 (a word language model: benchmarks/lm_precision.py); float32 elsewhere. "bf16":
    bfloat16 on any device that does it natively, refused elsewhere."""
    if precision == "fp32":
        return None
    if precision == "auto" and not device.startswith("cuda"):
        if not (cpu_auto_bf16 and device == "cpu" and native_bf16(device)):
            return None
        precision = "bf16"
    import torch

    if device == "mps":
        raise ConfigError("--precision bf16 is for CUDA and for CPUs, not Apple's MPS", hint="leave --precision at auto")
    if precision == "bf16" and device == "cpu" and not native_bf16(device):
        raise ConfigError("--precision bf16: this CPU has no native bfloat16 arithmetic (AVX512-BF16 or AMX), "
                          "so it would be slower than float32", hint="leave --precision at auto")
    return torch.bfloat16


def native_bf16(device: str) -> bool:
    """Whether `device` computes bfloat16 natively: a CPU with AVX512-BF16 or AMX, a CUDA GPU that supports it."""
    import torch

    if device == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return device.startswith("cuda") and torch.cuda.is_bf16_supported()
