"""textrnn's command line: a thin Typer shell over the library (installed as `textrnn_cli`)."""

import time

STARTED = time.time()  # imported first by every entry point: a training's whole-run seconds count from here
