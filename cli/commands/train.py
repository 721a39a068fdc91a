"""`textrnn train lm|classify|translate`: the training options every task shares, then one module per task."""

from __future__ import annotations

import typer

app = typer.Typer(help="Train a model: a language model, a classifier or a translator.", no_args_is_help=True)


def train_config(task, epochs, batch_size, lr, optimizer, clip, seed, device, patience, weight_decay=0.0,
                 layer_lr_decay=1.0, gradual_unfreeze=False):
    """The task's default training settings with the options given; lr None: the optimizer's default."""
    from textrnn.tasks import defaults

    return defaults.training(task, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, clip=clip,
                             seed=seed, device=device, patience=patience, weight_decay=weight_decay,
                             layer_lr_decay=layer_lr_decay, gradual_unfreeze=gradual_unfreeze)


def render_summary(result, as_json: bool) -> None:
    """The result of a training run on stdout: where the model is and its best validation figures."""
    from ..output import Output

    out = Output(as_json)
    best = result.history[result.summary["best_epoch"] - 1] if result.history and result.summary.get("best_epoch") \
        else {}
    summary = {"model": str(result.path), **result.summary, **{k: v for k, v in best.items() if k.startswith("val_")}}
    if out.as_json:
        out.json(summary)
    elif not out.rich:
        for key, value in summary.items():
            out.line(f"{key}\t{value}")
    else:
        from rich.table import Table

        table = Table(title="Training summary", show_header=False)
        table.add_column(style="cyan")
        table.add_column(justify="right")
        for key, value in summary.items():
            table.add_row(key.replace("_", " "), f"{value:.4g}" if isinstance(value, float) else str(value))
        out.print(table)


def _register() -> None:
    from .train_classify import classify
    from .train_lm import lm
    from .train_translate import translate

    app.command("lm")(lm)
    app.command("classify")(classify)
    app.command("translate")(translate)


_register()
