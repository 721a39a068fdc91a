"""The one training path every task runs: check the output and the run being resumed, build the network, fit,
save, record. A task prepares its data, model and metrics (a `Fit`); `run_training` does the rest.

    task.train:  start(...)  ->  split, vocabulary, Saved  ->  network(...)  ->  Fit(...)
    pipeline:    run_training: resume weights -> Trainer.fit (save_best, save_resume) -> finish -> record_run

Under torchrun every process runs this path (textrnn.distributed): `start` joins them, rank 0 alone checks and
writes the output directory, the others read from it only what --resume needs, after rank 0 has checked it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textrnn import checkpoint, distributed
from textrnn.errors import TrainingError
from textrnn.tasks.common import Output, check_resume, check_task, prepare_output, record_run, resume_saved

if TYPE_CHECKING:
    from textrnn.checkpoint import Saved
    from textrnn.training import Callback, Monitor, TrainConfig, TrainState


@dataclass
class TrainResult:
    """What every task's `train` returns: the model directory, one record per epoch, and the run's summary."""

    path: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def start(out_dir: str | Path, task: str, overwrite: bool, resume: bool, training: "TrainConfig",
          data: dict[str, Any], model: dict[str, Any] | None) -> tuple[Output, "Saved | None"]:
    """The output directory, checked before any data is read, and with `resume` the Saved metadata of the run
    it continues: a model of this task (a directory of another task is refused, not half read), started with
    the same options (check_resume). Among several processes, they are joined here, and rank 0 checks (and
    recovers) the directory before the others read it."""
    world = distributed.join(training.device)
    # the others wait for rank 0's check, and take its Output: whether this run replaces a model decides
    # whether the starting point is saved, a step they all take part in
    output = world.broadcast(prepare_output(out_dir, overwrite, resume) if world.main else None)
    if not resume:
        return output, None
    for path in (output.path, output.path / "resume"):
        if (path / checkpoint.CONFIG).is_file():
            check_task(path, task)
    check_resume(output.path, training, data, model)
    return output, resume_saved(output.path)


def too_few_to_split(where: str, count: int, unit: str) -> TrainingError:
    """The one error of every task for data too small to hold out a validation split from (`unit`: plural)."""
    what = f"{count:,} {unit[:-1] if count == 1 else unit} {'is' if count == 1 else 'are'}"
    return TrainingError(f"{where}: {what} too few for a validation split", hint=f"add {unit}, or give --valid FILE")


def network(saved: "Saved", training: "TrainConfig"):
    """A new network as `saved` describes it, on the training device, seeded: the same seed gives the same
    initial weights. One too large for the memory is refused before it is allocated (build_model)."""
    from textrnn.models import build_model
    from textrnn.training import pick_device, seed_everything

    seed_everything(training.seed)
    return build_model(saved.model_kind, saved.model_config, pick_device(training.device), training.optimizer)


def _val_metrics(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k.startswith("val_")}


@dataclass
class Fit:
    """What a task hands to `run_training`."""

    net: Any  # the network, new (see `network`); a resumed run's weights are loaded into it here
    batches: Callable[[int], Iterable[dict]]  # epoch (from 1) -> its training batches, in a seeded order
    steps_per_epoch: int
    evaluate: Callable[[Any], dict[str, float]]  # model -> validation metrics
    monitor: "Monitor"
    meta: dict[str, Any]  # training metadata for config.json; the training options and device are added
    metrics: Callable[[dict[str, Any]], dict[str, Any]] = _val_metrics  # best epoch's record -> saved metrics
    summary: Callable[["TrainState"], dict[str, Any]] = lambda state: {}  # task figures for the summary
    after: Callable[["TrainState", str], None] | None = None  # (state, device), once the best model is saved
    # --precision auto trains in bfloat16 on a CPU that computes it natively (as on CUDA): for a model measured
    # to learn there as it does in float32 (devices.autocast_dtype)
    cpu_auto_bf16: bool = False


def run_training(output: Output, saved: "Saved", fit: Fit, training: "TrainConfig", callbacks: Iterable["Callback"],
                 resume: bool, started: float) -> TrainResult:
    """Fit `fit.net`, saving the best epoch into the output directory (and the resume state as the Trainer
    says), then record the run in config.json. `started`: when the run began (time.time())."""
    import torch

    from textrnn.training import Trainer

    out = output.path
    trainer = Trainer(training, fit.monitor, out, callbacks, fit.cpu_auto_bf16)
    meta = {**fit.meta, "train": asdict(training), "device": trainer.device,
            "computed_in": trainer.computes_in}
    if trainer.world.active:
        meta["distributed"] = trainer.world.record(training.batch_size)
    if resume:
        fit.net.load_state_dict(checkpoint.load(out / "resume")[0].state_dict())
    saved.training = saved.training or meta  # so that the starting point saved for --resume records the options

    def save_best(model, record) -> None:
        saved.training = {**meta, "best_epoch": record["epoch"], "seconds": record["seconds"]}
        saved.metrics = fit.metrics(record)
        output.save_model(model, saved)

    with torch.enable_grad():  # even if an inference runner in this process turned gradients off
        state = trainer.fit(fit.net, fit.batches, fit.steps_per_epoch, fit.evaluate, save_best,
                            lambda m, target, extra: checkpoint.save(target, m, saved, extra),
                            resume=resume, save_start=not output.replacing)
    run_seconds = None
    if trainer.world.main:  # the others leave the directory to rank 0
        trainer.finish()
        if fit.after is not None and state.best_epoch:
            fit.after(state, trainer.device)
        run_seconds = record_run(out, state, started)
    return TrainResult(out, state.history, {"best_epoch": state.best_epoch,
                                            f"best_val_{fit.monitor.metric}": state.best,
                                            "seconds": state.elapsed, "run_seconds": run_seconds,
                                            **fit.summary(state)})
