"""A trace in the terminal: one row per token with a strip of colour per hidden unit, how much the step changed
the state, the gates, and what the model would say there. Tab-separated figures in a pipe."""

from __future__ import annotations

import math
from pathlib import Path

from ..output import Output, note

NEGATIVE, ZERO, POSITIVE = (70, 130, 240), (40, 40, 40), (240, 80, 50)
HALF_BLOCK = "▀"  # foreground: one unit, background: the next; two units per character


def show(trace, out: Output, all_layers: bool = False, gates: bool = False, plot: Path | None = None,
         html: Path | None = None, quiet: bool = False) -> None:
    """The trace's notes on stderr (unless quiet); its figures as JSON, tables (terminal) or tab-separated lines
    (pipe); and its picture and page when asked for. all_layers: every layer's tracks, else the top layer's
    (both directions); gates: the mean gate activations per step."""
    for message in [] if quiet else trace.notes:
        note(message)
    if out.as_json:
        out.json(trace.to_dict())
    else:
        _readings(trace, out, all_layers, gates)
    if plot is not None:
        from textrnn.inspect.picture import write_picture

        write_picture(trace, plot, all_layers=all_layers)
        if not quiet:
            note(f"wrote {plot}")
    if html is not None:
        from textrnn.inspect.page import write_page

        write_page(trace, html)
        if not quiet:
            note(f"wrote {html}")


def _readings(trace, out: Output, all_layers: bool, gates: bool) -> None:
    for i, reading in enumerate(trace.readings):
        tracks = reading.tracks if all_layers else reading.top_tracks()
        shown_gates = list(trace.gates) if gates else []
        if out.rich:
            _table(trace, reading, tracks, shown_gates, out)
        else:
            if i:
                out.line("")
            _plain(reading, tracks, shown_gates, out)


def _plain(reading, tracks: list, gates: list[str], out: Output) -> None:
    many = len(tracks) > 1
    suffix = [f":{t.name}" if many else "" for t in tracks]
    header = ["step", "token"] + [f"change{s}" for s in suffix] + [f"kept{s}" for s in suffix]
    header += [f"{g}{s}" for g in gates for s in suffix]
    header += {"text": ["prediction"], "output": ["next", "looks_at"]}.get(reading.role, [])
    out.line("\t".join(header))
    changes, kept = [t.change for t in tracks], [t.kept for t in tracks]
    means = [t.gate_means() for t in tracks]
    for step, token in enumerate(reading.tokens):
        row = [str(step + 1), token] + [f"{c[step]:.4f}" for c in changes] + [f"{k[step]:.4f}" for k in kept]
        row += [f"{m[g][step]:.4f}" for g in gates for m in means]
        row += _plain_prediction(reading, step)
        out.line("\t".join(row))


def _plain_prediction(reading, step: int) -> list[str]:
    p = reading.predictions[step]
    if "probabilities" in p:
        return [" ".join(f"{label}={q:.4f}" for label, q in p["probabilities"].items())]
    if "next" not in p:
        return []
    words = [" ".join(f"{w['token']}={w['probability']:.4f}" for w in p["next"])]
    if "attention" in p:
        words.append(" ".join(f"{src}={a:.4f}" for src, a in _looks_at(p["attention"], reading.source)))
    return words


def _looks_at(attention: list[float], source: list[str], n: int = 2) -> list[tuple[str, float]]:
    order = sorted(range(len(attention)), key=lambda j: -attention[j])[:n]
    return [(source[j], attention[j]) for j in order if attention[j] >= 0.05 or j == order[0]]


