"""`textrnn shrink MODEL_DIR`: store a model's weights as float16, half the size; they load as float32."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import options as opt
from ..output import Output


def shrink(
    model: Annotated[Path, typer.Argument(help="A model directory (changed in place, atomically).")],
    threads: opt.Threads = None,  # applied as the options are read (options.Threads)
    as_json: opt.Json = False,
) -> None:
    """Store a model's weights as float16: half the size on disk, loaded back as float32. Check its figures
    with `textrnn evaluate` before and after: only each weight's rounding changes.

    Example: textrnn shrink my-model
    """
    from textrnn import checkpoint
    from textrnn.errors import ModelNotFound

    if not model.is_dir():
        raise ModelNotFound(f"no model directory {model}", hint="shrink takes the path of a model directory")
    checkpoint.read_config(model)  # a textrnn model, complete
    before, after = checkpoint.store_half(model)
    out = Output(as_json)
    if out.as_json:
        out.json({"model": str(model), "bytes_before": before, "bytes_after": after, "dtype": "float16"})
    else:
        out.line(f"{model}: weights {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB (float16, loaded as float32)")
