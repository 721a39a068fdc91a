"""One model-agnostic training loop, shared by every task. Silent: it reports through callbacks.

Contract with the task: `model(batch)` returns `(output, loss)`; `batches(epoch)` yields dicts of tensors
(plus an int "ntokens" for throughput) in an order fixed by the seed and epoch; `evaluate(model)` returns a
dict of validation metrics; `save_best(model, metrics)` writes the model directory;
`save_resume(model, folder, write_extra)` writes a model directory there, calling `write_extra(tmp_folder)`
before publishing it, so the trainer's state and the weights it belongs to appear together. A model with a
`reset_state()` method (the language model's carried hidden state) has it called before every pass, and its
carried state saved with a checkpoint inside an epoch (textrnn.train_state).

Checkpoints inside an epoch (`save_every` steps, `save_every_minutes`) and Ctrl-C save the resume state at the
end of a step; --resume then skips the epoch's first k batches (their order is fixed by the seed and epoch)
and goes on from batch k + 1 with the RNG and carried state as they were, so it reaches the same weights.

Among several processes (torchrun; textrnn.distributed) each rank steps through its own part of every batch
in DistributedDataParallel; rank 0 alone validates, saves and reports, and what it decides (the metrics, a
checkpoint being due, Ctrl-C on any rank, a loss gone to NaN) every rank takes at the same step.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textrnn import train_state
from textrnn.devices import PRECISIONS, autocast_dtype, pick_device
from textrnn.distributed import current
from textrnn.errors import ConfigError, TextrnnError, TrainingError, UnknownNameError
from textrnn.ranges import check_fields
from textrnn.optimizers import OPTIMIZERS, make_optimizer, unfreeze
from textrnn.train_state import (RESUME_DIR, TRAINER_STATE, TRAINER_TENSORS, StepGuard, TrainState, read_state,
                                 saved_epochs)

__all__ = ["OPTIMIZERS", "RESUME_DIR", "TRAINER_STATE", "TRAINER_TENSORS", "TrainState", "make_optimizer", "read_state",
           "unfreeze"]  # re-exported


class Interrupted(TextrnnError):
    """Training was stopped with Ctrl-C; the last completed epoch is saved for --resume."""


@dataclass(frozen=True)
class TrainConfig:
    """How a model is fitted. These are generic defaults; each task's own (what the CLI uses, chosen by
    measurement) are textrnn.tasks.defaults: start from them with dataclasses.replace(lm.TRAINING, epochs=2)."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    clip: float = 1.0  # gradient-norm clipping; 0 turns it off
    seed: int = 1234
    device: str = "auto"  # "auto": CUDA when present, else CPU
    patience: int = 3  # early stopping: epochs without improvement before stopping
    lr_patience: int = 0  # reduce the learning rate after this many epochs without improvement
    lr_factor: float = 0.5
    # Discriminative learning rates (Howard & Ruder 2018): each layer below the top learns this many times
    # slower than the one above it. 1.0: one learning rate for all. Used by models with parameter_groups().
    layer_lr_decay: float = 1.0
    # Gradual unfreezing (Howard & Ruder 2018): epoch 1 trains only the top group of parameter_groups() (the
    # output layer), each later epoch one group more, down to the embeddings; then all of them.
    gradual_unfreeze: bool = False
    # Checkpoints inside an epoch: the resume state is written every `save_every` steps (0: at epoch ends only)
    # and every `save_every_minutes` (0: off), so that a kill loses at most that much work.
    save_every: int = 0
    save_every_minutes: float = 0.0
    # What the matrix products compute in (devices.autocast_dtype): "auto" is bfloat16 on CUDA, and on a CPU with
    # native bfloat16 for a word language model of lm.AUTO_BF16_MIN_TOKENS tokens or more (where it roughly halves
    # the output layer's time and learns as float32 does), float32 otherwise; "bf16" asks for bfloat16 on any
    # device that computes it natively.
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise UnknownNameError("optimizer", self.optimizer, OPTIMIZERS)
        if self.precision not in PRECISIONS:
            raise UnknownNameError("precision", self.precision, PRECISIONS)
        check_fields(self, "epochs", "batch_size", "lr", "weight_decay", "clip", "seed", "patience", "lr_patience",
                     "lr_factor", "layer_lr_decay", "save_every", "save_every_minutes")
        if self.device != "auto":  # a device this machine lacks is refused before any data is read
            pick_device(self.device)
        if self.precision == "bf16":  # and so is bfloat16 where it is not native
            autocast_dtype(self.precision, pick_device(self.device))