def _table(trace, reading, tracks: list, gates: list[str], out: Output) -> None:
    from rich.table import Table
    from rich.text import Text

    title = {"text": f"{trace.model} reading [bold]{_escape(trace.text)}[/bold]",
             "source": f"{trace.model}'s encoder reading [bold]{_escape(trace.text)}[/bold]",
             "output": f"{trace.model}'s decoder writing, one word a step (greedy)"}[reading.role]
    says = [_says(reading, step) for step in range(len(reading.tokens))]
    heads = {"text": ["the model says"], "output": ["likeliest words", "looks at"]}.get(reading.role, [])
    table = Table(title=title, title_justify="left", show_edge=False, caption=_legend(reading, tracks, gates),
                  caption_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("token", style="bold", no_wrap=True)
    # What the other columns take: their widest cell, plus 3 for padding and rule each.
    others = 3 + len(str(len(reading.tokens))) + max(5, *map(len, reading.tokens)) + 4 + 9 + 7 + 9 * len(gates)
    others += sum(3 + max(len(head), *(Text.from_markup(row[i]).cell_len for row in says))
                  for i, head in enumerate(heads))
    width = _strip_width(out.console.width - others, len(tracks), max(t.states.shape[1] for t in tracks))
    for t in tracks:
        table.add_column(t.name, width=width)
    table.add_column("change", justify="right")
    table.add_column("kept", justify="right")
    for g in gates:
        table.add_column(g, justify="right", style="magenta")
    for head in heads:
        table.add_column(head, no_wrap=True)
    scales = [max(1.0, float(abs(t.states).max())) for t in tracks]
    means = [t.gate_means() for t in tracks]
    for step, token in enumerate(reading.tokens):
        cells = [str(step + 1), Text(token + ("*" if reading.unknown and reading.unknown[step] else ""))]
        cells += [_strip(t.states[step], scale, width) for t, scale in zip(tracks, scales)]
        cells.append("\n".join(f"{t.change[step]:.2f}" for t in tracks))
        cells.append("\n".join(f"{t.kept[step]:.0%}" for t in tracks))
        cells += ["\n".join(f"{m[g][step]:.2f}" for m in means) for g in gates]
        table.add_row(*cells, *says[step])
    out.print(table)


def _strip_width(room: int, tracks: int, units: int) -> int:
    """Characters per state strip (two units each), as many as fit in `room`, folded into equal lines."""
    half = math.ceil(units / 2)
    per_track = max(8, room // max(tracks, 1) - 3)
    return math.ceil(half / math.ceil(half / per_track))


def _strip(values, scale: float, width: int):
    """A compact strip of colour per unit, folded to `width` characters: red positive, blue negative."""
    from rich.style import Style
    from rich.text import Text

    text = Text()
    for i in range(0, len(values), 2):
        if i and i % (2 * width) == 0:
            text.append("\n")
        bottom = values[i + 1] if i + 1 < len(values) else 0.0
        text.append(HALF_BLOCK, Style(color=_colour(values[i] / scale), bgcolor=_colour(bottom / scale)))
    return text


def _colour(v: float) -> str:
    target = POSITIVE if v > 0 else NEGATIVE
    a = min(1.0, abs(float(v)))
    r, g, b = (round(z + (t - z) * a) for z, t in zip(ZERO, target))
    return f"rgb({r},{g},{b})"


def _says(reading, step: int) -> list:
    p = reading.predictions[step]
    if reading.role == "source":
        return []
    if "probabilities" in p:
        return [" ".join((f"[bold green]{_escape(label)} {q:.0%}[/bold green]" if label == p["label"]
                          else f"[dim]{_escape(label)} {q:.0%}[/dim]") for label, q in p["probabilities"].items())]
    words = " · ".join(f"{_escape(_shown(w['token']))} {w['probability']:.0%}" for w in p["next"])
    if reading.role != "output":
        return [words]
    return [words, ", ".join(f"{_escape(src)} {a:.0%}" for src, a in _looks_at(p["attention"], reading.source))]


def _legend(reading, tracks: list, gates: list[str]) -> str:
    units = ", ".join(dict.fromkeys(str(t.states.shape[1]) for t in tracks))
    legend = (f"state: {units} units, one per half character, [red]red[/red] > 0 > [blue]blue[/blue]; "
              "change: distance from the previous state; kept: how far it still points the same way (cosine)")
    if len(tracks) > 1:
        legend += "; change, kept and gates: one line per state column, left to right"
    if gates:
        from textrnn.inspect.gates import GATE_MEANING

        legend += "; " + "; ".join(f"{g}: mean {GATE_MEANING[g]}" for g in gates)
    if any(reading.unknown):
        legend += "; * not in the vocabulary"
    return legend


def _shown(token: str) -> str:
    return repr(token)[1:-1] if token.isspace() else token


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
