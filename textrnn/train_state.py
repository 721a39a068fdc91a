"""A training run's resumable state: the counters, how they are written beside the weights and read back, and
Ctrl-C held back to the end of a training step so that what is saved is never half a step.

    resume/                a model directory of the latest weights, plus
      trainer.json         counters (TrainState), the training options, Python's RNG version and gauss
      trainer.pt           optimizer and scheduler state, torch and Python RNG states, and, inside an epoch,
                           the language model's carried hidden state (tensors only: loaded with weights_only);
                           of several processes (textrnn.distributed), each rank's RNG, carried state and sums
"""

from __future__ import annotations

import json
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from textrnn.errors import DamagedModelError, TrainingError

RESUME_DIR, TRAINER_STATE, TRAINER_TENSORS = "resume", "trainer.json", "trainer.pt"
_RESTART = "start the run again with --overwrite instead of --resume"


@dataclass
class TrainState:
    """Counters saved with each resumable checkpoint."""

    epoch: int = 0  # epochs completed
    best: float | None = None
    best_tie: float | None = None  # the tie-break metric at the best epoch
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    elapsed: float = 0.0
    step: int = 0  # steps done in the epoch under way (epoch + 1); 0 between epochs
    partial: dict[str, float] = field(default_factory=dict)  # its sums so far: loss, batches, tokens, seconds


def _map(fn, state):
    """`fn` applied to each tensor of a recurrent state (cells.map_state), or None for none."""
    from textrnn.models.cells import map_state

    return None if state is None else map_state(fn, state)


def carried(model):
    """The hidden state a model carries from one batch to the next (the language model's `_state`, which its
    `reset_state()` clears), or None."""
    return getattr(model, "_state", None) if hasattr(model, "reset_state") else None


def rank_state(model, state: TrainState) -> dict[str, Any]:
    """What differs from one training process to the next: its RNG states, its carried state (its own rows of
    the stream) and its sums of the epoch under way."""
    import torch

    mine = {"torch_rng": torch.get_rng_state(), "python_rng": list(random.getstate()[1]),
            "python_rng_gauss": random.getstate()[2], "partial": dict(state.partial)}
    if state.step:
        mine["carried"] = _map(lambda t: t.detach().cpu(), carried(model))
    return mine


def write(folder: Path, model, opt, sched, state: TrainState, config, ranks: list[dict] | None = None) -> None:
    """Write trainer.json and trainer.pt into `folder` (the resume directory being built). `ranks`: every
    training process's rank_state, in rank order, when there are several."""
    import torch

    tensors = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
               "torch_rng": torch.get_rng_state(), "python_rng": list(random.getstate()[1])}
    if state.step:
        tensors["carried"] = _map(lambda t: t.detach().cpu(), carried(model))
    if ranks:
        tensors["ranks"] = ranks
    torch.save(tensors, folder / TRAINER_TENSORS)
    doc = {"state": asdict(state), "train_config": asdict(config), "world_size": len(ranks or [None]),
           "python_rng_version": random.getstate()[0], "python_rng_gauss": random.getstate()[2]}
    (folder / TRAINER_STATE).write_text(json.dumps(doc), encoding="utf-8")


@dataclass
class Loaded:
    """A resume state read back: the counters, and what `restore` puts back where the run left off."""

    state: TrainState
    tensors: dict[str, Any]
    doc: dict[str, Any]
    rank: int = 0  # which training process this is (textrnn.distributed)

    def _mine(self) -> dict[str, Any]:
        """This rank's RNG, carried state and sums; a single process's are beside the optimizer's."""
        ranks = self.tensors.get("ranks")
        return ranks[self.rank] if ranks else {**self.tensors, "python_rng_gauss": self.doc["python_rng_gauss"],
                                                "partial": self.state.partial}

    def restore_rng(self) -> None:
        import torch

        mine = self._mine()
        torch.set_rng_state(mine["torch_rng"])
        random.setstate((self.doc["python_rng_version"], tuple(mine["python_rng"]), mine["python_rng_gauss"]))

    def restore_carried(self, model, device: str) -> None:
        """Inside an epoch: the model's carried hidden state as it was after the last step saved."""
        if self.state.step and hasattr(model, "reset_state"):
            model._state = _map(lambda t: t.to(device), self._mine().get("carried"))

    def partial(self) -> dict[str, float]:
        """The sums of the epoch under way, as this rank had them."""
        return dict(self._mine()["partial"])


