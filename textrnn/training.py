"""One model-agnostic training loop, shared by every task. Silent: it reports through callbacks.

Contract with the task: `model(batch)` returns `(output, loss)`; `batches(epoch)` yields dicts of tensors
(plus an int "ntokens" for throughput) in an order fixed by the seed and epoch; `evaluate(model)` returns a
dict of validation metrics; `save_best(model, metrics)` writes the model directory;
`save_resume(model, folder, write_extra)` writes a model directory there, calling `write_extra(tmp_folder)`
before publishing it, so the trainer's state and the weights it belongs to appear together. A model with a
`reset_state()` method (the language model's carried hidden state) has it called before every pass.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from textrnn.devices import pick_device
from textrnn.errors import ConfigError, DamagedModelError, TextrnnError, TrainingError, UnknownNameError
from textrnn.ranges import check_fields

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
RESUME_DIR, TRAINER_STATE, TRAINER_TENSORS = "resume", "trainer.json", "trainer.pt"


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

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise UnknownNameError("optimizer", self.optimizer, OPTIMIZERS)
        check_fields(self, "epochs", "batch_size", "lr", "weight_decay", "clip", "seed", "patience", "lr_patience",
                     "lr_factor", "layer_lr_decay")
        if self.device != "auto":  # a device this machine lacks is refused before any data is read
            pick_device(self.device)


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


def _saved_epochs(done: int, start_saved: bool = True) -> str:
    """'epoch 1 is saved', 'epochs 1-3 are saved', or 'no epoch has finished yet'."""
    if done == 0:
        return "no epoch had finished, the starting point is saved" if start_saved else \
            "no epoch had finished, nothing of this run is saved and the directory is as it was"
    return "epoch 1 is saved" if done == 1 else f"epochs 1-{done} are saved"


class Callback:
    """Progress hooks; the CLI draws them with Rich on stderr. All no-ops here."""

    def on_train_start(self, info: dict[str, Any]) -> None: ...
    def on_epoch_start(self, epoch: int, steps: int) -> None: ...
    def on_step(self, epoch: int, step: int, loss: float, tokens_per_s: float) -> None: ...
    def on_epoch_end(self, epoch: int, record: dict[str, Any]) -> None: ...
    def on_train_end(self, summary: dict[str, Any]) -> None: ...


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


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


def make_optimizer(name: str, params: Iterable, lr: float, weight_decay: float = 0.0):
    """The optimizer `name` over `params` (tensors or parameter groups). Adam, AdamW and SGD use PyTorch's
    fused kernels where this torch has them for the parameters' device: one pass over all the weights
    instead of a loop of small ops per tensor (Adam's step measured 4-7x faster on CPU; benchmarks/optimizer.py),
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


class Trainer:
    """Fits a model: epochs of clipped gradient steps, validation, LR schedule, early stopping, resume."""

    def __init__(self, config: TrainConfig, monitor: Monitor, out_dir: Path,
                 callbacks: Iterable[Callback] = ()) -> None:
        self.config = config
        self.monitor = monitor
        self.out_dir = Path(out_dir)
        self.callbacks = list(callbacks)
        self.device = pick_device(config.device)

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
        state = TrainState()
        if resume:
            state = self._load_resume(opt, sched)
        else:
            seed_everything(self.config.seed)
            if save_start:
                self._save_resume(model, opt, sched, state, save_resume)
        self._emit("on_train_start", {"device": self.device, "threads": torch.get_num_threads(),
                                      "epochs": self.config.epochs,
                                      "steps_per_epoch": steps_per_epoch, "start_epoch": state.epoch + 1,
                                      "parameters": sum(p.numel() for p in model.parameters())})
        try:
            while state.epoch < self.config.epochs and state.bad_epochs <= self.config.patience:
                epoch = state.epoch + 1
                if unfreezing:
                    unfreeze(unfreezing, epoch)
                start = time.perf_counter()
                train_loss, tps = self._train_epoch(model, opt, batches(epoch), epoch, steps_per_epoch, state)
                valid_start = time.perf_counter()
                metrics = self._validate(model, evaluate)
                valid_seconds = time.perf_counter() - valid_start
                value = metrics[self.monitor.metric]
                sched.step(value)
                record = {"epoch": epoch, "train_loss": train_loss, "train_ppl": _ppl(train_loss),
                          **{f"val_{k}": v for k, v in metrics.items()}, "lr": opt.param_groups[0]["lr"],
                          "tokens_per_s": tps, "threads": torch.get_num_threads(),
                          "seconds": time.perf_counter() - start, "valid_seconds": valid_seconds}
                state.history.append(record)
                state.epoch, state.elapsed = epoch, state.elapsed + record["seconds"]
                tie = metrics.get(self.monitor.tie_break) if self.monitor.tie_break else None
                if self.monitor.better(value, state.best, tie, state.best_tie):
                    state.best, state.best_tie, state.best_epoch, state.bad_epochs = value, tie, epoch, 0
                    save_best(model, record)
                else:
                    state.bad_epochs += 1
                self._save_resume(model, opt, sched, state, save_resume)
                self._write_metrics(state)
                self._emit("on_epoch_end", epoch, record)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted during epoch {state.epoch + 1}; {_saved_epochs(state.epoch, save_start or resume)} "
                f"in {self.out_dir}",
                hint="run the same command again with --resume to continue") from None
        finally:
            if unfreezing:
                unfreeze(unfreezing, len(unfreezing))
        summary = {"epochs": state.epoch, "best_epoch": state.best_epoch, f"best_{self.monitor.metric}": state.best,
                   "seconds": state.elapsed, "early_stopped": state.bad_epochs > self.config.patience}
        self._emit("on_train_end", summary)
        return state

    def _train_epoch(self, model, opt, batches, epoch, steps, state) -> tuple[float, float]:
        import torch

        model.train()
        if hasattr(model, "reset_state"):
            model.reset_state()
        self._emit("on_epoch_start", epoch, steps)
        total_loss, n_batches, n_tokens, start = 0.0, 0, 0, time.perf_counter()
        autocast = self._autocast()
        for step, batch in enumerate(batches, 1):
            batch = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
            with autocast:
                _, loss = model(batch)
            if not torch.isfinite(loss):
                kept = f"the best model so far (epoch {state.best_epoch}) is kept in {self.out_dir}" \
                    if state.best_epoch else "no model was saved"
                raise TrainingError(f"the loss became {loss.item()} at epoch {epoch}, step {step}; {kept}",
                                    hint="lower --lr, or keep --clip on")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), self.config.clip)
            opt.step()
            total_loss += loss.item()
            n_batches += 1
            n_tokens += int(batch.get("ntokens", 0))
            tps = n_tokens / max(time.perf_counter() - start, 1e-9)
            self._emit("on_step", epoch, step, loss.item(), tps)
        if n_batches == 0:
            raise TrainingError("an epoch had no batches: the training data is too small for the batch layout")
        return total_loss / n_batches, n_tokens / max(time.perf_counter() - start, 1e-9)

    def _validate(self, model, evaluate) -> dict[str, float]:
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

        if self.device.startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # Resumable state ------------------------------------------------------------------------
    def _save_resume(self, model, opt, sched, state: TrainState, save_resume) -> None:
        """Write out_dir/resume/: a model directory of the latest weights plus optimizer, scheduler, RNG,
        all published in one atomic directory swap."""
        import torch

        def write_trainer_state(folder: Path) -> None:
            tensors = {"optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                       "torch_rng": torch.get_rng_state(), "python_rng": list(random.getstate()[1])}
            torch.save(tensors, folder / TRAINER_TENSORS)
            doc = {"state": asdict(state), "train_config": asdict(self.config),
                   "python_rng_version": random.getstate()[0], "python_rng_gauss": random.getstate()[2]}
            (folder / TRAINER_STATE).write_text(json.dumps(doc), encoding="utf-8")

        save_resume(model, self.out_dir / RESUME_DIR, write_trainer_state)

    def _load_resume(self, opt, sched) -> TrainState:
        import torch

        target = self.out_dir / RESUME_DIR
        if not (target / TRAINER_STATE).is_file():
            raise TrainingError(f"nothing to resume in {self.out_dir}: it has no {RESUME_DIR}/{TRAINER_STATE}",
                                hint="start without --resume (add --overwrite to replace the directory)")
        doc = read_state(target / TRAINER_STATE, lambda f: json.loads(f.read_text(encoding="utf-8")))
        # weights_only=True: the optimizer state is plain tensors and numbers; nothing is unpickled.
        tensors = read_state(target / TRAINER_TENSORS, lambda f: torch.load(f, weights_only=True, map_location="cpu"))
        try:
            opt.load_state_dict(tensors["optimizer"])
            sched.load_state_dict(tensors["scheduler"])
            torch.set_rng_state(tensors["torch_rng"])
            random.setstate((doc["python_rng_version"], tuple(tensors["python_rng"]), doc["python_rng_gauss"]))
            return TrainState(**doc["state"])
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise DamagedModelError(f"{target}: {TRAINER_STATE} and {TRAINER_TENSORS} do not hold a training state "
                                    f"this run can continue ({type(e).__name__}: {str(e).splitlines()[0][:200]})",
                                    hint=_RESTART) from None

    def _write_metrics(self, state: TrainState) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(r) + "\n" for r in state.history)
        tmp = self.out_dir / "metrics.jsonl.tmp"
        tmp.write_text(lines, encoding="utf-8")
        tmp.replace(self.out_dir / "metrics.jsonl")
        from textrnn.plots import plot_history

        plot_history(state.history, self.out_dir / "loss.png")

    def finish(self) -> None:
        """After a complete run the resume state is no longer needed."""
        import shutil

        shutil.rmtree(self.out_dir / RESUME_DIR, ignore_errors=True)


_RESTART = "start the run again with --overwrite instead of --resume"


def read_state(file: Path, read: Callable[[Path], Any]) -> Any:
    """One file of the resume state, read by `read`; a missing or damaged file is a DamagedModelError."""
    import pickle

    try:
        return read(file)
    except (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise DamagedModelError(f"{file} is damaged and cannot be read ({type(e).__name__}: "
                                f"{str(e).splitlines()[0][:200] if str(e) else 'no detail'})", hint=_RESTART) from None


def _ppl(loss: float) -> float:
    return math.exp(min(loss, 50.0))
