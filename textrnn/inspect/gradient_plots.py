"""The gradient curves and the long-range accuracies as pictures (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textrnn.errors import InputError

if TYPE_CHECKING:
    from textrnn.inspect.gradients import GradientCurve
    from textrnn.inspect.long_range import LongRangeResult

# One colour per cell, the same in both pictures; a saved model gets its own.
COLOURS = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green"}
MODEL_COLOUR = "black"


def check_plot_path(path: str | Path) -> Path:
    """Refuse, before any work is done, a picture that could not be written: a missing folder, or a suffix
    matplotlib has no writer for."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: {path.parent} is not a folder",
                         hint="create it, or choose another --plot")
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder", hint="give a file name, as gradients.png")
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    if path.suffix.lower().lstrip(".") not in kinds:
        raise InputError(f"cannot write {path}: no picture format for {path.suffix or 'a name without a suffix'}",
                         hint=f"end it in .png, .svg or .pdf ({', '.join(sorted(kinds))})")
    return path


def plot_gradients(curves: list["GradientCurve"], path: str | Path, title: str = "") -> None:
    """Ratio |dL_T/dh_{T-k}| / |dL_T/dh_T| against k on a log scale, one line per curve: untrained models
    dashed, trained ones solid."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
    for curve in curves:
        ratios = curve.ratios
        keep = ratios > 0  # a gradient that underflowed to 0 has no place on a log scale
        ks = [k for k in range(len(ratios)) if keep[k]]
        colour = MODEL_COLOUR if curve.trained_steps is None else COLOURS.get(curve.cell)
        ax.plot(ks, ratios[keep], label=curve.label, color=colour, linewidth=1.8,
                linestyle="--" if curve.trained_steps == 0 else "-")
    ax.set_yscale("log")
    ax.set_xlabel("k: steps back from the last step")
    ax.set_ylabel("|dL_T / dh_(T-k)|  /  |dL_T / dh_T|")
    ax.set_xlim(0, max(len(c.norms) - 1 for c in curves))
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    _save(fig, path)


def plot_long_range(result: "LongRangeResult", path: str | Path) -> None:
    """Held-out accuracy against the distance, one line per cell, chance dotted."""
    from matplotlib.ticker import PercentFormatter

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for i, cell in enumerate(result.cells):
        ax.plot(result.distances, result.accuracy[i], marker="o", label=cell, color=COLOURS.get(cell), linewidth=1.8)
    ax.axhline(result.chance, color="grey", linestyle=":", label=f"chance ({result.chance:.1%})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(result.distances, [str(k) for k in result.distances])
    ax.minorticks_off()
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("k: steps between the token and the question")
    ax.set_ylabel("held-out accuracy")
    c = result.config
    ax.set_title(f"remember the first token: {c.steps:,} steps of training, {c.hidden_size} units", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> None:
    """Write the picture beside its place and rename it in, so a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.tight_layout()
    try:
        fig.savefig(tmp)
        tmp.replace(path)
    finally:
        _pyplot().close(fig)
        tmp.unlink(missing_ok=True)
