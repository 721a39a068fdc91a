"""textrnn's command line: a thin Typer shell over the library (installed as `textrnn_cli`)."""
