"""`python -m textrnn` runs the command line, as `textrnn` does."""

from textrnn_cli.app import main

main()
