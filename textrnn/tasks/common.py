"""Pieces every task shares: the output directory rule, loading a model for a task, progress plumbing."""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textrnn import checkpoint
from textrnn.atomic_dir import recover
from textrnn.dir_lock import output_lock
from textrnn.errors import InputError, OutputError, OutputExistsError, WrongTaskError
from textrnn.writing import writing

if TYPE_CHECKING:
    from textrnn.checkpoint import Saved

TASK_NAMES = {"lm": "language model", "classify": "classifier", "translate": "translation model"}


@dataclass
class Output:
    """A training run's output directory, checked by `prepare_output` and locked by `locks_output`."""

    path: Path
    replacing: bool = False  # it holds an earlier model, which this run's first save replaces whole

    def save_model(self, model, saved: "Saved") -> None:
        """Publish the best model so far. Replacing an earlier model, nothing of its run is kept: not its
        metrics.jsonl, loss.png nor resume/ state (they would mix two runs); later saves keep this run's."""
        checkpoint.save(self.path, model, saved, carry=not self.replacing)
        self.replacing = False


def locks_output(train):
    """Decorate a task's `train(corpus, out_dir, ...)`: hold the lock of out_dir for the whole run."""
    @functools.wraps(train)
    def locked(*args, **kwargs):
        out = Path(inspect.signature(train).bind(*args, **kwargs).arguments["out_dir"])
        _check_path(out)
        existed = out.exists()
        try:
            with writing(out), output_lock(out):  # a full disk, a read-only -o: one OutputError naming it
                return train(*args, **kwargs)
        except BaseException:
            if not existed:  # a run that failed before its first save leaves no empty folder behind
                with contextlib.suppress(OSError):
                    out.rmdir()
            raise

    return locked


def _check_path(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is a file", hint="choose another -o")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"cannot write {out}: {blocking} is a file", hint="choose another -o")


def prepare_output(out_dir: str | Path, overwrite: bool, resume: bool) -> Output:
    """Check the output directory before anything is read; nothing is removed here.

    New or empty: used. A textrnn model: refused unless `resume` (continue its run) or `overwrite` (replace
    it whole at this run's first save, after the data and options have been checked; until then it stays as
    it was). Anything else is refused, even with `overwrite`: it holds files that are not textrnn's.
    """
    if overwrite and resume:
        raise InputError("--overwrite and --resume contradict each other: --overwrite starts a new run, "
                         "--resume continues the saved one", hint="give one of them")
    out = Path(out_dir)
    _check_path(out)
    recover(out)  # a save cut short by a kill is finished (or rolled back) before anything looks inside
    recover(out / "resume")
    if not out.is_dir() or not any(out.iterdir()):
        return Output(out)
    if not checkpoint.is_model_dir(out):
        foreign = checkpoint.foreign_entries(out)
        what = f"holds files that textrnn did not write ({', '.join(foreign[:5])})" if foreign \
            else "is not a textrnn model"
        raise OutputExistsError(f"{out} {what}; it is left as it is",
                                hint="choose another -o (--overwrite replaces only a textrnn model directory)")
    if not (overwrite or resume):
        raise OutputExistsError(f"{out} already exists",
                                hint="pass --overwrite to replace it, or --resume to continue its training")
    return Output(out, replacing=overwrite)


def record_run(out: Path, state, started: float) -> float:
    """Write the training loop's seconds, the whole run's (from `started`, a time.time() stamp: start-up,
    tokenization and saving included) and the epochs run into config.json; return the whole run's seconds."""
    run_seconds = time.time() - started
    checkpoint.record_run(out, seconds_total=state.elapsed, run_seconds=run_seconds, epochs_run=state.epoch)
    return run_seconds


def check_task(model: str | Path, task: str) -> dict:
    """config.json of `model`, refusing a model of another task (a classifier given to `generate`)."""
    config = checkpoint.read_config(model)
    if config["task"] != task:
        got = TASK_NAMES.get(config["task"], config["task"])
        raise WrongTaskError(f"{model} is a {got}; this needs a {TASK_NAMES.get(task, task)}")
    return config


def load_for(model: str | Path, task: str, device: str = "cpu") -> tuple[object, "Saved"]:
    check_task(model, task)
    return checkpoint.load(model, device)


def resume_saved(out_dir: Path) -> "Saved":
    """The Saved metadata (vocabularies included) of a run being resumed: same vocab, same ids."""
    from textrnn.errors import TrainingError
    from textrnn.text import Vocab

    path = Path(out_dir) / "resume"
    if not (path / checkpoint.CONFIG).is_file():
        raise TrainingError(f"nothing to resume in {out_dir}: it has no resume/ state",
                            hint="start without --resume (add --overwrite to replace the directory)")
    config = checkpoint.read_config(path)
    vocabs = {side: Vocab.load(path / f) for side, f in config.get("vocabs", {}).items()}
    return checkpoint.saved_from_config(config, vocabs)
