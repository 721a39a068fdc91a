"""Classifier results: labels with class probabilities, and evaluation reports with a confusion matrix."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from ..output import Output, note

TABLE_ROWS = 100  # in a terminal, many results are drawn as tables of this many rows
WIDE = 6  # up to this many labels get a probability column each


def truncation_note(count: int, max_length: int | None = None, total: int | None = None) -> None:
    """On stderr, when texts were longer than the model reads: how many, and the length they were cut to."""
    if count:
        of = f" of {total:,}" if total is not None else ""
        limit = f"--max-length {max_length:,} tokens" if max_length else "the --max-length it was trained with"
        cut = f"{max_length:,} tokens" if max_length else "that length"
        note(f"{count:,}{of} texts were longer than the model reads ({limit}): they were cut to {cut}")


def predictions(results: Iterable[dict], out: Output, **_) -> None:
    """JSON lines with --json; `label<TAB>probability<TAB>label=p ...` per text in a pipe; tables in a terminal.
    (Texts cut to the model's length are counted with the other notes: render/notes.py.)"""
    results = iter(results)
    if out.as_json or not out.rich:
        for result in results:
            if out.as_json:
                out.json({k: v for k, v in result.items() if k != "notes"})
            else:
                each = "\t".join(f"{label}={p:.4f}" for label, p in result["probabilities"].items())
                out.line(f"{result['label']}\t{result['probability']:.4f}\t{each}")
        return
    first = list(islice(results, 2))
    if len(first) == 1:
        _one(first[0], out)
        return
    results = _chain(first, results)
    while chunk := list(islice(results, TABLE_ROWS)):
        _many(chunk, out)


def _chain(head: list[dict], rest: Iterator[dict]) -> Iterator[dict]:
    yield from head
    yield from rest


def _one(result: dict, out: Output) -> None:
    """One text: every label with its probability and a bar, the chosen one first."""
    from rich.table import Table

    table = Table(title=f"[bold]{_escape(result['text'])}[/bold]", title_justify="left", show_edge=False)
    table.add_column("label", style="bold")
    table.add_column("probability", justify="right")
    table.add_column("")
    ranked = sorted(result["probabilities"].items(), key=lambda kv: -kv[1])
    for label, p in ranked:
        style = "green" if label == result["label"] else "dim"
        table.add_row(f"[{style}]{_escape(label)}[/{style}]", f"{p:.1%}",
                      f"[cyan]{'█' * max(1, round(20 * p))}[/cyan]")
    out.print(table)


def _many(results: list[dict], out: Output) -> None:
    """Several texts: one row each, with the chosen label and (for a few labels) every probability."""
    from rich.table import Table

    labels = list(results[0]["probabilities"])
    wide = len(labels) <= WIDE
    # The figures keep their width; the text column gets what is left of the terminal (3 = padding and rule).
    figures = [("label", max(5, *(len(r["label"]) for r in results))), ("probability", 11)]
    figures += [(f"p({label})", max(5, len(label) + 3)) for label in (labels if wide else [])]
    room = out.console.width - sum(width + 3 for _, width in figures) - 2
    table = Table(show_edge=False)
    table.add_column("text", overflow="ellipsis", no_wrap=True, max_width=max(10, min(60, room)))
    for i, (name, width) in enumerate(figures):
        table.add_column(_escape(name), justify="left" if i == 0 else "right", no_wrap=True, min_width=width,
                         style="bold green" if i == 0 else ("dim" if i > 1 else None))
    for result in results:
        extra = [f"{result['probabilities'][label]:.3f}" for label in labels] if wide else []
        table.add_row(_escape(result["text"]), _escape(result["label"]), f"{result['probability']:.1%}", *extra)
    out.print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def evaluation(result: dict, out: Output) -> None:
    """Accuracy and macro figures, then per-class precision/recall/F1/support, then the confusion matrix."""
    truncation_note(result["truncated"], result["max_length"], total=result["examples"])
    if out.as_json:
        out.json(result)
        return
    labels = result["labels"]
    summary = [("examples", f"{result['examples']:,}"), ("accuracy", f"{result['accuracy']:.4f}"),
               ("macro precision", f"{result['macro_precision']:.4f}"),
               ("macro recall", f"{result['macro_recall']:.4f}"), ("macro F1", f"{result['macro_f1']:.4f}"),
               ("loss", f"{result['loss']:.4f}")]
    if not out.rich:
        for key, value in summary:
            out.line(f"{key}\t{value}")
        for label, c in result["per_class"].items():
            out.line(f"class {label}\tprecision {c['precision']:.4f}\trecall {c['recall']:.4f}\t"
                     f"f1 {c['f1']:.4f}\tsupport {c['support']}")
        out.line("confusion (rows: true, columns: predicted)\t" + "\t".join(labels))
        for label, row in zip(labels, result["confusion"]):
            out.line(f"{label}\t" + "\t".join(map(str, row)))
        return
    from rich.table import Table

    facts = Table(title=f"{_escape(result['model'])} on {_escape(result['corpus'])}", show_header=False)
    facts.add_column(style="cyan")
    facts.add_column(justify="right")
    for row in summary:
        facts.add_row(*row)
    out.print(facts)
    per_class = Table(title="Per class", show_edge=False)
    for col in ("label", "precision", "recall", "F1", "support"):
        per_class.add_column(col, justify="left" if col == "label" else "right", style="bold" if col == "label" else None)
    for label, c in result["per_class"].items():
        per_class.add_row(_escape(label), f"{c['precision']:.4f}", f"{c['recall']:.4f}", f"{c['f1']:.4f}",
                          f"{c['support']:,}")
    per_class.add_row("[dim]macro[/dim]", f"{result['macro_precision']:.4f}", f"{result['macro_recall']:.4f}",
                      f"{result['macro_f1']:.4f}", f"{result['examples']:,}")
    out.print(per_class)
    out.print(confusion_table(labels, result["confusion"]))


def confusion_table(labels: list[str], confusion: list[list[int]]):
    """Rows: the true label; columns: the predicted one. The diagonal (right answers) in green."""
    from rich.table import Table

    table = Table(title="Confusion matrix (rows: true, columns: predicted)")
    table.add_column("true \\ predicted", style="bold")
    for label in labels:
        table.add_column(_escape(label), justify="right")
    for i, (label, row) in enumerate(zip(labels, confusion)):
        table.add_row(_escape(label), *(f"[green]{n:,}[/green]" if i == j else (f"[red]{n:,}[/red]" if n else "0")
                                        for j, n in enumerate(row)))
    return table