@dataclass(frozen=True)
class Monitor:
    """Which validation metric decides 'best', and whether lower or higher is better.

    `tie_break` names a lower-is-better metric (e.g. "loss") that decides between epochs whose `metric` is
    equal, as a classifier's macro-F1 often is on a small validation set.
    """

    metric: str = "loss"
    mode: str = "min"
    tie_break: str | None = None

    def better(self, new: float, old: float | None, new_tie: float | None = None,
               old_tie: float | None = None) -> bool:
        if old is not None and new == old and new_tie is not None and old_tie is not None:
            return new_tie < old_tie
        return old is None or (new < old if self.mode == "min" else new > old)


class Callback:
    """Progress hooks; the CLI draws them with Rich on stderr. All no-ops here."""

    def on_train_start(self, info: dict[str, Any]) -> None: ...
    def on_epoch_start(self, epoch: int, steps: int) -> None: ...
    def on_step(self, epoch: int, step: int, loss: float, tokens_per_s: float) -> None: ...
    def on_epoch_end(self, epoch: int, record: dict[str, Any]) -> None: ...
    def on_train_end(self, summary: dict[str, Any]) -> None: ...


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


class Trainer:
    """Fits a model: epochs of clipped gradient steps, validation, LR schedule, early stopping, resume."""

    def __init__(self, config: TrainConfig, monitor: Monitor, out_dir: Path,
                 callbacks: Iterable[Callback] = (), cpu_auto_bf16: bool = False) -> None:
        """cpu_auto_bf16: --precision auto trains in bfloat16 on a CPU that computes it natively, as it does on
        CUDA (a model measured to learn there as in float32: devices.autocast_dtype)."""
        self.config = config
        self.monitor = monitor
        self.out_dir = Path(out_dir)
        self.world = current()
        self._interrupt_held = False  # one of several processes: a Ctrl-C that came after an epoch's last step
        self.callbacks = list(callbacks) if self.world.main else []  # one process reports
        self.device = pick_device(config.device)
        self.low = autocast_dtype(config.precision, self.device, cpu_auto_bf16)  # None: float32 throughout

    @property
    def computes_in(self) -> str:
        """What the matrix products run in: "float32" or "bfloat16"."""
        return "float32" if self.low is None else str(self.low).removeprefix("torch.")

    def _emit(self, name: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, name)(*args)

    def fit(self, model, batches: Callable[[int], Iterable[dict]], steps_per_epoch: int,
            evaluate: Callable[[Any], dict[str, float]], save_best: Callable[[Any, dict], None],
            save_resume: Callable[[Any, Path, Callable[[Path], None]], None], resume: bool = False,
            save_start: bool = True) -> TrainState:
        """Train until the epochs run out or patience does. `save_start` False: the starting point is not
        written for --resume (a run replacing an earlier model leaves it untouched until its first epoch)."""
        import torch

        model.to(self.device)
        if self.config.gradual_unfreeze and not hasattr(model, "parameter_groups"):
            raise ConfigError(f"gradual unfreezing needs a model in layer groups (a classifier), not a "
                              f"{type(model).__name__}")
        layered = (self.config.layer_lr_decay != 1.0 or self.config.gradual_unfreeze) and hasattr(model, "parameter_groups")
        groups = model.parameter_groups(self.config.lr, self.config.layer_lr_decay) if layered else None
        unfreezing = groups if self.config.gradual_unfreeze else None
        opt = make_optimizer(self.config.optimizer, groups or model.parameters(), self.config.lr, self.config.weight_decay)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode=self.monitor.mode, factor=self.config.lr_factor, patience=self.config.lr_patience)
        state, self._loaded, self._saved_at = TrainState(), None, (0, 0)
        self._start_saved = save_start or resume

        def save(state: TrainState) -> None:
            self._save_resume(model, opt, sched, state, save_resume)

        if resume:
            self._loaded = train_state.load(self.out_dir, opt, sched, self.world.rank)
            state, self._saved_at = self._loaded.state, (self._loaded.state.epoch, self._loaded.state.step)
        else:
            seed_everything(self.config.seed + self.world.rank)  # each rank its own dropout (as nanoGPT seeds)
            if save_start:
                save(state)
        self._emit("on_train_start", {"device": self.device, "threads": torch.get_num_threads(),
                                      "precision": self.computes_in,
                                      "processes": self.world.size, "backend": self.world.backend,
                                      "epochs": self.config.epochs,
                                      "steps_per_epoch": steps_per_epoch, "start_epoch": state.epoch + 1,
                                      "parameters": sum(p.numel() for p in model.parameters())})
        net = None  # the model as each step runs it: in DistributedDataParallel among several processes
        try:
            while state.epoch < self.config.epochs and state.bad_epochs <= self.config.patience:
                epoch = state.epoch + 1
                if unfreezing:
                    unfreeze(unfreezing, epoch)
                    net = None  # DDP takes the parameters that train now, so it wraps them again when they change
                net = net or self.world.wrap(model)
                start, earlier = time.perf_counter(), state.partial.get("seconds", 0.0)
                train_loss, tps = self._train_epoch(model, net, opt, batches(epoch), epoch, steps_per_epoch, state,
                                                    save)
                valid_start = time.perf_counter()
                metrics = self._validate(model, evaluate)
                valid_seconds = time.perf_counter() - valid_start
                value = metrics[self.monitor.metric]
                sched.step(value)
                record = {"epoch": epoch, "train_loss": train_loss, "train_ppl": _ppl(train_loss),
                          **{f"val_{k}": v for k, v in metrics.items()}, "lr": opt.param_groups[0]["lr"],
                          "tokens_per_s": tps, "threads": torch.get_num_threads(),
                          "seconds": time.perf_counter() - start + earlier, "valid_seconds": valid_seconds}
                state.history.append(record)
                state.epoch, state.elapsed, state.step, state.partial = epoch, state.elapsed + record["seconds"], 0, {}
                tie = metrics.get(self.monitor.tie_break) if self.monitor.tie_break else None
                if self.monitor.better(value, state.best, tie, state.best_tie):
                    state.best, state.best_tie, state.best_epoch, state.bad_epochs = value, tie, epoch, 0
                    if self.world.main:
                        save_best(model, record)
                else:
                    state.bad_epochs += 1
                save(state)
                self._write_metrics(state)
                self._emit("on_epoch_end", epoch, record)
        except KeyboardInterrupt:
            done, step = self._saved_at
            raise Interrupted(
                f"interrupted during epoch {state.epoch + 1}; "
                f"{saved_epochs(done, self._start_saved, step, steps_per_epoch)} in {self.out_dir}",
                hint="run the same command again with --resume to continue") from None
        finally:
            if unfreezing:
                unfreeze(unfreezing, len(unfreezing))
        summary = {"epochs": state.epoch, "best_epoch": state.best_epoch, f"best_{self.monitor.metric}": state.best,
                   "seconds": state.elapsed, "early_stopped": state.bad_epochs > self.config.patience}
        self._emit("on_train_end", summary)
        return state

    def _train_epoch(self, model, net, opt, batches, epoch, steps, state, save) -> tuple[float, float]:
        """One epoch of steps of `net` (`model`, or `model` in DDP), from the step after `state.step` (a resumed
        run skips the batches it took). The counters in `state` are whole at the end of each step; the resume
        state is saved there when due, and when Ctrl-C is pressed (held back to the end of the step: StepGuard)
        on any rank."""
        model.train()
        if hasattr(model, "reset_state"):
            model.reset_state()
        self._emit("on_epoch_start", epoch, steps)
        batches, done = iter(batches), state.step
        if done:
            for _ in itertools.islice(batches, done):  # batches are built as in the run that took these steps
                pass
            self._loaded.restore_rng()  # as they were after step `done`, whatever building the batches drew
            self._loaded.restore_carried(model, self.device)
        sums = {"loss": 0.0, "batches": 0, "tokens": 0, "seconds": 0.0,
                **(self._loaded.partial() if done else state.partial)}
        n_tokens, start, last_save, whole = 0, time.perf_counter(), time.monotonic(), False
        try:
            alone = not self.world.active  # several processes stop only at a step they agree on (world.agree)
            with StepGuard(self._interrupt_held, alone) as guard:
                for step, batch in enumerate(batches, done + 1):
                    whole = False
                    loss, tokens = self._step(net, opt, batch, epoch, step, state)
                    n_tokens += tokens
                    sums["loss"] += loss
                    sums["batches"] += 1
                    sums["tokens"] += tokens
                    state.step = step
                    state.partial = {**sums, "seconds": sums["seconds"] + time.perf_counter() - start}
                    whole = True
                    self._emit("on_step", epoch, step, loss, n_tokens / max(time.perf_counter() - start, 1e-9))
                    stop, due = self.world.agree(guard.pending, self._due(step, last_save))
                    if due:
                        save(state)
                        last_save = time.monotonic()
                    if stop and self.world.active:  # Ctrl-C reached some rank: every rank stops here
                        guard.pending = False
                        raise KeyboardInterrupt
                    if alone:
                        guard.check()
            self._interrupt_held = guard.pending  # after this epoch's last agreement: stops at the next epoch's first
        except KeyboardInterrupt:
            if whole and self._saved_at != (state.epoch, state.step) and (self._start_saved or state.epoch):
                save(state)  # Ctrl-C at the end of a step: keep the steps of this epoch
            raise
        if sums["batches"] == 0:
            raise TrainingError("an epoch had no batches: the training data is too small for the batch layout")
        # every rank's batch losses, and the tokens all ranks read per second
        loss, count, tps = self.world.total(sums["loss"], sums["batches"],
                                            n_tokens / max(time.perf_counter() - start, 1e-9))
        return loss / count, tps

    def _step(self, model, opt, batch: dict, epoch: int, step: int, state: TrainState) -> tuple[float, int]:
        """One gradient step on `batch` (clipped): its loss and its token count."""
        import torch

        batch = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        with self._autocast():
            _, loss = model(batch)
        value = loss.item()  # the step's one wait for the device (on a GPU each .item() stalls)
        if self.world.agree(not math.isfinite(value))[0]:
            kept = f"the best model so far (epoch {state.best_epoch}) is kept in {self.out_dir}" \
                if state.best_epoch else "no model was saved"
            value = value if not math.isfinite(value) else "not finite in another process"
            raise TrainingError(f"the loss became {value} at epoch {epoch}, step {step}; {kept}",
                                hint="lower --lr, or keep --clip on")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), self.config.clip)
        opt.step()
        return value, int(batch.get("ntokens", 0))

    def _due(self, step: int, last_save: float) -> bool:
        """Whether a checkpoint inside the epoch is due after `step` (save_every, save_every_minutes)."""
        every, minutes = self.config.save_every, self.config.save_every_minutes
        return bool(every and step % every == 0) or bool(minutes and time.monotonic() - last_save >= minutes * 60)

    def _validate(self, model, evaluate) -> dict[str, float]:
        """The validation metrics: every rank reads its part of the validation data and the task's `evaluate`
        sums the parts over the ranks; rank 0's result then goes to every rank, so that all take the same
        schedule and stopping decisions to the last bit."""
        return self.world.broadcast(self._evaluate(model, evaluate))

    def _evaluate(self, model, evaluate) -> dict[str, float]:
        import torch

        model.eval()
        if hasattr(model, "reset_state"):
            model.reset_state()
        with torch.inference_mode(), self._autocast():
            metrics = evaluate(model)
        if hasattr(model, "reset_state"):
            model.reset_state()
        return metrics

    def _autocast(self):
        import contextlib

        import torch

        if self.low is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.split(":")[0], dtype=self.low)

    # Resumable state ------------------------------------------------------------------------
    def _save_resume(self, model, opt, sched, state: TrainState, save_resume) -> None:
        """Write out_dir/resume/: a model directory of the latest weights plus optimizer, scheduler, RNG (and
        inside an epoch, the carried state), all published in one atomic directory swap. Not while this run
        may not write there yet (it replaces an earlier model, and no epoch of it has finished)."""
        if not (self._start_saved or state.epoch):
            return
        ranks = self.world.gather(train_state.rank_state(model, state)) if self.world.active else None
        if self.world.main:
            save_resume(model, self.out_dir / RESUME_DIR,
                        lambda folder: train_state.write(folder, model, opt, sched, state, self.config, ranks))
        self.world.barrier()  # no rank goes on (or exits, which would stop them all) before the state is written
        self._saved_at = (state.epoch, state.step)

    def _write_metrics(self, state: TrainState) -> None:
        if not self.world.main:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(r) + "\n" for r in state.history)
        tmp = self.out_dir / "metrics.jsonl.tmp"
        tmp.write_text(lines, encoding="utf-8")
        tmp.replace(self.out_dir / "metrics.jsonl")
        from textrnn.plots import plot_history

        plot_history(state.history, self.out_dir / "loss.png")

    def finish(self) -> None:
        """After a complete run the resume state is no longer needed. Removed whole or not at all: a kill while
        deleting it never leaves a resume/ that --resume or a load would find half gone."""
        from textrnn.atomic_dir import remove_dir

        remove_dir(self.out_dir / RESUME_DIR)


def _ppl(loss: float) -> float:
    return math.exp(min(loss, 50.0))
