"""`textrnn gradients` results: the gradient curves and the long-range accuracies, as a table, TSV or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..output import Output

if TYPE_CHECKING:
    from textrnn.inspect.gradients import GradientConfig, GradientCurve
    from textrnn.inspect.long_range import LongRangeResult

RATIO = "|dL_T/dh_(T-k)| / |dL_T/dh_T|"


def shown_distances(distance: int) -> list[int]:
    """The k a terminal table shows (a pipe gets every k): 1, 2, 5, then every 10, and the last."""
    ks = [k for k in (1, 2, 5) if k < distance] + list(range(10, distance, 10))
    return ks + [distance]


def curves(results: list["GradientCurve"], out: Output, config: "GradientConfig", corpus: str) -> None:
    if out.as_json:
        for curve in results:
            out.json({**curve.to_dict(), "corpus": corpus, "seed": config.seed})
        return
    if not out.rich:
        out.line("\t".join(["k", *(c.label for c in results)]))
        for k in range(config.distance + 1):
            out.line("\t".join([str(k), *(f"{c.ratios[k]:.4g}" for c in results)]))
        return
    from rich.table import Table

    table = Table(title=f"How much of the gradient reaches k steps back: {RATIO}", title_justify="left",
                  caption=f"mean over {config.windows:,} windows of {corpus} (seed {config.seed}), top layer; "
                          f"{_trained_note(results)}", caption_justify="left", show_edge=False)
    table.add_column("k", justify="right", style="dim")
    for curve in results:
        table.add_column(curve.label, justify="right")
    table.add_row("|dL_T/dh_T|", *(f"[dim]{c.norms[0]:.3g}[/dim]" for c in results))
    for k in shown_distances(config.distance):
        table.add_row(str(k), *(_ratio(c.ratios[k]) for c in results))
    out.print(table)


def _ratio(value: float) -> str:
    style = "green" if value >= 1e-2 else "yellow" if value >= 1e-4 else "red"
    return f"[{style}]{value:.1e}[/{style}]"


def _trained_note(results: list["GradientCurve"]) -> str:
    note = "a bare cell name is an untrained model at PyTorch's initialisation"
    trained = [c for c in results if c.trained_steps]
    if trained:
        losses = ", ".join(f"{c.cell} {c.train_loss:.2f}" for c in trained)
        note += f"; training loss after {trained[0].trained_steps:,} steps: {losses}"
    return note


def long_range(result: "LongRangeResult", out: Output) -> None:
    if out.as_json:
        for row in result.rows():
            out.json(row)
        return
    if not out.rich:
        out.line("\t".join(["k", *result.cells]))
        for j, k in enumerate(result.distances):
            out.line("\t".join([str(k), *(f"{result.accuracy[i, j]:.4f}" for i in range(len(result.cells)))]))
        return
    from rich.table import Table

    c = result.config
    table = Table(title=f"Remember the first token, k steps back: held-out accuracy (chance {result.chance:.1%})",
                  title_justify="left", caption=f"{c.steps:,} training steps of {c.batch_size} sequences per run, "
                  f"{c.hidden_size} units, {c.test_size:,} held-out sequences, seed {c.seed}",
                  caption_justify="left", show_edge=False)
    table.add_column("k", justify="right", style="dim")
    for cell in result.cells:
        table.add_column(cell, justify="right")
    for j, k in enumerate(result.distances):
        table.add_row(str(k), *(_accuracy(result.accuracy[i, j], result.chance) for i in range(len(result.cells))))
    out.print(table)


def _accuracy(value: float, chance: float) -> str:
    style = "green" if value >= 0.9 else "red" if value < 2 * chance else "yellow"
    return f"[{style}]{value:.1%}[/{style}]"
