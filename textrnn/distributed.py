"""Data-parallel training on PyTorch's own engine: torchrun starts the processes and sets RANK, WORLD_SIZE and
LOCAL_RANK; `join` makes them one process group (gloo on CPU, NCCL on CUDA); DistributedDataParallel averages
their gradients. A process started without torchrun is rank 0 of a world of one, and nothing changes for it.

Every rank cuts the same global batch of B x N rows (B per process, N processes) into N consecutive parts and
takes its own, so that one step of N processes with batch B is one step of one process with batch B x N:

    language model   batchify(stream, B x N) -> rows rB .. rB + B - 1: each rank its own contiguous slices
    classifier,      bucket_batches(lengths, B x N, seed) -> of each global batch, rows rB .. rB + B - 1
    translator       (the same seeded, length-bucketed order on every rank)

DDP averages the ranks' mean gradients: the whole batch's mean when the parts are equal, as they are for the
language model (B rows x the same window) and for every full batch of the others. A short last batch is cut
into N near-equal parts (a few rows' weight then differs from one process's mean); one of fewer than N rows
is dropped, so that every rank takes the same number of steps and none waits for the others for ever.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from textrnn.errors import ConfigError


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes the model directory, metrics and progress."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.size > 1

    def _tensor(self, values: Sequence[float]):
        import torch

        return torch.tensor(list(values), dtype=torch.float64,
                            device=f"cuda:{self.local_rank}" if self.backend == "nccl" else "cpu")

    def _reduce(self, values: Sequence[float], op: str) -> list[float]:
        if not self.active:
            return list(values)
        import torch.distributed as dist

        t = self._tensor(values)
        dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
        return t.tolist()

    def agree(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag true on every rank when it is true on any (one all-reduce): decisions all ranks take."""
        return tuple(v > 0 for v in self._reduce([float(f) for f in flags], "MAX"))

    def total(self, *values: float) -> list[float]:
        """The sums over the ranks of `values`."""
        return self._reduce(values, "SUM")

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's `obj` on every rank (a metrics dict, a decision)."""
        if not self.active:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, obj: Any) -> list[Any] | None:
        """Every rank's `obj`, in rank order, on rank 0; None on the others."""
        if not self.active:
            return [obj]
        import torch.distributed as dist

        box = [None] * self.size if self.main else None
        dist.gather_object(obj, box, dst=0)
        return box

    def sum_tensor(self, t):
        """`t` summed over the ranks, in place (each rank's validation scores where it read, zeros elsewhere)."""
        if self.active:
            import torch.distributed as dist

            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def wrap(self, model):
        """`model` in DistributedDataParallel (its trainable parameters, as they are now), or `model` itself in
        a world of one. find_unused_parameters only where a step may leave parameters without a gradient (the
        model's `skips_parameters`: an adaptive softmax), which DDP otherwise waits for: it cost nothing
        measurable on a 2-layer LSTM (0.366 against 0.373 s a step), but warns on every rank when none is."""
        if not self.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        device = next(model.parameters()).device
        return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None,
                                       find_unused_parameters=getattr(model, "skips_parameters", False))

    def record(self, batch_size: int) -> dict[str, Any]:
        """How the run was spread, for the model directory's training record."""
        return {"processes": self.size, "backend": self.backend, "batch_per_process": batch_size,
                "effective_batch": batch_size * self.size}


def from_env() -> World:
    """The world torchrun describes in this process's environment (no process group is joined here)."""
    def number(name: str, default: int) -> int:
        try:
            return int(os.environ.get(name, "") or default)
        except ValueError:
            raise ConfigError(f"the environment variable {name}={os.environ[name]!r} is not a number",
                              hint="start the processes with torchrun, which sets it") from None

    world = World(number("RANK", 0), number("WORLD_SIZE", 1), number("LOCAL_RANK", 0))
    if not 0 <= world.rank < world.size:
        raise ConfigError(f"RANK={world.rank} is not a rank of WORLD_SIZE={world.size}",
                          hint="start the processes with torchrun, which sets both")
    return world


def current() -> World:
    """This process's world, with the backend of its process group once `join` has made it."""
    world = from_env()
    if world.active:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return replace(world, backend=dist.get_backend())
    return world


def local_cuda(name: str) -> str:
    """The CUDA device of this process: "cuda" is the GPU of its local rank when several processes train."""
    world = from_env()
    return f"cuda:{world.local_rank}" if name == "cuda" and world.active else name


def join(device: str = "auto") -> World:
    """Join the process group torchrun's environment describes (once): NCCL when training on CUDA, gloo on the
    CPU. In a world of one, nothing is done."""
    world = from_env()
    if not world.active:
        return world
    import torch
    import torch.distributed as dist

    from textrnn.devices import pick_device

    where = pick_device(device)
    if where == "mps":
        raise ConfigError("distributed training runs on CPUs (gloo) or CUDA GPUs (NCCL), not on Apple's MPS",
                          hint="use --device cpu")
    if not dist.is_initialized():
        backend = "nccl" if where.startswith("cuda") else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(torch.device(where))
        dist.init_process_group(backend)
    return current()


def part(n: int, world: World) -> range:
    """This rank's near-equal, consecutive part of n items, so that each is read by one rank: validation."""
    return range(n * world.rank // world.size, n * (world.rank + 1) // world.size)


def shard_rows(data, world: World):
    """(B x N, T) -> this rank's (B, T): rows rB .. rB + B - 1 of a batchified stream."""
    per = data.size(0) // world.size
    return data[world.rank * per: (world.rank + 1) * per]


def shard_batches(batches: Iterable[Sequence[int]], world: World) -> Iterator[list[int]]:
    """This rank's part of each global batch (row indices): N consecutive near-equal parts, rank r taking part
    r; a batch of fewer than N rows is dropped on every rank."""
    for rows in batches:
        rows = list(rows)
        if len(rows) < world.size:
            continue
        per, extra = divmod(len(rows), world.size)
        start = world.rank * per + min(world.rank, extra)
        yield rows[start: start + per + (world.rank < extra)]


def global_batches(batches: Sequence[Sequence[int]], world: World) -> int:
    """How many of `batches` (the global ones) every rank takes a part of: the epoch's steps."""
    return sum(len(rows) >= world.size for rows in batches)


def sharded(batches: Callable[[int, int], Sequence[Sequence[int]]], batch_size: int,
            world: World | None = None) -> tuple[Callable[[int], Iterator[list[int]]], int]:
    """(epoch -> this rank's row lists, steps per epoch) from `batches(epoch, size)`, an epoch's global batches
    of `size` = batch_size x N rows (the same on every rank), each cut into the ranks' parts (shard_batches)."""
    world = world or current()
    size = batch_size * world.size
    return (lambda epoch: shard_batches(batches(epoch, size), world)), global_batches(batches(1, size), world)
