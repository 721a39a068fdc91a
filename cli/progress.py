"""Training progress on stderr: a Rich bar per epoch in a terminal, plain lines at a steady interval in a log,
and a line per finished epoch."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from textrnn.training import Callback

from .output import err


# Seconds between plain progress lines when stderr is a log file or a pipe (nohup, CI).
PLAIN_INTERVAL = float(os.environ.get("TEXTRNN_PROGRESS_INTERVAL", "30"))


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _threads(n: int) -> str:
    return "1 thread" if n == 1 else f"{n} threads"


def _epoch_range(first: int, last: int) -> str:
    return f"epoch {first}" if first == last else f"epochs {first}-{last}"


class RichProgress(Callback):
    """`steps`: draw progress within an epoch (a bar in a terminal, a plain line every PLAIN_INTERVAL seconds
    elsewhere); without it only the line after each epoch is printed."""

    def __init__(self, steps: bool = True, auto_bf16_note: str | None = None) -> None:
        self.steps = steps
        self.auto_bf16_note = auto_bf16_note
        self.progress: Progress | None = None
        self.task = None
        self.epochs = 0
        self.steps_per_epoch = 0
        self.epoch_started = 0.0
        self.last_line = 0.0

    @classmethod
    def for_quiet(cls, quiet: int, auto_bf16_note: str | None = None) -> list[Callback]:
        """The callbacks for `--quiet` given `quiet` times: 0 all progress, 1 epoch lines only, 2+ none.
        auto_bf16_note: a line said (without --quiet) when `--precision auto` chose bfloat16 on a CPU."""
        return [] if quiet >= 2 else [cls(steps=quiet == 0, auto_bf16_note=auto_bf16_note if quiet == 0 else None)]

    def on_train_start(self, info: dict) -> None:
        self.epochs = info["epochs"]
        self.steps_per_epoch = info["steps_per_epoch"]
        cpu = info["device"] == "cpu"
        where = f"cpu ({_threads(info['threads'])}, {info['precision']})" if cpu \
            else f"{info['device']} ({info['precision']})"
        if info.get("processes", 1) > 1:  # torchrun: rank 0 speaks for them all
            where = f"{info['processes']} processes ({info['backend']}), each on {where}"
        dim = "dim" if err.is_terminal else None
        err.print(f"training on {where}: {info['parameters']:,} parameters, "
                  f"{info['steps_per_epoch']:,} steps per epoch, {_epoch_range(info['start_epoch'], self.epochs)}",
                  style=dim, soft_wrap=True)
        if self.auto_bf16_note and cpu and info["precision"] == "bfloat16":
            err.print(self.auto_bf16_note, style=dim, soft_wrap=True)
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f} ppl {task.fields[ppl]:.1f}"),
            TextColumn("{task.fields[tps]:,.0f} tok/s"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=err, transient=True, disable=not (err.is_terminal and self.steps),
            refresh_per_second=4)  # Rich's default 10 redraws a second took 1.25% of a core from training, 4 0.6%
        self.progress.start()

    def on_epoch_start(self, epoch: int, steps: int) -> None:
        assert self.progress is not None
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task("train", total=steps, epoch=epoch, epochs=self.epochs, loss=0.0,
                                           ppl=0.0, tps=0.0)
        self.steps_per_epoch = steps
        self.epoch_started = self.last_line = time.perf_counter()

    def on_step(self, epoch: int, step: int, loss: float, tokens_per_s: float) -> None:
        assert self.progress is not None
        self.progress.update(self.task, completed=step, loss=loss, ppl=math.exp(min(loss, 50)), tps=tokens_per_s)
        now = time.perf_counter()
        if self.steps and not err.is_terminal and now - self.last_line >= PLAIN_INTERVAL:
            self.last_line = now
            spent = now - self.epoch_started
            left = spent / max(step, 1) * (self.steps_per_epoch - step)
            err.print(f"epoch {epoch}/{self.epochs}  step {step:,}/{self.steps_per_epoch:,}  loss {loss:.3f}  "
                      f"ppl {math.exp(min(loss, 50)):.1f}  {tokens_per_s:,.0f} tok/s  "
                      f"elapsed {_clock(spent)}  epoch left {_clock(left)}", soft_wrap=True)

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


class TokenizeProgress:
    """Tokenizing a corpus, drawn as the library reports it (textrnn.data.progress): a bar with rows done, the
    total and rows/s in a terminal; in a log a plain line every PLAIN_INTERVAL seconds (none for a short run)."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task = None
        self.key: tuple[str, int] | None = None
        self.started = self.last_line = 0.0
        self.first = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.key != (what, total):
            self.close()
            self.key, self.first = (what, total), done
            self.started = self.last_line = time.perf_counter()
            if err.is_terminal:
                self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                         TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows"),
                                         TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                                         TimeRemainingColumn(), console=err, transient=True)
                self.progress.start()
                self.task = self.progress.add_task(what, total=total, rate="")
        now = time.perf_counter()
        rate = (done - self.first) / max(now - self.started, 1e-9)
        if self.progress is not None:
            self.progress.update(self.task, completed=done, rate=f"{rate:,.0f} rows/s" if done > self.first else "")
        elif now - self.last_line >= PLAIN_INTERVAL:
            self.last_line = now
            left = (total - done) / rate if rate else 0.0
            err.print(f"{what}  {done:,}/{total:,} rows  {rate:,.0f} rows/s  elapsed {_clock(now - self.started)}  "
                      f"left {_clock(left)}", soft_wrap=True)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        self.progress = self.task = self.key = None


@contextlib.contextmanager
def tokenizing(quiet: int = 0) -> Iterator[None]:
    """Around a library call that may tokenize a corpus: its progress on stderr, none with -q."""
    from textrnn.data.progress import reporting

    shown = TokenizeProgress() if quiet == 0 else None
    try:
        with reporting(shown):
            yield
    finally:
        if shown is not None:
            shown.close()
