"""A trace as a PNG (matplotlib, headless Agg backend): per reading, a heatmap of units by steps for each
shown layer, the tokens along the axis, what the model says under each step, and the mean gates if traced."""

from __future__ import annotations

from pathlib import Path

from textrnn.inspect.files import target
from textrnn.inspect.trace import Trace

WIDE = 15  # up to this many steps, each gets room for its three likeliest words


def write_picture(trace: Trace, path: str | Path, all_layers: bool = False, dpi: int = 100) -> Path:
    """Draw `trace` into `path` as PNG (whatever its suffix), written whole or not at all. all_layers: every
    layer's heatmap, else the top layer's (both directions)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    rows = []  # (kind, reading, track or None, height in inches)
    for reading in trace.readings:
        tracks = reading.tracks if all_layers else reading.top_tracks()
        rows += [("state", reading, t, 1.2 if t.states.shape[1] <= 64 else 2.2) for t in tracks]
        if trace.gates:
            rows.append(("gates", reading, tracks[0], 1.3))
        if any(reading.predictions):
            rows.append(("says", reading, None, 0.45 if len(reading.tokens) <= WIDE else 1.1))
    steps = max(len(r.tokens) for r in trace.readings)
    width = 2.5 + steps * (1.1 if steps <= WIDE else 0.35)
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, sum(r[3] for r in rows) + 0.45 * len(rows) + 0.3),
                             dpi=dpi, gridspec_kw={"height_ratios": [r[3] for r in rows]}, squeeze=False)
    title = f"{trace.model} ({trace.cell.upper()}) reading “{_short(trace.text)}”"
    for ax, (kind, reading, track, _) in zip(axes[:, 0], rows):
        # Every row keeps a colour bar's room at its right, so that the steps line up from row to row.
        bar = make_axes_locatable(ax).append_axes("right", size=0.15, pad=0.1)
        if kind == "state":
            _heatmap(fig, ax, bar, reading, track)
            continue
        bar.axis("off")
        if kind == "gates":
            _gates(ax, reading, track)
        else:
            _says(ax, reading)
    axes[0, 0].set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    path = target(path)
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    tmp.replace(path)
    return path


def _heatmap(fig, ax, bar, reading, track) -> None:
    scale = max(1.0, float(abs(track.states).max()))
    image = ax.imshow(track.states.T, aspect="auto", cmap="RdBu_r", vmin=-scale, vmax=scale,
                      interpolation="nearest")
    units = track.states.shape[1]
    ax.set_ylabel(f"{track.name}\n{units} units", fontsize=8)
    ax.set_yticks([0, units - 1], [1, units], fontsize=7)
    _token_axis(ax, reading)
    fig.colorbar(image, cax=bar)
    bar.tick_params(labelsize=7)


def _token_axis(ax, reading) -> None:
    n = len(reading.tokens)
    ax.set_xticks(range(n), [t + ("*" if reading.unknown and reading.unknown[i] else "")
                             for i, t in enumerate(reading.tokens)],
                  rotation=0 if n <= WIDE else 90, fontsize=9)
    ax.set_xlim(-0.5, n - 0.5)


def _gates(ax, reading, track) -> None:
    for name, values in track.gate_means().items():
        ax.plot(range(len(values)), values, marker="o", label=name)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"mean gate\n{track.name}", fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=3)
    _token_axis(ax, reading)


def _says(ax, reading) -> None:
    """What the model says after each step, written under the step."""
    n = len(reading.tokens)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(0, 1)
    ax.axis("off")
    wide = n <= WIDE
    for step, p in enumerate(reading.predictions):
        lines = _lines(p, reading)
        text = "\n".join(lines if wide else lines[:1])
        ax.text(step, 1.0, text, ha="center", va="top", fontsize=8 if wide else 7, rotation=0 if wide else 90,
                family="DejaVu Sans")
    ax.text(-0.5, 1.0, {"text": "says:", "output": "writes:"}.get(reading.role, ""), ha="right", va="top",
            fontsize=8, style="italic")


def _lines(p: dict, reading) -> list[str]:
    if "probabilities" in p:
        ranked = sorted(p["probabilities"].items(), key=lambda kv: -kv[1])
        return [f"{label} {q:.0%}" for label, q in ranked[:3]]
    if "next" not in p:
        return []
    lines = [f"{w['token']} {w['probability']:.0%}" for w in p["next"][:3]]
    if "attention" in p and reading.source:
        best = max(range(len(p["attention"])), key=p["attention"].__getitem__)
        lines = lines[:2] + [f"← {reading.source[best]}"]
    return lines


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
