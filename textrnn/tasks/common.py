"""Pieces every task shares: the output directory rule, loading a model for a task, progress plumbing."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textrnn import checkpoint
from textrnn.errors import OutputExistsError, WrongTaskError

if TYPE_CHECKING:
    from textrnn.checkpoint import Saved

TASK_NAMES = {"lm": "language model", "classify": "classifier", "translate": "translation model"}


def prepare_output(out_dir: str | Path, overwrite: bool, resume: bool) -> Path:
    """Refuse to clobber an existing model directory unless asked to overwrite it or resume into it."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is a file", hint="choose another -o")
    if out.is_dir() and any(out.iterdir()) and not (overwrite or resume):
        raise OutputExistsError(f"{out} already exists",
                                hint="pass --overwrite to replace it, or --resume to continue its training")
    if overwrite and out.is_dir():
        shutil.rmtree(out)
    return out


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
