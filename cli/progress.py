"""Training progress drawn with Rich on stderr: a bar per epoch, a line per finished epoch."""

from __future__ import annotations

import math
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from textrnn.training import Callback

from .output import err


class RichProgress(Callback):
    def __init__(self, metric_names: tuple[str, ...] = ("loss", "ppl")) -> None:
        self.metric_names = metric_names
        self.progress: Progress | None = None
        self.task = None
        self.epochs = 0
        self.started = 0.0

    def on_train_start(self, info: dict) -> None:
        self.epochs = info["epochs"]
        self.started = time.perf_counter()
        err.print(f"training on {info['device']}: {info['parameters']:,} parameters, "
                  f"{info['steps_per_epoch']:,} steps per epoch, epochs {info['start_epoch']}-{self.epochs}",
                  style="dim" if err.is_terminal else None)
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f} ppl {task.fields[ppl]:.1f}"),
            TextColumn("{task.fields[tps]:,.0f} tok/s"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=err, transient=True, disable=not err.is_terminal)
        self.progress.start()

    def on_epoch_start(self, epoch: int, steps: int) -> None:
        assert self.progress is not None
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task("train", total=steps, epoch=epoch, epochs=self.epochs, loss=0.0,
                                           ppl=0.0, tps=0.0)

    def on_step(self, epoch: int, step: int, loss: float, tokens_per_s: float) -> None:
        assert self.progress is not None
        self.progress.update(self.task, completed=step, loss=loss, ppl=math.exp(min(loss, 50)), tps=tokens_per_s)

    def on_epoch_end(self, epoch: int, record: dict) -> None:
        shown = [f"epoch {epoch}/{self.epochs}", f"train loss {record['train_loss']:.3f}"]
        shown += [f"val {k[4:]} {v:.4g}" for k, v in record.items() if k.startswith("val_")]
        if record.get("tokens_per_s"):
            shown.append(f"{record['tokens_per_s']:,.0f} tok/s")
        shown.append(f"{record['seconds']:.1f}s")
        if self.progress is not None:
            self.progress.console.print("  ".join(shown))
        else:
            err.print("  ".join(shown))

    def on_train_end(self, summary: dict) -> None:
        if self.progress is not None:
            self.progress.stop()
