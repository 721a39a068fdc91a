"""Translation results: one line per translation, alignment heat tables and PNGs, BLEU/chrF reports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..output import Output, note


def predictions(results: Iterable[dict], out: Output, show_attention: bool = False, plot: Path | None = None,
                attention: bool = False, **_) -> None:
    """Translations in input order. --plot FILE.png saves the first alignment there, the next ones as
    FILE-2.png, FILE-3.png ..."""
    for i, result in enumerate(results):
        if plot is not None:
            from textrnn.alignment import plot_alignment

            saved = plot_alignment(result["source_tokens"], result["tokens"], result["attention"],
                                   _numbered(Path(plot), i), title=result["source"])
            note(f"alignment saved to {saved}")
        if out.as_json:
            out.json(result if attention else {k: v for k, v in result.items() if k != "attention"})
        elif out.rich:
            from rich.text import Text

            out.print(Text.assemble((result["source"], "dim"), ("  →  ", "dim"), (result["translation"], "bold green")))
        else:
            out.line(result["translation"])
        if show_attention and not out.as_json:
            out.print(heat_table(result))


def _numbered(path: Path, i: int) -> Path:
    return path if i == 0 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")


def heat_table(result: dict):
    """Rows: output tokens; columns: source tokens; cells: attention in percent, shaded (darker = less)."""
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 1))
    table.add_column("", style="bold")
    for token in result["source_tokens"]:
        table.add_column(token, justify="right", no_wrap=True)
    for token, row in zip(result["tokens"], result["attention"]):
        top = max(range(len(row)), key=row.__getitem__) if row else -1
        cells = []
        for j, w in enumerate(row):
            level = 232 + round(w * 23)  # the 256-colour grey ramp
            style = f"{'bold ' if j == top else ''}{'black' if w > 0.5 else 'white'} on color({level})"
            cells.append((f"{round(100 * w):3d}", style))
        table.add_row(token, *[_styled(text, style) for text, style in cells])
    return table


def _styled(text: str, style: str):
    from rich.text import Text

    return Text(text, style=style)


def evaluation(result: dict, out: Output) -> None:
    if out.as_json:
        out.json(result)
        return
    decoding = "greedy" if result["beam"] == 1 else f"beam {result['beam']}"
    rows = [("sentences", f"{result['sentences']:,}"), ("BLEU", f"{result['bleu']:.2f}"),
            ("chrF", f"{result['chrf']:.2f}"), ("decoding", decoding),
            ("scoring", "sacreBLEU on detokenized text, 13a tokenization, case-sensitive"),
            ("BLEU signature", result["bleu_signature"]), ("chrF signature", result["chrf_signature"]),
            ("sentences/s", f"{result['sentences_per_s']:.1f}")]
    if result.get("truncated"):
        rows.append(("truncated sources", str(result["truncated"])))
    if not out.rich:
        for key, value in rows:
            out.line(f"{key}\t{value}")
        for ex in result["examples"]:
            out.line(f"example\t{ex['source']}\t{ex['reference']}\t{ex['translation']}")
        return
    from rich.table import Table

    table = Table(title=f"{result['model']} on {result['corpus']}", show_header=False)
    table.add_column(style="cyan")
    table.add_column()
    for row in rows:
        table.add_row(*row)
    out.print(table)
    examples = Table(title="Examples", show_lines=True)
    for name, style in (("source", ""), ("reference", "dim"), ("translation", "bold green")):
        examples.add_column(name, style=style)
    for ex in result["examples"]:
        examples.add_row(ex["source"], ex["reference"], ex["translation"])
    out.print(examples)
