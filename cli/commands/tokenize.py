"""`textrnn tokenize`: show how a tokenizer splits text."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .. import options as opt
from ..output import Output
from .common import texts_from


def tokenize(
    text: Annotated[Optional[list[str]], typer.Argument(help="Text to tokenize; '-' or nothing reads stdin lines.")] = None,
    tokenizer: opt.Tokenizer = "spacy",
    lang: opt.Lang = "en",
    lowercase: opt.Lowercase = False,
    encoding_errors: opt.EncodingErrors = "strict",
    as_json: opt.Json = False,
) -> None:
    """Split text into tokens, one line of output per input line.

    Example: textrnn tokenize "Don't stop believing, Mr. Smith!" --tokenizer spacy
    """
    from rich.text import Text

    from textrnn.text import get_tokenizer

    tok = get_tokenizer(tokenizer, lang, lowercase)
    out = Output(as_json)
    for line in texts_from(text, errors=encoding_errors):
        tokens = tok(line)
        if out.as_json:
            out.json({"text": line, "tokens": tokens})
        elif out.rich:
            shown = Text()
            for i, t in enumerate(tokens):
                shown.append(t.replace(" ", "␣"), style="bold cyan" if i % 2 == 0 else "bold magenta")
                shown.append(" ")
            shown.append(f"({len(tokens)} tokens)", style="dim")
            out.print(shown)
        else:
            out.line(" ".join(tokens))
