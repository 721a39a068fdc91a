"""`textrnn vocab build|show`: build a vocabulary from a corpus and inspect one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import options as opt
from ..output import Output

app = typer.Typer(help="Build and inspect vocabularies.", no_args_is_help=True)


@app.command()
def build(
    corpus: Annotated[str, typer.Argument(help="A file, folder, '-' for stdin, or hf:NAME.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the vocabulary JSON.")],
    tokenizer: opt.Tokenizer = "spacy",
    lang: opt.Lang = "en",
    lowercase: opt.Lowercase = False,
    column: Annotated[str, typer.Option("--column", help="Text column (name or index) in CSV/TSV/JSONL.")] = "text",
    min_freq: opt.MinFreq = 1,
    max_size: Annotated[Optional[int], typer.Option("--max-size", help="Largest vocabulary, specials included.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many of the commonest tokens to show.")] = 15,
    encoding_errors: opt.EncodingErrors = "strict",
    split: opt.Split = "train",
    as_json: opt.Json = False,
) -> None:
    """Tokenize a corpus, build its vocabulary, save it as JSON and show the top tokens and coverage.

    Example: textrnn vocab build ../shared/data/tiny-shakespeare/input.txt -o vocab.json
    """
    from textrnn.data.sources import Source
    from textrnn.ranges import check
    from textrnn.vocab_builder import build_vocab

    check("top", top)

    from ..progress import tokenizing

    with tokenizing():
        report = build_vocab(Source(corpus, errors=encoding_errors, split=split), output, tokenizer, lang, lowercase,
                             column, min_freq, max_size)
    _show(report.vocab, top, Output(as_json), report.as_dict())


@app.command()
def show(
    vocab_file: Annotated[Path, typer.Argument(help="A vocabulary JSON file (or a model directory).")],
    top: Annotated[int, typer.Option("--top", help="How many of the commonest tokens to show.")] = 30,
    as_json: opt.Json = False,
) -> None:
    """Show a vocabulary's size and commonest tokens.

    Example: textrnn vocab show vocab.json --top 10
    """
    from textrnn.ranges import check
    from textrnn.vocab_builder import read_vocab

    check("top", top)

    vocab = read_vocab(vocab_file)
    _show(vocab, top, Output(as_json), {"path": str(vocab_file), "size": len(vocab)})


def _show(vocab, top: int, out: Output, summary: dict) -> None:
    from rich.table import Table

    rows = vocab.most_common(top)
    if out.as_json:
        out.json({**summary, "top": [{"token": t, "count": c} for t, c in rows]})
        return
    if not out.rich:
        for key, value in summary.items():
            out.line(f"{key}\t{value:.4f}" if isinstance(value, float) else f"{key}\t{value}")
        for token, count in rows:
            out.line(f"{token}\t{count}")
        return
    table = Table(title=f"Top {len(rows)} tokens", show_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("token", style="bold")
    table.add_column("count", justify="right")
    for i, (token, count) in enumerate(rows, 1):
        table.add_row(str(i), repr(token)[1:-1] if token.isspace() else token, f"{count:,}")
    out.print(table)
    facts = Table.grid(padding=(0, 2))
    for key, value in summary.items():
        facts.add_row(key.replace("_", " "), f"{value:.2%}" if isinstance(value, float) else f"{value:,}"
                      if isinstance(value, int) else str(value))
    out.print(facts)
