"""What every `train` subcommand shares: its training settings from the options, and the summary it prints.
(Its own module, so that `train` and the subcommands import it and not each other.)"""

from __future__ import annotations


def train_config(task, epochs, batch_size, lr, optimizer, clip, seed, device, patience, save_every=0,
                 save_every_minutes=0.0, weight_decay=0.0, layer_lr_decay=1.0, gradual_unfreeze=False,
                 precision="auto"):
    """The task's default training settings with the options given; lr None: the optimizer's default."""
    from textrnn.tasks import defaults

    return defaults.training(task, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, clip=clip,
                             seed=seed, device=device, patience=patience, save_every=save_every,
                             save_every_minutes=save_every_minutes, weight_decay=weight_decay,
                             layer_lr_decay=layer_lr_decay, gradual_unfreeze=gradual_unfreeze,
                             precision=precision)


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