def load(out_dir: Path, opt, sched, rank: int = 0) -> Loaded:
    """Read out_dir/resume/ into the optimizer and scheduler, restore the RNG states (of process `rank`); the
    counters."""
    import torch

    target = out_dir / RESUME_DIR
    if not (target / TRAINER_STATE).is_file():
        raise TrainingError(f"nothing to resume in {out_dir}: it has no {RESUME_DIR}/{TRAINER_STATE}",
                            hint="start without --resume (add --overwrite to replace the directory)")
    doc = read_state(target / TRAINER_STATE, lambda f: json.loads(f.read_text(encoding="utf-8")))
    # weights_only=True: the optimizer state is plain tensors and numbers; nothing is unpickled.
    tensors = read_state(target / TRAINER_TENSORS, lambda f: torch.load(f, weights_only=True, map_location="cpu"))
    try:
        opt.load_state_dict(tensors["optimizer"])
        sched.load_state_dict(tensors["scheduler"])
        loaded = Loaded(TrainState(**doc["state"]), tensors, doc, rank)
        loaded.restore_rng()
        return loaded
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as e:
        raise DamagedModelError(f"{target}: {TRAINER_STATE} and {TRAINER_TENSORS} do not hold a training state "
                                f"this run can continue ({type(e).__name__}: {str(e).splitlines()[0][:200]})",
                                hint=_RESTART) from None


def read_state(file: Path, read: Callable[[Path], Any]) -> Any:
    """One file of the resume state, read by `read`; a missing or damaged file is a DamagedModelError."""
    import pickle

    try:
        return read(file)
    except (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise DamagedModelError(f"{file} is damaged and cannot be read ({type(e).__name__}: "
                                f"{str(e).splitlines()[0][:200] if str(e) else 'no detail'})", hint=_RESTART) from None


class StepGuard:
    """Within the block, Ctrl-C (SIGINT) is held until the step under way ends: `check()` at a step's end
    delivers it then (a KeyboardInterrupt), so the weights, optimizer and counters saved for --resume are
    whole. A second Ctrl-C does not wait. Main thread only, and only where Ctrl-C has a Python handler (a
    process started with SIGINT ignored keeps ignoring it).

    `pending`: a Ctrl-C held from before (one of several processes carries it to the next epoch); `alone` False
    (one of several processes): the block's end does not deliver it, for the processes stop together at a step
    they agree on (Trainer._train_epoch), and one stopping by itself would leave the others waiting for it."""

    def __init__(self, pending: bool = False, alone: bool = True) -> None:
        self.pending, self.alone = pending, alone
        self._previous = None

    def _held(self, signum, frame) -> None:
        if self.pending:
            self._previous(signum, frame)
        self.pending = True

    def __enter__(self) -> "StepGuard":
        if threading.current_thread() is threading.main_thread() and callable(signal.getsignal(signal.SIGINT)):
            self._previous = signal.signal(signal.SIGINT, self._held)
        return self

    def __exit__(self, kind, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        if kind is None and self.alone:
            self.check()  # pressed after the last step's end: not lost

    def check(self) -> None:
        if self.pending:
            self.pending = False
            self._previous(signal.SIGINT, None)


def saved_epochs(done: int, start_saved: bool = True, step: int = 0, steps: int = 0) -> str:
    """'epoch 1 is saved', 'epochs 1-3 are saved', 'no epoch had finished ...', or with `step` (the steps of
    epoch done + 1 saved): 'epoch 1 and 40 of the 120 steps of epoch 2 are saved'."""
    if step:
        within = f"{step:,} of the {steps:,} steps of epoch {done + 1}"
        return f"{within} are saved" if done == 0 else \
            f"epoch{' 1' if done == 1 else f's 1-{done}'} and {within} are saved"
    if done == 0:
        return "no epoch had finished, the starting point is saved" if start_saved else \
            "no epoch had finished, nothing of this run is saved and the directory is as it was"
    return "epoch 1 is saved" if done == 1 else f"epochs 1-{done} are saved"
