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
    beam: Annotated[int, typer.Option("--beam", help="Beam search with this many beams (0: off, sample; 1: greedy); one prompt at a time.")] = 0,
    seed: Annotated[Optional[int], typer.Option("--seed", help=(
        "Seed for reproducible samples. In a filter, prompt i (from 0) samples from a generator of its own, "
        "seeded with SEED for the first and from SEED and i for the others, so batching never changes the text; "
        "--json gives each prompt's seed, which reproduces it alone."))] = None,
    until: Annotated[Optional[str], typer.Option(
        "--until", help="Stop at: line (end of a line), sentence (. ! ?), none (only after -n tokens).")] = None,
    encoding_errors: opt.EncodingErrors = "strict",
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    as_json: opt.Json = False,
) -> None:
    """Generate text with a language model. Streams words in a terminal; one line per prompt in a pipe.

    A filter samples the prompts stdin holds together (up to 512 at once) and answers them in order.

    Example: textrnn generate "The weather today" -n 20 --seed 1
    """
    from textrnn.tasks.lm import LanguageModelRunner
    from textrnn.tasks.lm_generate import GenerateConfig

    from ..commands.predict import DEFAULT_MODEL
    from ..render.lm import generated, generations

    options = {"n": n, "temperature": 0.0 if greedy else temperature, "top_k": top_k, "top_p": top_p,
               "seed": seed, "beam": beam, "until": until}
    GenerateConfig(**options)  # options out of range are refused before the model loads
    if prompt is None:  # a filter: one prompt per stdin line; a blank line starts from the beginning of a line
        prompts = texts_from(None, "prompt", encoding_errors)
        runner = LanguageModelRunner(model or DEFAULT_MODEL)
        generations(runner, runner.generate_many(prompts, **options), Output(as_json))
        return
    prompt = _prompt(prompt, encoding_errors)
    runner = LanguageModelRunner(model or DEFAULT_MODEL)
    out = Output(as_json)
    generated(runner, prompt, runner.generate(prompt, **options), out, stream=out.rich and not beam, seed=seed)


def _prompt(text: str, encoding_errors: str) -> str:
    """The prompt argument decoded; refused when nothing is left once normalized ("", spaces, a lone BOM)."""
    from textrnn.data.decode import decode_arguments
    from textrnn.errors import InputError
    from textrnn.text.normalize import is_blank

    text = next(decode_arguments([text], encoding_errors))
    if is_blank(text):
        raise InputError("the prompt is empty", hint='give some text, as in: textrnn generate "The weather today"')
    return text
