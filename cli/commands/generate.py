"""`textrnn generate`: continue a prompt, or act as a filter over stdin prompts."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .. import options as opt
from ..output import Output
from .common import texts_from


def generate(
    prompt: Annotated[Optional[str], typer.Argument(help="Text to continue; without it, one prompt per stdin line.")] = None,
    model: opt.Model = None,
    n: Annotated[int, typer.Option("-n", "--tokens", help="Tokens to generate at most.")] = 30,
    temperature: Annotated[float, typer.Option("--temperature", help="Sampling temperature; 0 is greedy.")] = 0.8,
    top_k: Annotated[int, typer.Option("--top-k", help="Sample from the k likeliest tokens (0: all).")] = 0,
    top_p: Annotated[float, typer.Option("--top-p", help="Nucleus sampling: the smallest set with this mass.")] = 0.95,
    greedy: Annotated[bool, typer.Option("--greedy", help="Always take the likeliest token.")] = False,
    beam: Annotated[int, typer.Option("--beam", help="Beam search with this many beams (0: off).")] = 0,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for reproducible samples.")] = None,
    until: Annotated[Optional[str], typer.Option(
        "--until", help="Stop at: line (end of a line), sentence (. ! ?), none (only after -n tokens).")] = None,
    encoding_errors: opt.EncodingErrors = "strict",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    as_json: opt.Json = False,
) -> None:
    """Generate text with a language model. Streams words in a terminal; one line per prompt in a pipe.

    Example: textrnn generate "The weather today" -n 20 --seed 1
    """
    from textrnn.data.decode import decode_arguments
    from textrnn.errors import InputError
    from textrnn.tasks.lm import LanguageModelRunner
    from textrnn.text.normalize import is_blank

    from ..commands.predict import DEFAULT_MODEL

    if until not in (None, "line", "sentence", "none"):
        raise InputError(f"--until must be line, sentence or none, not {until!r}")
    if prompt is not None:
        prompt = next(decode_arguments([prompt], encoding_errors))
        if is_blank(prompt):  # nothing left once normalized: "", spaces, a lone BOM or zero-width space
            raise InputError("the prompt is empty", hint='give some text, as in: textrnn generate "The weather today"')
    # A filter reads stdin lazily, one prompt per line; a blank line starts from the beginning of a line.
    prompts = [prompt] if prompt is not None else texts_from(None, "prompt", encoding_errors)
    runner = LanguageModelRunner(model or DEFAULT_MODEL)
    out = Output(as_json)
    options = {"n": n, "temperature": 0.0 if greedy else temperature, "top_k": top_k, "top_p": top_p,
               "seed": seed, "beam": beam, "until": until}
    for text in prompts:
        tokens: list[str] = []
        shown = _prompt_text(runner, text)
        stream = out.rich and prompt is not None and not beam
        generated = runner.generate(text, **options)  # options out of range are refused here, before any output
        if stream:
            out.console.print(text, end="", style="bold", soft_wrap=True)
        for token in generated:
            tokens.append(token)
            if stream:
                # Detokenize what we have and print only what is new: "word ," becomes "word,".
                full = runner.detokenize(_with_prompt(runner, text, tokens))
                new = full[len(shown):] if full.startswith(shown) else ""
                out.console.print(new, end="", soft_wrap=True, markup=False, highlight=False)
                shown = full
        continuation = runner.detokenize(_with_prompt(runner, text, tokens))[len(_prompt_text(runner, text)):]
        if out.as_json:
            out.json({"prompt": text, "continuation": continuation.strip(), "text": (text + continuation).strip(),
                      "tokens": len(tokens)})
        elif stream:
            out.console.print()
        else:
            out.line((text + continuation).replace("\n", " ").strip() if prompt is None else (text + continuation))


def _prompt_text(runner, text: str) -> str:
    return runner.detokenize(runner.tokenizer(text)) if text else ""


def _with_prompt(runner, text: str, tokens: list[str]) -> list[str]:
    return (runner.tokenizer(text) if text else []) + tokens
