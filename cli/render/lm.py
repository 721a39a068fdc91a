"""Language-model results: next-word tables, generated text (streamed or one line per prompt) and perplexity
reports."""

from __future__ import annotations

from collections.abc import Iterable

from ..output import Output, warn


def predictions(results: Iterable[dict], out: Output, **_) -> None:
    from rich.table import Table

    for i, result in enumerate(results):
        if out.as_json:
            out.json(result)
        elif not out.rich:
            if i:
                out.line("")
            for p in result["predictions"]:
                out.line(f"{p['token']}\t{p['probability']:.4f}")
        else:
            table = Table(title=f"[bold]{result['prompt']}[/bold] …", title_justify="left", show_edge=False)
            table.add_column("#", justify="right", style="dim")
            table.add_column("next word", style="bold green")
            table.add_column("probability", justify="right")
            table.add_column("")
            top = max((p["probability"] for p in result["predictions"]), default=1.0) or 1.0
            for rank, p in enumerate(result["predictions"], 1):
                bar = "█" * max(1, round(20 * p["probability"] / top))
                table.add_row(str(rank), repr(p["token"])[1:-1] if p["token"].isspace() else p["token"],
                              f"{p['probability']:.1%}", f"[cyan]{bar}[/cyan]")
            out.print(table)


def generated(runner, prompt: str, tokens: Iterable[str], out: Output, stream: bool, seed: int | None) -> None:
    """One prompt's continuation: in a terminal (`stream`) each word as it comes, the prompt in bold; else one
    result once done, the text as generated (line breaks kept) or JSON."""
    read = runner.tokenizer(prompt)
    if not stream:
        _one(runner, out, prompt, read, list(tokens), seed, flatten=False)
        return
    done: list[str] = []
    shown = runner.detokenize(read)
    out.console.print(prompt, end="", style="bold", soft_wrap=True)
    for token in tokens:
        done.append(token)
        # Detokenize what we have and print only what is new: "word ," becomes "word,".
        full = runner.detokenize(read + done)
        out.console.print(full[len(shown):] if full.startswith(shown) else "", end="", soft_wrap=True,
                          markup=False, highlight=False)
        shown = full
    out.console.print()


def generations(runner, results: Iterable, out: Output) -> None:
    """A filter's continuations (textrnn.tasks.lm_generate.Generation), in order: one line each, line breaks
    made spaces so that line n answers prompt n; or one JSON object each."""
    for result in results:
        _one(runner, out, result.prompt, result.prompt_tokens, result.tokens, result.seed, flatten=True)


def _one(runner, out: Output, prompt: str, read: list[str], tokens: list[str], seed: int | None,
         flatten: bool) -> None:
    """read: the prompt's tokens. The continuation is detokenized after them, so "word ," reads "word,"."""
    shown = runner.detokenize(read) if read else ""
    continuation = runner.detokenize(read + tokens)[len(shown):]
    if out.as_json:
        record = {"prompt": prompt, "continuation": continuation.strip(), "text": (prompt + continuation).strip(),
                  "tokens": len(tokens)}
        out.json(record if seed is None else {**record, "seed": seed})
    elif flatten:
        out.line((prompt + continuation).replace("\n", " ").strip())
    else:
        out.line(prompt + continuation)


def evaluation(result: dict, out: Output) -> None:
    from textrnn.tasks.lm import HIGH_OOV_RATE

    if result["oov_rate"] > HIGH_OOV_RATE:
        warn(f"{result['oov_rate']:.1%} of the tokens are not in the model's vocabulary, and each is an easy "
             f"<unk> to predict: the perplexity over known tokens ({result['known_perplexity']:.2f}) is the fairer figure")
    if out.as_json:
        out.json(result)
        return
    rows = [("tokens", f"{result['tokens']:,}"), ("perplexity", f"{result['perplexity']:.2f}"),
            ("perplexity over known tokens", f"{result['known_perplexity']:.2f}"),
            ("loss (nats/token)", f"{result['loss']:.4f}"), ("OOV rate", f"{result['oov_rate']:.2%}")]
    if "bits_per_char" in result:
        rows.append(("bits per character", f"{result['bits_per_char']:.3f}"))
    if not out.rich:
        for key, value in rows:
            out.line(f"{key}\t{value}")
        return
    from rich.table import Table

    table = Table(title=f"{result['model']} on {result['corpus']}", show_header=False)
    table.add_column(style="cyan")
    table.add_column(justify="right")
    for row in rows:
        table.add_row(*row)
    out.print(table)
