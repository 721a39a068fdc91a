"""`textrnn gradients`: the vanishing gradient measured on real text, and a long-range task that shows what
it means for learning (--long-range)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from textrnn.errors import InputError

from .. import options as opt
from ..output import Output, err, note


def gradients(
    model: opt.Model = None,
    corpus: Annotated[Optional[str], typer.Option(
        "--corpus", help="Text to measure on: a file, a folder, or a bundled corpus "
                         "(default: everyday-english).")] = None,
    cells: Annotated[Optional[str], typer.Option(
        "--cells", help="Fresh models to measure, as rnn,lstm,gru (default: all three; beside --model: none).")] = None,
    distance: Annotated[Optional[int], typer.Option(
        "--distance", help="The farthest k measured (default: 50).")] = None,
    windows: Annotated[Optional[int], typer.Option(
        "--windows", help="Windows of text the gradient is averaged over (default: 256).")] = None,
    hidden_size: Annotated[Optional[int], typer.Option(
        "--hidden-size", help="Units per layer of the fresh models (default: 128; --long-range: 32; beside "
                              "--model: the model's).")] = None,
    layers: Annotated[Optional[int], typer.Option(
        "--layers", help="Layers of the fresh models (default: 1); the top one is measured.")] = None,
    nonlinearity: Annotated[Optional[str], typer.Option(
        "--nonlinearity", help="Of the fresh rnn: tanh (default) or relu.")] = None,
    tokenizer: Annotated[Optional[str], typer.Option(
        "--tokenizer", "-t", help="Tokenizer of the fresh models: spacy (default), nltk, char or whitespace.")] = None,
    train_steps: Annotated[Optional[int], typer.Option(
        "--train-steps", help="Measure each fresh model, train it this many steps on the text and measure it "
                              "again (default: 0, untrained only); --long-range: steps per run "
                              "(default: 400).")] = None,
    long_range: Annotated[bool, typer.Option(
        "--long-range", help="Instead: train each cell briefly to name the token k steps back, for each k, and "
                             "report the accuracy against k.")] = False,
    distances: Annotated[Optional[str], typer.Option(
        "--distances", help="--long-range: the k to train at (default: 5,10,20,40).")] = None,
    seed: opt.Seed = 0,
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", help="Also draw the result into this picture (.png, .svg or .pdf).")] = None,
    as_json: opt.Json = False,
) -> None:
    """Measure the vanishing gradient: how much of the loss's gradient at the last step of a window of text
    reaches the hidden state k steps earlier, for k = 1..N, for RNN, LSTM and GRU models (or a saved
    language model); with --long-range, what that means for learning a task whose answer is k steps back.

    Example: textrnn gradients --distance 30 --plot gradients.png

    Example: textrnn gradients -m everyday-english --cells rnn

    Example: textrnn gradients --long-range --distances 5,10,20,40 --plot long-range.png
    """
    from textrnn.inspect.gradient_plots import check_plot_path
    from textrnn.inspect.gradients import DEFAULT_CORPUS

    cell_list = _cells(cells)
    if plot is not None:
        check_plot_path(plot)
    out = Output(as_json)
    if long_range:
        _refuse("--long-range trains its own models on its own task", {
            "--model": model, "--corpus": corpus, "--distance": distance, "--windows": windows, "--layers": layers,
            "--nonlinearity": nonlinearity, "--tokenizer": tokenizer},
            hint="give --distances, --cells, --hidden-size, --train-steps or --seed")
        _long_range(cell_list, distances, hidden_size, train_steps, seed, plot, out)
        return
    _refuse("--distances is for --long-range", {"--distances": distances},
            hint="the gradient's farthest k is --distance")
    if model is not None:
        _refuse("fresh models beside --model take its sizes and tokenizer",
                {"--hidden-size": hidden_size, "--layers": layers, "--tokenizer": tokenizer})
    _gradients(model, corpus or DEFAULT_CORPUS, cell_list, distance, windows, hidden_size, layers, nonlinearity,
               tokenizer, train_steps, seed, plot, out)


def _gradients(model, corpus, cells, distance, windows, hidden_size, layers, nonlinearity, tokenizer, train_steps,
               seed, plot, out: Output) -> None:
    from textrnn.inspect.gradient_plots import plot_gradients
    from textrnn.inspect.gradients import GradientConfig, vanishing_gradients

    from ..progress import tokenizing
    from ..render.gradients import curves as render

    config = GradientConfig(**_given(distance=distance, windows=windows), seed=seed)
    with tokenizing():
        results = vanishing_gradients(model, corpus, cells, config=config, progress=note, **_given(
            hidden_size=hidden_size, num_layers=layers, nonlinearity=nonlinearity, tokenizer=tokenizer,
            train_steps=train_steps))
    render(results, out, config, corpus)
    if plot is not None:
        plot_gradients(results, plot, title=f"gradient reaching k steps back, {corpus}")
        note(f"wrote {plot}")


def _long_range(cells, distances, hidden_size, train_steps, seed, plot, out: Output) -> None:
    from textrnn.inspect.gradient_plots import plot_long_range
    from textrnn.inspect.long_range import LongRangeConfig, long_range, parse_distances

    from ..render.gradients import long_range as render

    config = LongRangeConfig(seed=seed, **_given(
        distances=parse_distances(distances) if distances is not None else None,
        cells=tuple(cells) if cells is not None else None, hidden_size=hidden_size, steps=train_steps))
    runs = len(config.cells) * len(config.distances)
    note(f"training {runs} models ({', '.join(config.cells)} at k = {', '.join(map(str, config.distances))}), "
         f"{config.steps:,} steps each")
    result = long_range(config, progress=lambda row: err.print(
        f"{row['cell']} at k = {row['distance']}: {row['accuracy']:.1%} held out",
        style="dim" if err.is_terminal else None))
    render(result, out)
    if plot is not None:
        plot_long_range(result, plot)
        note(f"wrote {plot}")


def _given(**options) -> dict:
    """The options the user gave: the library's own defaults stand for the rest."""
    return {name: value for name, value in options.items() if value is not None}


def _cells(text: str | None) -> list[str] | None:
    """"rnn,lstm" -> ["rnn", "lstm"], each checked against the cell registry."""
    if text is None:
        return None
    from textrnn.models.cells import check_cell

    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError("--cells names no cell", hint="as rnn,lstm,gru")
    for name in names:
        check_cell(name)
    return names


def _refuse(why: str, given: dict[str, object], hint: str = "") -> None:
    """An option that this mode would ignore is an error, not silently dropped."""
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise InputError(f"{' and '.join(named)} cannot be used here: {why}", hint=hint)
