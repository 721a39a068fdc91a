"""Pieces every task shares: the output directory rule, loading a model for a task, progress plumbing."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textrnn import checkpoint
from textrnn.atomic_dir import recover
from textrnn.dir_lock import output_lock
from textrnn.errors import InputError, OutputError, OutputExistsError, WrongTaskError
from textrnn.writing import writing

if TYPE_CHECKING:
    from textrnn.checkpoint import Saved
    from textrnn.text import Vocab
    from textrnn.training import TrainConfig

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
    """Decorate a task's `train(corpus, out_dir, ...)`: hold the lock of out_dir for the whole run (rank 0 of
    several processes: the one that writes there)."""
    @functools.wraps(train)
    def locked(*args, **kwargs):
        from textrnn.distributed import from_env

        if not from_env().main:
            return train(*args, **kwargs)
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
    """The model (on `device`, "auto" resolved; a device this machine lacks refused) and its metadata."""
    from textrnn.devices import pick_device

    device = pick_device(device)
    check_task(model, task)
    return checkpoint.load(model, device)


def build_vocab(token_lists, min_freq: int, max_vocab: int | None, side: str = "") -> "Vocab":
    """The training data's vocabulary, refused when --min-freq leaves no token in it (a model of <unk> alone)."""
    from textrnn.text import Vocab
    from textrnn.text.vocab import SPECIALS

    vocab = Vocab.build(token_lists, min_freq, max_vocab)
    if len(vocab) <= len(SPECIALS):
        raise InputError(f"no {side}token of the training data is seen --min-freq {min_freq:,} times or more: the "
                         f"vocabulary would be empty", hint="lower --min-freq")
    return vocab


# What a resumed run may change: train longer or with more patience, on another device, saving more or less often.
RESUME_MAY_CHANGE = ("epochs", "patience", "device", "precision", "save_every", "save_every_minutes")
_TOKENIZER_KEYS = {"tokenizer": "name", "lang": "lang", "lowercase": "lowercase"}


def check_resume(out_dir: str | Path, training: "TrainConfig", data: dict[str, Any],
                 model: dict[str, Any] | None) -> None:
    """Refuse to resume with options that differ from those the saved run started with (they would be ignored,
    or silently change the run). Options left at None were not given. `data`: the data config as a dict;
    `model`: the architecture options. Checked before any data is read; a missing resume state is left to
    `resume_saved` to report."""
    from textrnn.errors import ConfigError
    from textrnn.ranges import flag
    from textrnn.training import RESUME_DIR, TRAINER_STATE, read_state

    path = Path(out_dir) / RESUME_DIR
    if not (path / TRAINER_STATE).is_file() or not (path / checkpoint.CONFIG).is_file():
        return
    state = read_state(path / TRAINER_STATE, lambda f: json.loads(f.read_text(encoding="utf-8")))
    trainer = state.get("train_config", {}) if isinstance(state, dict) else {}
    config = checkpoint.read_config(path)
    saved_data = config.get("training", {}).get("data", {})
    spec = config.get("tokenizers", {}).get("text", {})
    differ = [(name, value, trainer[name]) for name, value in asdict(training).items()
              if name not in RESUME_MAY_CHANGE and name in trainer and trainer[name] != value]
    for name, value in data.items():
        was = saved_data.get(name)
        was = spec.get(_TOKENIZER_KEYS[name]) if was is None and name in _TOKENIZER_KEYS else was
        if value is not None and was is not None and was != value:
            differ.append((name, value, was))
    architecture = config.get("model", {})
    differ += [(name, value, architecture[name]) for name, value in (model or {}).items()
               if value is not None and name in architecture and architecture[name] != value]
    _check_processes(out_dir, state)
    if differ:
        listed = ", ".join(f"{flag(name)} {value} (saved: {was})" for name, value, was in differ)
        raise ConfigError(f"--resume continues the run saved in {out_dir} with the options it started with; "
                          f"these differ: {listed}",
                          hint="resume with the options the run started with, or start a new run with --overwrite")


def _check_processes(out_dir: str | Path, state: Any) -> None:
    """Refuse to resume with another number of processes: every batch, and so the run, would change."""
    from textrnn.distributed import from_env
    from textrnn.errors import ConfigError

    saved, now = (state.get("world_size", 1) if isinstance(state, dict) else 1), from_env().size
    if saved != now:
        def processes(n: int) -> str:
            return f"{n} process{'es' if n != 1 else ''}"

        raise ConfigError(f"--resume continues the run saved in {out_dir}, trained by {processes(saved)}; this "
                          f"run has {processes(now)}",
                          hint=f"resume it with {processes(saved)} (--nproc {saved}, or torchrun --nproc-per-node)")


def resume_saved(out_dir: Path) -> "Saved":
    """The Saved metadata (vocabularies included) of a run being resumed: same vocab, same ids."""
    from textrnn.errors import TrainingError

    path = Path(out_dir) / "resume"
    if not (path / checkpoint.CONFIG).is_file():
        raise TrainingError(f"nothing to resume in {out_dir}: it has no resume/ state",
                            hint="start without --resume (add --overwrite to replace the directory)")
    return checkpoint.read_saved(path)
